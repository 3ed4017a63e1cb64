package sanitize_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

var ctx = context.Background()

func TestCleanOutputForEveryKeyShape(t *testing.T) {
	for _, versioned := range []bool{true, false} {
		e := newEnv(t, versioned)
		for i, key := range []string{"photo.jpg", "deep/a/b/c/IMG_1.JPEG", "a b+c%20 ünï 写真 📷.jpg", "%2B++ %20.jpeg"} {
			src := photo(t, i)
			exec := fmt.Sprintf("arn:aws:states:eu-west-1:1:execution:sm:run-%v-%d", versioned, i)
			job, err := e.run(t, exec, e.upload(t, key, src, fmt.Sprintf("%02X", i+1)))
			if err != nil {
				t.Fatalf("%q: %v", key, err)
			}
			if job.Published.Outcome != sanitize.Written || !job.Verified.Clean {
				t.Fatalf("%q: %+v %+v", key, job.Published, job.Verified)
			}
			out, info, err := e.output(t, key)
			if err != nil {
				t.Fatalf("%q: %v", key, err)
			}
			if info.ContentType != "image/jpeg" || info.Metadata[sanitize.MetaSourceSequencer] != job.Source.Sequencer ||
				info.Metadata[sanitize.MetaSourceVersionID] != job.Source.VersionID || info.Metadata[sanitize.MetaSHA256] != job.Staged.SHA256 {
				t.Errorf("%q: output object %+v", key, info)
			}
			if bytes.Contains(out, []byte("GPSLatitude")) || bytes.Contains(out, []byte("alice")) {
				t.Errorf("%q: metadata survived", key)
			}
			insp, err := metadata.Inspect(bytes.NewReader(out), metadata.DefaultPolicy())
			if err != nil || !insp.Clean || insp.ImageDigest != job.Validation.ImageDigest {
				t.Errorf("%q: output %+v %v", key, insp, err)
			}
			recs, err := e.audit.ByExecution(ctx, exec)
			if err != nil {
				t.Fatal(err)
			}
			var steps []string
			for _, r := range recs {
				steps = append(steps, r.Step+":"+string(r.Outcome))
			}
			if strings.Join(steps, " ") != "validate:succeeded strip:succeeded write:succeeded verify:succeeded" {
				t.Errorf("%q: audit %v", key, steps)
			}
			strip := recs[1]
			if strip.SHA256In == "" || strip.SHA256Out == "" || strip.BytesOut >= strip.BytesIn || len(strip.Removed) == 0 ||
				strip.PolicyVersion == "" || strip.Source.Key != key || strip.Output.Bucket != "staging" {
				t.Errorf("%q: strip record %+v", key, strip)
			}
			if byKey, _ := e.audit.ByKey(ctx, key); len(byKey) != 4 {
				t.Errorf("%q: %d records by key", key, len(byKey))
			}
		}
	}
}

func TestRejectsWithTypedErrorsAndWritesNothing(t *testing.T) {
	e := newEnv(t, true)
	good := photo(t, 1)
	for name, tc := range map[string]struct {
		body []byte
		want any
	}{
		"png":       {pngBytes(t), new(*metadata.NotJPEGError)},
		"empty":     {nil, new(*metadata.NotJPEGError)},
		"truncated": {good[:len(good)/2], nil},
	} {
		key := name + ".jpg"
		_, err := e.run(t, "exec-"+name, e.upload(t, key, tc.body, "01"))
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		if tc.want != nil && !errors.As(err, tc.want) {
			t.Errorf("%s: %T %v", name, err, err)
		}
		if _, _, err := e.output(t, key); !errors.Is(err, sanitize.ErrNotFound) {
			t.Errorf("%s: something was published: %v", name, err)
		}
		recs, _ := e.audit.ByExecution(ctx, "exec-"+name)
		if len(recs) != 1 || recs[0].Outcome != audit.Failed || recs[0].Error == nil || recs[0].Step != audit.StepValidate {
			t.Errorf("%s: audit %+v", name, recs)
		}
	}
}

func TestLimits(t *testing.T) {
	e := newEnv(t, true)
	e.svc.Config.Policy.Limits = metadata.Limits{MaxBytes: 100}
	_, err := e.run(t, "big", e.upload(t, "big.jpg", photo(t, 1), "01"))
	var tooLarge *metadata.TooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("max bytes: %v", err)
	}
	e.svc.Config.Policy.Limits = metadata.Limits{MaxBytes: -1} // no limit
	if _, err := e.run(t, "unlimited", e.upload(t, "unlimited.jpg", photo(t, 1), "01")); err != nil {
		t.Fatalf("no byte limit: %v", err)
	}
	e.svc.Config.Policy.Limits = metadata.Limits{MaxPixels: 100} // 24×16 = 384
	_, err = e.run(t, "wide", e.upload(t, "wide.jpg", photo(t, 1), "01"))
	var tooMany *metadata.TooManyPixelsError
	if !errors.As(err, &tooMany) {
		t.Fatalf("max pixels: %v", err)
	}
}

func TestRefusesOtherBuckets(t *testing.T) {
	e := newEnv(t, true)
	job := e.upload(t, "x.jpg", photo(t, 1), "01")
	job.Source.Bucket = "out"
	_, err := e.svc.Validate(ctx, sanitize.Attempt{Execution: "e", Number: 1}, job)
	var invalid *sanitize.InvalidInputError
	if !errors.As(err, &invalid) {
		t.Fatalf("%v", err)
	}
}

func TestReadsTheEventsVersion(t *testing.T) {
	// Versioned: an overwrite after the event does not change what the event's execution reads.
	e := newEnv(t, true)
	first := e.upload(t, "k.jpg", photo(t, 1), "01")
	e.upload(t, "k.jpg", photo(t, 2), "02")
	job, err := e.run(t, "first", first)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := metadata.Inspect(bytes.NewReader(photo(t, 1)), metadata.DefaultPolicy())
	if job.Validation.ImageDigest != want.ImageDigest {
		t.Fatal("read the newer version")
	}
	// Unversioned: the ETag pins the bytes; an overwrite makes the old event's execution fail.
	e = newEnv(t, false)
	first = e.upload(t, "k.jpg", photo(t, 1), "01")
	e.upload(t, "k.jpg", photo(t, 2), "02")
	_, err = e.run(t, "first", first)
	var changed *sanitize.SourceChangedError
	if !errors.As(err, &changed) {
		t.Fatalf("unversioned overwrite: %v", err)
	}
	// Deleted version: SourceNotFound.
	e = newEnv(t, true)
	gone := e.upload(t, "g.jpg", photo(t, 1), "01")
	e.store.Delete(ctx, sanitize.ObjectRef{Bucket: "in", Key: "g.jpg", VersionID: gone.Source.VersionID})
	_, err = e.run(t, "gone", gone)
	var notFound *sanitize.SourceNotFoundError
	if !errors.As(err, &notFound) {
		t.Fatalf("deleted version: %v", err)
	}
}

func TestOutOfOrderAndDuplicateEvents(t *testing.T) {
	for _, versioned := range []bool{true, false} {
		t.Run(fmt.Sprintf("versioned=%v", versioned), func(t *testing.T) {
			e := newEnv(t, versioned)
			older := e.upload(t, "k.jpg", photo(t, 1), "0061A")
			// The older execution reads its source before the overwrite (an unversioned
			// bucket keeps no old bytes) and publishes after the newer one.
			at := sanitize.Attempt{Execution: "older", Number: 1}
			olderJob, err := e.svc.Validate(ctx, at, older)
			if err == nil {
				olderJob, err = e.svc.Strip(ctx, at, olderJob)
			}
			if err != nil {
				t.Fatal(err)
			}
			newer := e.upload(t, "k.jpg", photo(t, 2), "0061B0") // longer, and greater once padded
			newerJob, err := e.run(t, "newer", newer)
			if err != nil || newerJob.Published.Outcome != sanitize.Written {
				t.Fatalf("newer: %+v %v", newerJob.Published, err)
			}
			// The older event's Write comes last: it must not replace the newer output.
			olderJob, err = e.svc.Write(ctx, at, olderJob)
			if err != nil || olderJob.Published.Outcome != sanitize.Skipped {
				t.Fatalf("older write: %+v %v", olderJob.Published, err)
			}
			_, info, _ := e.output(t, "k.jpg")
			if info.Metadata[sanitize.MetaSourceSequencer] != "0061B0" {
				t.Fatalf("output is from %q", info.Metadata[sanitize.MetaSourceSequencer])
			}
			recs, _ := e.audit.ByExecution(ctx, "older")
			if last := recs[len(recs)-1]; last.Step != audit.StepWrite || last.Outcome != audit.Skipped || !strings.Contains(last.Reason, "stale") {
				t.Errorf("older's write record: %+v", last)
			}
			// A duplicate delivery of the newer event: one output, no error, verified again.
			dup, err := e.run(t, "newer-again", newer)
			if err != nil || dup.Published.Outcome != sanitize.Unchanged || !dup.Verified.Clean {
				t.Fatalf("duplicate: %+v %+v %v", dup.Published, dup.Verified, err)
			}
			_, again, _ := e.output(t, "k.jpg")
			if again.ETag != info.ETag || again.VersionID != info.VersionID {
				t.Errorf("duplicate rewrote the output: %+v -> %+v", info, again)
			}
		})
	}
}

// Unversioned: the same bytes uploaded twice share an ETag. The second upload's
// sequencer must reach the output, or a late event for an upload in between wins.
func TestSameBytesReuploadedRecordsTheNewerSequencer(t *testing.T) {
	e := newEnv(t, false)
	a, b := photo(t, 1), photo(t, 2)
	first := e.upload(t, "k.jpg", a, "01")
	if _, err := e.run(t, "first", first); err != nil {
		t.Fatal(err)
	}
	// An upload of other bytes (sequencer 02) is read, but its Write is delayed.
	between := e.upload(t, "k.jpg", b, "02")
	at := sanitize.Attempt{Execution: "between", Number: 1}
	betweenJob, err := e.svc.Validate(ctx, at, between)
	if err == nil {
		betweenJob, err = e.svc.Strip(ctx, at, betweenJob)
	}
	if err != nil {
		t.Fatal(err)
	}
	third := e.upload(t, "k.jpg", a, "03")
	job, err := e.run(t, "third", third)
	if err != nil || job.Published.Outcome != sanitize.Written {
		t.Fatalf("third: %+v %v", job.Published, err)
	}
	betweenJob, err = e.svc.Write(ctx, at, betweenJob)
	if err != nil || betweenJob.Published.Outcome != sanitize.Skipped {
		t.Fatalf("late write: %+v %v", betweenJob.Published, err)
	}
	if _, info, _ := e.output(t, "k.jpg"); info.Metadata[sanitize.MetaSourceSequencer] != "03" {
		t.Fatalf("output from sequencer %q", info.Metadata[sanitize.MetaSourceSequencer])
	}
}

func TestReprocessPinsTheCurrentVersion(t *testing.T) {
	e := newEnv(t, true)
	e.upload(t, "k.jpg", photo(t, 1), "01")
	ev := e.upload(t, "k.jpg", photo(t, 2), "02")
	if _, err := e.run(t, "upload", ev); err != nil {
		t.Fatal(err)
	}
	// Reprocess: no version, no etag, no sequencer.
	re := sanitize.Job{DetailType: "Object Created", EventSource: "s3-image-sanitizer.reprocess", Source: sanitize.Source{Bucket: "in", Key: "k.jpg"}}
	job, err := e.run(t, "reprocess", re)
	if err != nil {
		t.Fatal(err)
	}
	if job.Source.VersionID != ev.Source.VersionID || job.Published.Outcome != sanitize.Unchanged {
		t.Fatalf("reprocess: %+v %+v", job.Source, job.Published)
	}
	// A newer upload, then a reprocess that pinned an older version: skipped.
	stale := job
	e.upload(t, "k.jpg", photo(t, 3), "03")
	newest, _ := e.run(t, "newest", sanitize.Job{Source: sanitize.Source{Bucket: "in", Key: "k.jpg"}})
	if newest.Published.Outcome != sanitize.Written {
		t.Fatalf("newest: %+v", newest.Published)
	}
	stale.Published, stale.Verified = nil, nil
	stale, err = e.svc.Write(ctx, sanitize.Attempt{Execution: "reprocess", Number: 2}, stale)
	if err != nil || stale.Published.Outcome != sanitize.Skipped {
		t.Fatalf("stale reprocess: %+v %v", stale.Published, err)
	}
}

// tamperingStore returns other bytes for reads of the output bucket, as a broken
// writer or a corrupted object would.
type tamperingStore struct {
	sanitize.Store
	body []byte
}

func (s tamperingStore) Get(ctx context.Context, ref sanitize.ObjectRef) (io.ReadCloser, sanitize.ObjectInfo, error) {
	rc, info, err := s.Store.Get(ctx, ref)
	if err != nil || ref.Bucket != "out" {
		return rc, info, err
	}
	rc.Close()
	return io.NopCloser(bytes.NewReader(s.body)), info, nil
}

func TestVerifyRollsBack(t *testing.T) {
	for name, tc := range map[string]struct {
		served func(t *testing.T) []byte
		want   any
	}{
		"metadata remains": {func(t *testing.T) []byte { return photo(t, 1) }, new(*metadata.MetadataRemainsError)},
		"other image": {func(t *testing.T) []byte {
			var out bytes.Buffer
			metadata.Strip(&out, bytes.NewReader(photo(t, 9)), metadata.DefaultPolicy())
			return out.Bytes()
		}, new(*metadata.ImageMismatchError)},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, true)
			// A previous good output, which must be current again after the rollback.
			prev, err := e.run(t, "prev", e.upload(t, "k.jpg", photo(t, 1), "01"))
			if err != nil {
				t.Fatal(err)
			}
			job := e.upload(t, "k.jpg", photo(t, 1), "02")
			e.svc.Store = tamperingStore{Store: e.store, body: tc.served(t)}
			_, err = e.run(t, "bad", job)
			var verr *sanitize.VerifyError
			if !errors.As(err, tc.want) || !errors.As(err, &verr) || verr.RolledBack == "" {
				t.Fatalf("%T %v", err, err)
			}
			_, info, err := e.output(t, "k.jpg")
			if err != nil || info.VersionID != prev.Published.VersionID {
				t.Fatalf("after rollback the output is %+v %v, want version %s", info, err, prev.Published.VersionID)
			}
			recs, _ := e.audit.ByExecution(ctx, "bad")
			last := recs[len(recs)-1]
			if last.Step != audit.StepVerify || last.Outcome != audit.Failed || !strings.Contains(last.Reason, "rolled back") {
				t.Errorf("verify record %+v", last)
			}
		})
	}
}

func TestVerifySkipsWhenSuperseded(t *testing.T) {
	e := newEnv(t, false)
	at := sanitize.Attempt{Execution: "first", Number: 1}
	job := e.upload(t, "k.jpg", photo(t, 1), "01")
	var err error
	for _, step := range []func(context.Context, sanitize.Attempt, sanitize.Job) (sanitize.Job, error){e.svc.Validate, e.svc.Strip, e.svc.Write} {
		if job, err = step(ctx, at, job); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.run(t, "second", e.upload(t, "k.jpg", photo(t, 2), "02")); err != nil {
		t.Fatal(err)
	}
	job, err = e.svc.Verify(ctx, at, job)
	if err != nil || !job.Verified.Superseded {
		t.Fatalf("%+v %v", job.Verified, err)
	}
}

func TestUnpublish(t *testing.T) {
	e := newEnv(t, true)
	up := e.upload(t, "k.jpg", photo(t, 1), "01")
	if _, err := e.run(t, "up", up); err != nil {
		t.Fatal(err)
	}
	del := sanitize.Job{DetailType: "Object Deleted", Source: sanitize.Source{Bucket: "in", Key: "k.jpg", Sequencer: "02"}}
	at := sanitize.Attempt{Execution: "del", Number: 1}
	// The key still exists in the input bucket: keep the output.
	job, err := e.svc.Unpublish(ctx, at, del)
	if err != nil || job.Unpublish.Outcome != sanitize.Skipped {
		t.Fatalf("%+v %v", job.Unpublish, err)
	}
	e.store.Delete(ctx, sanitize.ObjectRef{Bucket: "in", Key: "k.jpg"})
	job, err = e.svc.Unpublish(ctx, at, del)
	if err != nil || job.Unpublish.Outcome != "deleted" {
		t.Fatalf("%+v %v", job.Unpublish, err)
	}
	if _, _, err := e.output(t, "k.jpg"); !errors.Is(err, sanitize.ErrNotFound) {
		t.Fatalf("output still served: %v", err)
	}
	// Again (a duplicate delete event): no error, still nothing served.
	if _, err = e.svc.Unpublish(ctx, at, del); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.output(t, "k.jpg"); !errors.Is(err, sanitize.ErrNotFound) {
		t.Fatalf("output served again: %v", err)
	}
	// A re-upload processed before a late delete event keeps its output.
	later := e.upload(t, "k.jpg", photo(t, 2), "03")
	if _, err := e.run(t, "later", later); err != nil {
		t.Fatal(err)
	}
	job, err = e.svc.Unpublish(ctx, at, del)
	if err != nil || job.Unpublish.Outcome != sanitize.Skipped {
		t.Fatalf("late delete: %+v %v", job.Unpublish, err)
	}
	if _, _, err := e.output(t, "k.jpg"); err != nil {
		t.Fatalf("re-upload's output removed: %v", err)
	}
}

func TestRecordFailure(t *testing.T) {
	e := newEnv(t, true)
	exec := "arn:aws:states:eu-west-1:111122223333:execution:sanitizer:abc"
	n, err := e.svc.RecordFailure(ctx, sanitize.Attempt{Execution: exec, Number: 1}, sanitize.Failure{
		Step: "Validate", Error: "NotJPEG", Cause: `{"errorMessage":"not a JPEG: looks like PNG","errorType":"NotJPEG"}`,
		Source: sanitize.Source{Bucket: "in", Key: "ü/a b.jpg", VersionID: "v1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.Subject != "s3-image-sanitizer: Validate failed: NotJPEG" || n.Cause != "not a JPEG: looks like PNG" {
		t.Errorf("%+v", n)
	}
	var msg sanitize.FailureMessage
	if err := json.Unmarshal([]byte(n.Message), &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Key != "ü/a b.jpg" || msg.VersionID != "v1" || msg.Execution != exec || msg.Step != "Validate" ||
		!strings.Contains(msg.Replay, exec) || !strings.Contains(msg.ReplayAWSCLI, "stateMachine:sanitizer") {
		t.Errorf("%+v", msg)
	}
	recs, _ := e.audit.ByKey(ctx, "ü/a b.jpg")
	if len(recs) != 1 || recs[0].FailedStep != "Validate" || recs[0].Error.Name != "NotJPEG" {
		t.Errorf("%+v", recs)
	}
	if strings.Contains(msg.Replay, "--endpoint-url") || strings.Contains(msg.ReplayAWSCLI, "--endpoint-url") {
		t.Errorf("commands for AWS name an endpoint: %+v", msg)
	}

	// Off AWS (the local stack), the commands name the endpoint they must reach.
	e.svc.Config.Endpoint = "http://127.0.0.1:4566"
	n, err = e.svc.RecordFailure(ctx, sanitize.Attempt{Execution: exec, Number: 2}, sanitize.Failure{Step: "Validate", Error: "NotJPEG"})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(n.Message), &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Replay != "sanitizer replay --endpoint-url 'http://127.0.0.1:4566' '"+exec+"'" ||
		strings.Count(msg.ReplayAWSCLI, "--endpoint-url 'http://127.0.0.1:4566' ") != 2 {
		t.Errorf("replay commands %q, %q", msg.Replay, msg.ReplayAWSCLI)
	}
}

func TestCompareSequencers(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"0055AED6DCD90281E5", "0055AED6DCD90281E5", 0},
		{"0055AED6DCD90281E5", "0055AED6DCD90281E6", -1},
		{"0055AED6DCD90281E6", "0055AED6DCD90281E5", 1},
		{"0055AED6DCD9", "0055AED6DCD90281E5", -1}, // padded with zeros
		{"0055AED6DCD91", "0055AED6DCD90281E5", 1},
		{"0055aed6dcd90281e6", "0055AED6DCD90281E5", 1},
		{"00A", "00A000", 0},
	} {
		if got := sanitize.CompareSequencers(tc.a, tc.b); got != tc.want {
			t.Errorf("%s vs %s = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
