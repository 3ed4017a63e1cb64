package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store"
)

func init() {
	register(command{name: "audit", summary: "show the per-step audit records of an object key or an execution", run: runAudit})
}

func runAudit(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(s.err)
	var af awsFlags
	af.register(fs)
	key := fs.String("key", "", "object key in the input bucket")
	execution := fs.String("execution", "", "execution ARN")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*key == "") == (*execution == "") || fs.NArg() > 0 {
		fmt.Fprintln(s.err, "usage: sanitizer audit [flags] --key KEY | --execution ARN")
		return exitError{2}
	}
	c, err := af.clients(ctx)
	if err != nil {
		return err
	}
	r := &audit.Reader{Objects: s3store.New(c.s3), Bucket: af.auditBucket}
	var recs []audit.Record
	if *key != "" {
		recs, err = r.ByKey(ctx, *key)
	} else {
		recs, err = r.ByExecution(ctx, *execution)
	}
	if err != nil {
		return err
	}
	if af.json {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		if recs == nil {
			recs = []audit.Record{}
		}
		return enc.Encode(recs)
	}
	if len(recs) == 0 {
		fmt.Fprintln(s.out, "no audit records")
		return nil
	}
	tw := tabwriter.NewWriter(s.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED\tSTEP\tTRY\tOUTCOME\tMS\tBYTES IN→OUT\tREMOVED\tSENSITIVE TAGS\tERROR / REASON\tEXECUTION")
	for _, rec := range recs {
		var removed []string
		for _, rm := range rec.Removed {
			removed = append(removed, fmt.Sprintf("%s×%d (%d B)", rm.Kind, rm.Count, rm.Bytes))
		}
		detail := rec.Reason
		if rec.Error != nil {
			detail = rec.Error.Name + ": " + rec.Error.Message
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d→%d\t%s\t%s\t%s\t%s\n", rec.StartedAt.Local().Format("2006-01-02 15:04:05"),
			rec.Step, rec.Attempt, rec.Outcome, rec.DurationMillis, rec.BytesIn, rec.BytesOut,
			orDash(strings.Join(removed, ", ")), orDash(strings.Join(rec.SensitiveTags, ",")), orDash(detail), rec.Execution)
	}
	return tw.Flush()
}
