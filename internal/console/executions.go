package console

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// statuses are the execution states the list filters by, in AWS's words
// (not PENDING_REDRIVE: AWS refuses it for a state machine's executions,
// only a Map Run's children are pending redrive).
var statuses = []string{"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

// execRow is one line of the executions list; it is also the JSON the live view receives.
type execRow struct {
	ARN          string `json:"arn"`
	Name         string `json:"name"`
	Status       string `json:"status"`
	Key          string `json:"key"`
	Bucket       string `json:"bucket"`
	StateMachine string `json:"stateMachine"`
	Start        string `json:"start"`
	Duration     string `json:"duration"`
	Link         string `json:"link"`
	RedriveCount int32  `json:"redriveCount"`
	Error        string `json:"error,omitempty"`

	start time.Time
}

// listFilter is what the list page's form selects.
type listFilter struct {
	Status string
	Query  string
}

func (f listFilter) match(r execRow) bool {
	if f.Query == "" {
		return true
	}
	q := strings.ToLower(f.Query)
	return strings.Contains(strings.ToLower(r.Key), q) || strings.Contains(strings.ToLower(r.Name), q)
}

// stateMachines returns the configured state machine ARNs, or every one the API lists.
func (c *Console) stateMachines(ctx context.Context) ([]string, error) {
	if len(c.opt.StateMachineARNs) > 0 {
		return c.opt.StateMachineARNs, nil
	}
	var arns []string
	var next *string
	for range 100 { // bounded: 100 pages of state machines is far beyond any deployment of this
		out, err := c.opt.StepFunctions.ListStateMachines(ctx, &sfn.ListStateMachinesInput{NextToken: next})
		if err != nil {
			return nil, fmt.Errorf("list state machines: %w", err)
		}
		for _, sm := range out.StateMachines {
			arns = append(arns, aws.ToString(sm.StateMachineArn))
		}
		if out.NextToken == nil {
			break
		}
		next = out.NextToken
	}
	return arns, nil
}

// executions lists executions of every state machine, newest first, with their keys.
func (c *Console) executions(ctx context.Context, f listFilter) ([]execRow, error) {
	sms, err := c.stateMachines(ctx)
	if err != nil {
		return nil, err
	}
	now := c.opt.Now()
	var rows []execRow
	for _, sm := range sms {
		var next *string
		n := 0
		for n < c.opt.MaxExecutions {
			in := &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), NextToken: next, MaxResults: 100}
			if f.Status != "" {
				in.StatusFilter = types.ExecutionStatus(f.Status)
			}
			out, err := c.opt.StepFunctions.ListExecutions(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("list executions of %s: %w", sm, err)
			}
			for _, e := range out.Executions {
				n++
				row := c.row(ctx, e, now)
				if f.Status != "" && row.Status != f.Status {
					continue
				}
				if f.match(row) {
					rows = append(rows, row)
				}
			}
			if out.NextToken == nil || len(out.Executions) == 0 {
				break
			}
			next = out.NextToken
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].start.After(rows[j].start) })
	return rows, nil
}

func (c *Console) row(ctx context.Context, e types.ExecutionListItem, now time.Time) execRow {
	arn := aws.ToString(e.ExecutionArn)
	r := execRow{
		ARN:          arn,
		Name:         aws.ToString(e.Name),
		Status:       string(e.Status),
		StateMachine: lastPart(aws.ToString(e.StateMachineArn)),
		Link:         c.link("execution", "arn", arn),
		RedriveCount: aws.ToInt32(e.RedriveCount),
	}
	if e.StartDate != nil {
		r.start = *e.StartDate
		r.Start = e.StartDate.UTC().Format(time.RFC3339)
		end := now
		if e.StopDate != nil {
			end = *e.StopDate
		}
		r.Duration = duration(end.Sub(*e.StartDate))
	}
	if o, err := c.objectFor(ctx, arn); err == nil {
		r.Bucket, r.Key = o.bucket, o.key
	}
	switch e.Status {
	case types.ExecutionStatusFailed, types.ExecutionStatusTimedOut, types.ExecutionStatusAborted:
		r.Error = c.failure(ctx, arn, string(e.Status), r.RedriveCount)
	}
	return r
}

// failure returns an ended execution's error name, cached for as long as its status and
// redrive count stay the same (a redrive can end with another error).
func (c *Console) failure(ctx context.Context, arn, status string, redrives int32) string {
	id := fmt.Sprintf("%s\x00%s\x00%d", arn, status, redrives)
	if e, ok := c.errors.get(id); ok {
		return e
	}
	out, err := c.opt.StepFunctions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return ""
	}
	e := aws.ToString(out.Error)
	c.errors.put(id, e)
	return e
}

// object names the S3 object an execution is about.
type object struct{ bucket, key, version string }

// objectFor returns the object an execution's input names, cached: Step Functions never
// changes an execution's input.
func (c *Console) objectFor(ctx context.Context, arn string) (object, error) {
	if o, ok := c.objects.get(arn); ok {
		return o, nil
	}
	out, err := c.opt.StepFunctions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return object{}, err
	}
	var o object
	o.bucket, o.key, o.version = objectOf(aws.ToString(out.Input))
	c.objects.put(arn, o)
	return o, nil
}

// objectOf finds the object an execution is about in its input: the EventBridge S3 event
// (detail.bucket.name, detail.object.key, detail.object.version-id), or a flat
// {bucket, key, versionId} payload.
func objectOf(input string) (bucket, key, version string) {
	var ev struct {
		Detail struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key       string `json:"key"`
				VersionID string `json:"version-id"`
			} `json:"object"`
		} `json:"detail"`
		Bucket    string `json:"bucket"`
		Key       string `json:"key"`
		VersionID string `json:"versionId"`
	}
	if json.Unmarshal([]byte(input), &ev) != nil {
		return "", "", ""
	}
	if ev.Detail.Object.Key != "" {
		return ev.Detail.Bucket.Name, ev.Detail.Object.Key, ev.Detail.Object.VersionID
	}
	return ev.Bucket, ev.Key, ev.VersionID
}

func lastPart(arn string) string {
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// duration prints a duration the way people read it: 850ms, 12.3s, 4m05s, 2h10m.
func duration(d time.Duration) string {
	switch {
	case d < 0:
		return "0ms"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}
