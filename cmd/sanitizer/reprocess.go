package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/events"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

func init() {
	register(command{name: "reprocess", summary: "send s3://bucket/key through the pipeline again (EventBridge PutEvents)", run: runReprocess})
	register(command{name: "backfill", summary: "reprocess every input object whose sanitized copy is missing or stale", run: runBackfill})
}

// reprocessDetail is the detail of a reprocess event: the S3 event's shape,
// so the rule and the handlers treat it like an upload of that version.
type reprocessDetail struct {
	Version string `json:"version"`
	Bucket  struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      *int64 `json:"size,omitempty"`
		ETag      string `json:"etag,omitempty"`
		VersionID string `json:"version-id,omitempty"`
	} `json:"object"`
	Requester string `json:"requester"`
	Reason    string `json:"reason"`
}

// reprocessEntry builds the PutEvents entry for one object version.
func reprocessEntry(bucket, key, version, etag string, size *int64) (ebtypes.PutEventsRequestEntry, error) {
	var d reprocessDetail
	d.Version, d.Requester, d.Reason = "0", "operator", "Reprocess"
	d.Bucket.Name = bucket
	d.Object.Key, d.Object.VersionID, d.Object.ETag, d.Object.Size = key, version, sanitize.NormalizeETag(etag), size
	raw, err := json.Marshal(d)
	if err != nil {
		return ebtypes.PutEventsRequestEntry{}, err
	}
	return ebtypes.PutEventsRequestEntry{Source: aws.String(events.ReprocessSource), DetailType: aws.String("Object Created"),
		Resources: []string{"arn:aws:s3:::" + bucket}, Detail: aws.String(string(raw))}, nil
}

// putEvents sends entries (at most 10 per call) and reports entries refused.
func putEvents(ctx context.Context, c *eventbridge.Client, entries []ebtypes.PutEventsRequestEntry) ([]string, error) {
	var ids []string
	for len(entries) > 0 {
		n := min(10, len(entries))
		out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries[:n]})
		if err != nil {
			return ids, err
		}
		for _, e := range out.Entries {
			if e.ErrorCode != nil {
				return ids, fmt.Errorf("PutEvents refused an entry: %s: %s", aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
			}
			ids = append(ids, aws.ToString(e.EventId))
		}
		entries = entries[n:]
	}
	return ids, nil
}

func runReprocess(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("reprocess", flag.ContinueOnError)
	fs.SetOutput(s.err)
	var af awsFlags
	af.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(s.err, "usage: sanitizer reprocess [flags] s3://bucket/key...")
		return exitError{2}
	}
	c, err := af.clients(ctx)
	if err != nil {
		return err
	}
	var entries []ebtypes.PutEventsRequestEntry
	for _, arg := range fs.Args() {
		bucket, key, err := parseS3URL(arg)
		if err != nil {
			return err
		}
		// Name the exact version being reprocessed, as an upload event would.
		head, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return fmt.Errorf("%s: %w", arg, err)
		}
		e, err := reprocessEntry(bucket, key, aws.ToString(head.VersionId), aws.ToString(head.ETag), head.ContentLength)
		if err != nil {
			return err
		}
		entries = append(entries, e)
	}
	ids, err := putEvents(ctx, c.events, entries)
	for i, id := range ids {
		if af.json {
			json.NewEncoder(s.out).Encode(map[string]string{"object": fs.Arg(i), "eventId": id})
		} else {
			fmt.Fprintf(s.out, "reprocess %s: event %s\n", fs.Arg(i), id)
		}
	}
	return err
}

// matchesRule says whether the pipeline's rule takes this key (.jpg/.jpeg, any case).
func matchesRule(key string) bool {
	k := strings.ToLower(key)
	return strings.HasSuffix(k, ".jpg") || strings.HasSuffix(k, ".jpeg")
}

// backfillResult summarizes a backfill.
type backfillResult struct {
	Checked     int      `json:"checked"`
	Missing     int      `json:"missing"`
	Stale       int      `json:"stale"`
	UpToDate    int      `json:"upToDate"`
	Reprocessed []string `json:"reprocessed"`
}

func runBackfill(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	fs.SetOutput(s.err)
	var af awsFlags
	af.register(fs)
	prefix := fs.String("prefix", "", "only keys under this prefix")
	dryRun := fs.Bool("dry-run", false, "report what would be reprocessed, send nothing")
	workers := fs.Int("concurrency", 8, "HEAD requests in flight")
	noProgress := fs.Bool("no-progress", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := af.clients(ctx)
	if err != nil {
		return err
	}
	var objects []s3types.Object
	p := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{Bucket: aws.String(af.inputBucket), Prefix: aws.String(*prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, o := range page.Contents {
			if matchesRule(aws.ToString(o.Key)) {
				objects = append(objects, o)
			}
		}
	}
	var res backfillResult
	var mu sync.Mutex
	var done atomic.Int64
	stopBar := progress(s.err, *noProgress || af.json, len(objects), &done)
	var stale []s3types.Object
	jobs := make(chan s3types.Object)
	var wg sync.WaitGroup
	var firstErr error
	for range max(1, *workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range jobs {
				why, err := outputState(ctx, c.s3, af.outputBucket, o)
				mu.Lock()
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = err
					}
				case why == "missing":
					res.Missing++
					stale = append(stale, o)
				case why != "":
					res.Stale++
					stale = append(stale, o)
				default:
					res.UpToDate++
				}
				mu.Unlock()
				done.Add(1)
			}
		}()
	}
	for _, o := range objects {
		if ctx.Err() != nil {
			break
		}
		jobs <- o
	}
	close(jobs)
	wg.Wait()
	stopBar()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	res.Checked = len(objects)
	var entries []ebtypes.PutEventsRequestEntry
	for _, o := range stale {
		// Reprocess the latest version: HEAD gives its version ID.
		head, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(af.inputBucket), Key: o.Key})
		if err != nil {
			return err
		}
		e, err := reprocessEntry(af.inputBucket, aws.ToString(o.Key), aws.ToString(head.VersionId), aws.ToString(head.ETag), head.ContentLength)
		if err != nil {
			return err
		}
		entries = append(entries, e)
		res.Reprocessed = append(res.Reprocessed, aws.ToString(o.Key))
	}
	if !*dryRun {
		if _, err := putEvents(ctx, c.events, entries); err != nil {
			return err
		}
	}
	if res.Reprocessed == nil {
		res.Reprocessed = []string{}
	}
	if af.json {
		return json.NewEncoder(s.out).Encode(res)
	}
	verb := "reprocessing"
	if *dryRun {
		verb = "would reprocess"
	}
	fmt.Fprintf(s.out, "backfill: checked %d, up to date %d, missing %d, stale %d; %s %d\n",
		res.Checked, res.UpToDate, res.Missing, res.Stale, verb, len(res.Reprocessed))
	return nil
}

// outputState says why an input object's sanitized copy needs work: "missing",
// a reason it is stale, or "" when it is the copy of this upload under this policy.
func outputState(ctx context.Context, c *s3.Client, outputBucket string, o s3types.Object) (string, error) {
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(outputBucket), Key: o.Key})
	var nf *s3types.NotFound
	if errors.As(err, &nf) {
		return "missing", nil
	}
	if err != nil {
		return "", fmt.Errorf("head s3://%s/%s: %w", outputBucket, aws.ToString(o.Key), err)
	}
	if src := head.Metadata[sanitize.MetaSourceETag]; src != sanitize.NormalizeETag(aws.ToString(o.ETag)) {
		return "from another upload (source etag " + src + ")", nil
	}
	if v := head.Metadata[sanitize.MetaPolicyVersion]; v != metadata.PolicyVersion {
		return "policy " + v + " is not " + metadata.PolicyVersion, nil
	}
	return "", nil
}

// progress draws a bar on w until the returned stop is called.
func progress(w io.Writer, off bool, total int, done *atomic.Int64) (stop func()) {
	if off || total == 0 {
		return func() {}
	}
	draw := func() {
		n := int(done.Load())
		const width = 30
		fill := width * n / total
		fmt.Fprintf(w, "\rbackfill [%s%s] %d/%d", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), n, total)
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				draw()
			case <-quit:
				draw()
				fmt.Fprintln(w)
				return
			}
		}
	}()
	return func() { close(quit); <-finished }
}
