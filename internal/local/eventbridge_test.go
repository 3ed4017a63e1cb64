package local

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestEventBridgeRulesAPI(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	eb := eventbridge.NewFromConfig(ts.cfg)
	for _, n := range []string{"r-a", "r-b", "r-c", "other"} {
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(n), EventPattern: aws.String(`{"source":["my.app"]}`)}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("r-"), Limit: aws.Int32(2)})
	if err != nil || len(page.Rules) != 2 || page.NextToken == nil {
		t.Fatalf("first page: %+v %v", page, err)
	}
	rest, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("r-"), Limit: aws.Int32(2), NextToken: page.NextToken})
	if err != nil || len(rest.Rules) != 1 || aws.ToString(rest.Rules[0].Name) != "r-c" || rest.NextToken != nil {
		t.Fatalf("second page: %+v %v", rest, err)
	}
	d, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("r-a")})
	if err != nil || d.State != ebtypes.RuleStateEnabled || aws.ToString(d.Arn) != "arn:aws:events:us-east-1:000000000000:rule/r-a" {
		t.Fatalf("describe: %+v %v", d, err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r-a"), Targets: []ebtypes.Target{{Id: aws.String("t"), Arn: aws.String("arn:aws:sns:us-east-1:000000000000:x")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("r-a")}); apiCode(err) != "ValidationException" {
		t.Errorf("delete with targets: %v", err)
	}
	if _, err := eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("r-a"), Ids: []string{"t"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("r-a")}); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("r-a")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("describe deleted: %v", err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bad"), EventPattern: aws.String(`{"a":[{"wildcard":"x**"}]}`)}); apiCode(err) != "InvalidEventPatternException" {
		t.Errorf("bad pattern: %v", err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("x"), EventPattern: aws.String(`{}`), EventBusName: aws.String("custom")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("custom bus: %v", err)
	}
}

// A disabled rule delivers nothing; PutEvents events reach enabled rules'
// targets with the envelope EventBridge adds.
func TestPutEventsDeliveryAndDisabledRules(t *testing.T) {
	ts := startStack(t, "")
	events := ts.captureEvents(t, `{"source":["my.app"],"detail":{"n":[{"numeric":[">",1]}]}}`)
	ctx := context.Background()
	eb := eventbridge.NewFromConfig(ts.cfg)
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("my.app"), DetailType: aws.String("Tick"), Detail: aws.String(`{"n":2}`), Resources: []string{"r1"}},
		{Source: aws.String("my.app"), DetailType: aws.String("Tick"), Detail: aws.String(`{"n":1}`)},
		{Source: aws.String("my.app"), DetailType: aws.String("Tick"), Detail: aws.String(`[1]`)},
	}})
	if err != nil || out.FailedEntryCount != 1 || aws.ToString(out.Entries[2].ErrorCode) != "MalformedDetail" {
		t.Fatalf("put events: %+v %v", out, err)
	}
	got := events(1)
	if got[0]["id"] != aws.ToString(out.Entries[0].EventId) || got[0]["detail-type"] != "Tick" || got[0]["account"] != "000000000000" ||
		got[0]["resources"].([]any)[0] != "r1" {
		t.Errorf("delivered: %v", got[0])
	}
	if _, err := eb.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("capture")}); err != nil {
		t.Fatal(err)
	}
	eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("my.app"), DetailType: aws.String("Tick"), Detail: aws.String(`{"n":5}`)}}})
	if _, err := eb.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("capture")}); err != nil {
		t.Fatal(err)
	}
	eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("my.app"), DetailType: aws.String("Tock"), Detail: aws.String(`{"n":6}`)}}})
	got = events(2)
	if len(got) != 2 || got[1]["detail-type"] != "Tock" {
		t.Errorf("after disable/enable: %v", got)
	}
}

func TestMultipartUploadEmitsCompleteMultipartUpload(t *testing.T) {
	ts := startStack(t, "")
	events := ts.captureEvents(t, `{"source":["aws.s3"]}`)
	ctx := context.Background()
	c := ts.s3()
	key := aws.String("big photo.jpg")
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("uploads"), Key: key, ContentType: aws.String("image/jpeg")})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{bytes.Repeat([]byte("a"), 5<<20), []byte("tail")}
	var done []s3types.CompletedPart
	for i, p := range parts {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("uploads"), Key: key, UploadId: up.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, s3types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	fin, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("uploads"), Key: key, UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatal(err)
	}
	ev := events(1)[0]
	d := ev["detail"].(map[string]any)
	obj := d["object"].(map[string]any)
	if d["reason"] != "CompleteMultipartUpload" || obj["key"] != "big photo.jpg" || obj["size"].(float64) != float64(5<<20+4) ||
		obj["version-id"] != aws.ToString(fin.VersionId) {
		t.Errorf("event: %v", ev)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("uploads"), Key: key})
	if err != nil || aws.ToInt64(h.ContentLength) != 5<<20+4 || !strings.HasPrefix(aws.ToString(h.ContentType), "image/jpeg") {
		t.Errorf("head: %+v %v", h, err)
	}
}

// A browser form upload (POST Object) emits Object Created with its reason.
func TestFormPostEmitsPostObject(t *testing.T) {
	ts := startStack(t, "")
	events := ts.captureEvents(t, `{"source":["aws.s3"]}`)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("key", "form/upload 1.jpg")
	w.WriteField("Content-Type", "image/jpeg")
	f, _ := w.CreateFormFile("file", "upload 1.jpg")
	f.Write([]byte("jpeg bytes"))
	w.Close()
	resp, err := http.Post(ts.url+"/uploads", w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("form post: %d", resp.StatusCode)
	}
	ev := events(1)[0]
	d := ev["detail"].(map[string]any)
	obj := d["object"].(map[string]any)
	if d["reason"] != "POST Object" || obj["key"] != "form/upload 1.jpg" || obj["size"].(float64) != 10 || obj["version-id"] == "" {
		t.Errorf("event: %v", ev)
	}
}

// PutEvents deliveries are durable: one still retrying when the stack stops is
// made after the next start.
func TestPutEventsDeliverySurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ts := startStack(t, dir)
	ctx := context.Background()
	eb := eventbridge.NewFromConfig(ts.cfg)
	topic := "arn:aws:sns:us-east-1:000000000000:later"
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("later"), EventPattern: aws.String(`{"source":["my.app"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("later"), Targets: []ebtypes.Target{{Id: aws.String("t"), Arn: aws.String(topic)}}}); err != nil {
		t.Fatal(err)
	}
	// The topic does not exist yet: the delivery keeps failing and retrying.
	if _, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("my.app"), DetailType: aws.String("Kept"), Detail: aws.String(`{}`)}}}); err != nil {
		t.Fatal(err)
	}
	ts.Close()
	ts2 := startStack(t, dir)
	if _, err := ts2.SNS.CreateTopic("later"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		msgs, _ := ts2.SNS.Messages()
		if len(msgs) == 1 && strings.Contains(msgs[0].Message, `"detail-type":"Kept"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pending delivery was not made after the restart: %v", msgs)
		}
	}
}

// ListRuleNamesByTarget names the rules sending to a target, paged; it was
// an UnknownOperationException.
func TestEventBridgeListRuleNamesByTarget(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	eb := eventbridge.NewFromConfig(ts.cfg)
	target := "arn:aws:sns:us-east-1:000000000000:x"
	for _, n := range []string{"c", "a", "b", "unrelated"} {
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(n), EventPattern: aws.String(`{"source":["my.app"]}`)}); err != nil {
			t.Fatal(err)
		}
		arn := target
		if n == "unrelated" {
			arn += "-other"
		}
		if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(n), Targets: []ebtypes.Target{{Id: aws.String("t"), Arn: aws.String(arn)}}}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	var token *string
	for range 5 {
		out, err := eb.ListRuleNamesByTarget(ctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String(target), Limit: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, out.RuleNames...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Errorf("rules by target: %v", names)
	}
	if _, err := eb.ListRuleNamesByTarget(ctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String(target), EventBusName: aws.String("custom")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("custom bus: %v", err)
	}
}

// The stack has one bus, the default one: DescribeEventBus and ListEventBuses
// tell it as EventBridge does, with a creation time that outlives restarts.
func TestEventBridgeDefaultBus(t *testing.T) {
	dir := t.TempDir()
	ts := startStack(t, dir)
	ctx := context.Background()
	eb := eventbridge.NewFromConfig(ts.cfg)
	arn := "arn:aws:events:us-east-1:000000000000:event-bus/default"
	var created time.Time
	for _, name := range []*string{nil, aws.String("default"), aws.String(arn)} {
		d, err := eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: name})
		if err != nil || aws.ToString(d.Name) != "default" || aws.ToString(d.Arn) != arn || d.CreationTime == nil {
			t.Fatalf("describe %v: %+v %v", aws.ToString(name), d, err)
		}
		created = *d.CreationTime
	}
	if _, err := eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("orders")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("describe a bus that does not exist: %v", err)
	}
	l, err := eb.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{})
	if err != nil || len(l.EventBuses) != 1 || aws.ToString(l.EventBuses[0].Arn) != arn {
		t.Fatalf("list: %+v %v", l, err)
	}
	if l, err := eb.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{NamePrefix: aws.String("ord")}); err != nil || len(l.EventBuses) != 0 {
		t.Errorf("list by another prefix: %+v %v", l, err)
	}
	ts.Close()
	ts = startStack(t, dir)
	d, err := eventbridge.NewFromConfig(ts.cfg).DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{})
	if err != nil || !d.CreationTime.Equal(created) {
		t.Errorf("after a restart: %v %v, want creation time %v", d.CreationTime, err, created)
	}
}
