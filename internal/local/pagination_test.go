package local

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// printableToken fails the test unless tok is non-empty printable ASCII with
// no spaces (what the AWS CLI and shells pass through unharmed).
func printableToken(t *testing.T, api, tok string) {
	t.Helper()
	if tok == "" {
		t.Fatalf("%s: empty nextToken", api)
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] <= ' ' || tok[i] > '~' {
			t.Fatalf("%s: nextToken %q has byte %#x at %d", api, tok, tok[i], i)
		}
	}
}

const passMachine = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

// The SDK's paginators walk every page of ListExecutions, ListStateMachines and
// GetExecutionHistory with printable tokens; a malformed token is InvalidToken.
func TestStepFunctionsPaginationTokens(t *testing.T) {
	_, c, _ := startSFN(t, t.TempDir(), &scriptTasks{})
	ctx := context.Background()
	var machines []string
	for i := 0; i < 5; i++ {
		out, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(fmt.Sprintf("m%d", i)), Definition: aws.String(passMachine), RoleArn: aws.String("arn:aws:iam::000000000000:role/r")})
		if err != nil {
			t.Fatal(err)
		}
		machines = append(machines, aws.ToString(out.StateMachineArn))
	}
	sm := machines[0]
	const n = 7
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String(fmt.Sprintf("e-%d", i)), Input: aws.String(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		want[aws.ToString(out.ExecutionArn)] = true
	}

	seen := map[string]bool{}
	pages := 0
	p := sfn.NewListExecutionsPaginator(c, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), MaxResults: 2})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		pages++
		if page.NextToken != nil {
			printableToken(t, "ListExecutions", *page.NextToken)
		}
		for _, e := range page.Executions {
			if seen[aws.ToString(e.ExecutionArn)] {
				t.Fatalf("execution %s listed twice", aws.ToString(e.ExecutionArn))
			}
			seen[aws.ToString(e.ExecutionArn)] = true
		}
	}
	if pages != 4 || len(seen) != n {
		t.Fatalf("%d pages, %d executions; want 4 pages, %d executions", pages, len(seen), n)
	}
	for arn := range want {
		if !seen[arn] {
			t.Errorf("execution %s not listed", arn)
		}
	}
	for _, bad := range []string{"\x00\x01", "not base64!", "%%%"} {
		_, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), MaxResults: 2, NextToken: aws.String(bad)})
		if apiCode(err) != "InvalidToken" {
			t.Errorf("ListExecutions token %q: %v, want InvalidToken", bad, err)
		}
	}

	seenSM := map[string]bool{}
	pm := sfn.NewListStateMachinesPaginator(c, &sfn.ListStateMachinesInput{MaxResults: 2})
	for pm.HasMorePages() {
		page, err := pm.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if page.NextToken != nil {
			printableToken(t, "ListStateMachines", *page.NextToken)
		}
		for _, m := range page.StateMachines {
			seenSM[aws.ToString(m.StateMachineArn)] = true
		}
	}
	if len(seenSM) != len(machines) {
		t.Fatalf("ListStateMachines listed %d machines, want %d", len(seenSM), len(machines))
	}
	if _, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{NextToken: aws.String("*")}); apiCode(err) != "InvalidToken" {
		t.Errorf("ListStateMachines bad token: %v", err)
	}

	var exec string
	for arn := range want {
		exec = arn
		break
	}
	full, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec)})
	if err != nil || len(full.Events) < 3 {
		t.Fatalf("history: %d events, %v", len(full.Events), err)
	}
	total := 0
	ph := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec), MaxResults: 1})
	for ph.HasMorePages() {
		page, err := ph.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if page.NextToken != nil {
			printableToken(t, "GetExecutionHistory", *page.NextToken)
		}
		for _, e := range page.Events {
			if e.Id != full.Events[total].Id {
				t.Fatalf("history event %d has id %d, want %d", total, e.Id, full.Events[total].Id)
			}
			total++
		}
	}
	if total != len(full.Events) {
		t.Fatalf("paged history has %d events, want %d", total, len(full.Events))
	}
	if _, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec), NextToken: aws.String("12")}); apiCode(err) != "InvalidToken" {
		t.Errorf("GetExecutionHistory raw number token: %v", err)
	}
}

// ListRules and ListTopics tokens are printable too and walk every item.
func TestRulesAndTopicsPaginationTokens(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	eb := eventbridge.NewFromConfig(ts.cfg)
	for i := 0; i < 5; i++ {
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(fmt.Sprintf("p-%d", i)), EventPattern: aws.String(`{"source":["my.app"]}`)}); err != nil {
			t.Fatal(err)
		}
	}
	rules := 0
	var tok *string
	for {
		page, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("p-"), Limit: aws.Int32(2), NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		rules += len(page.Rules)
		if page.NextToken == nil {
			break
		}
		printableToken(t, "ListRules", *page.NextToken)
		tok = page.NextToken
	}
	if rules != 5 {
		t.Fatalf("ListRules listed %d rules, want 5", rules)
	}
	if _, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{NextToken: aws.String("!!")}); apiCode(err) != "ValidationException" {
		t.Errorf("ListRules bad token: %v", err)
	}

	c := sns.NewFromConfig(ts.cfg)
	const topics = 105
	for i := 0; i < topics; i++ {
		if _, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(fmt.Sprintf("t%03d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	pages := 0
	p := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if page.NextToken != nil {
			printableToken(t, "ListTopics", *page.NextToken)
		}
		for _, tp := range page.Topics {
			seen[aws.ToString(tp.TopicArn)] = true
		}
	}
	if pages < 2 || len(seen) < topics {
		t.Fatalf("ListTopics: %d pages, %d topics; want >= 2 pages, >= %d topics", pages, len(seen), topics)
	}
	if _, err := c.ListTopics(ctx, &sns.ListTopicsInput{NextToken: aws.String("!!")}); apiCode(err) != "InvalidParameter" {
		t.Errorf("ListTopics bad token: %v", err)
	}
}
