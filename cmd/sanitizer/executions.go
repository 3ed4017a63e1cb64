package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/lambdafn"
)

func init() {
	register(command{name: "executions", summary: "list the pipeline's executions (status, key, start, duration)", run: runExecutions})
	register(command{name: "replay", summary: "start a new execution with the same input as ARN", run: runReplay})
	register(command{name: "redrive", summary: "redrive a failed, aborted or timed-out execution from where it stopped", run: runRedrive})
}

// executionRow is one line of `sanitizer executions`.
type executionRow struct {
	ExecutionArn string     `json:"executionArn"`
	Name         string     `json:"name"`
	Status       string     `json:"status"`
	Bucket       string     `json:"bucket,omitempty"`
	Key          string     `json:"key,omitempty"`
	Start        time.Time  `json:"startDate"`
	Stop         *time.Time `json:"stopDate,omitempty"`
	Error        string     `json:"error,omitempty"`
	RedriveCount int32      `json:"redriveCount,omitempty"`
}

func runExecutions(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("executions", flag.ContinueOnError)
	fs.SetOutput(s.err)
	var af awsFlags
	af.register(fs)
	status := fs.String("status", "", "only RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED")
	limit := fs.Int("limit", 50, "at most this many executions, newest first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := af.clients(ctx)
	if err != nil {
		return err
	}
	arn, err := af.machineArn(ctx, c)
	if err != nil {
		return err
	}
	in := &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn)}
	if *status != "" {
		in.StatusFilter = sfntypes.ExecutionStatus(*status)
	}
	var rows []executionRow
	p := sfn.NewListExecutionsPaginator(c.sfn, in)
	for p.HasMorePages() && len(rows) < *limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, e := range page.Executions {
			if len(rows) == *limit {
				break
			}
			row := executionRow{ExecutionArn: aws.ToString(e.ExecutionArn), Name: aws.ToString(e.Name), Status: string(e.Status),
				Start: aws.ToTime(e.StartDate), Stop: e.StopDate, RedriveCount: aws.ToInt32(e.RedriveCount)}
			// The key is in the input; the error in the description.
			if d, err := c.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: e.ExecutionArn}); err == nil {
				row.Bucket, row.Key = objectOf(aws.ToString(d.Input))
				row.Error = aws.ToString(d.Error)
			}
			rows = append(rows, row)
		}
	}
	if af.json {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(s.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tSTARTED\tDURATION\tKEY\tERROR\tEXECUTION")
	for _, r := range rows {
		dur := "-"
		if r.Stop != nil {
			dur = r.Stop.Sub(r.Start).Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Status, r.Start.Local().Format("2006-01-02 15:04:05"), dur, orDash(r.Key), orDash(r.Error), r.ExecutionArn)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// objectOf reads detail.bucket.name and detail.object.key from an execution input.
func objectOf(input string) (bucket, key string) {
	var ev lambdafn.Event
	if json.Unmarshal([]byte(input), &ev) != nil {
		return "", ""
	}
	return ev.Detail.Bucket.Name, ev.Detail.Object.Key
}

// executionCommand parses the flags and the one EXECUTION_ARN argument that
// replay and redrive share, and builds clients for the ARN's region unless
// --region says otherwise.
func executionCommand(ctx context.Context, name string, args []string, s stdio) (string, *awsFlags, *clients, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(s.err)
	af := new(awsFlags)
	af.register(fs)
	if err := fs.Parse(args); err != nil {
		return "", nil, nil, err
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(s.err, "usage: sanitizer %s [flags] EXECUTION_ARN\n", name)
		return "", nil, nil, exitError{2}
	}
	arn := fs.Arg(0)
	af.regionOf(arn)
	c, err := af.clients(ctx)
	if err != nil {
		return "", nil, nil, err
	}
	return arn, af, c, nil
}

func runReplay(ctx context.Context, args []string, s stdio) error {
	arn, af, c, err := executionCommand(ctx, "replay", args, s)
	if err != nil {
		return err
	}
	d, err := c.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return err
	}
	out, err := c.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: d.StateMachineArn, Input: d.Input})
	if err != nil {
		return err
	}
	if af.json {
		return json.NewEncoder(s.out).Encode(map[string]string{"replayOf": arn, "executionArn": aws.ToString(out.ExecutionArn)})
	}
	fmt.Fprintln(s.out, aws.ToString(out.ExecutionArn))
	return nil
}

func runRedrive(ctx context.Context, args []string, s stdio) error {
	arn, af, c, err := executionCommand(ctx, "redrive", args, s)
	if err != nil {
		return err
	}
	out, err := c.sfn.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return err
	}
	if af.json {
		return json.NewEncoder(s.out).Encode(map[string]any{"executionArn": arn, "redriveDate": out.RedriveDate})
	}
	fmt.Fprintf(s.out, "redriven %s at %s\n", arn, aws.ToTime(out.RedriveDate).Local().Format(time.RFC3339))
	return nil
}
