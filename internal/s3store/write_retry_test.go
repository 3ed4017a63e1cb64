package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store/s3test"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

func smallJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 15), uint8(y * 15), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A conditional replace (If-Match) whose first attempt took effect but whose
// answer was lost must not be retried by the SDK: with identical bytes the ETag
// matches again and the output would get a second version of the same upload.
// The step fails transiently instead, and its retry finds the output already
// written for this upload (Unchanged).
func TestWriteReplaceAnswerLostAfterEffect(t *testing.T) {
	srv := s3test.StartLocal(t, 3, s3test.Bucket{Name: "input", Versioned: true}, s3test.Bucket{Name: "output", Versioned: true},
		s3test.Bucket{Name: "staging", Versioned: true}, s3test.Bucket{Name: "audit"})
	store := s3store.New(srv.Client)
	svc := &sanitize.Service{
		Store: store, Audit: &audit.Writer{Objects: store, Bucket: "audit"},
		Config: sanitize.Config{InputBucket: "input", OutputBucket: "output", StagingBucket: "staging", AuditBucket: "audit",
			Policy: metadata.DefaultPolicy()},
	}
	ctx := context.Background()
	body := smallJPEG(t)
	// Two uploads of the same bytes: the second replaces the first's output with
	// identical bytes (same ETag), carrying the newer sequencer.
	var jobs []sanitize.Job
	for _, seq := range []string{"0055AED6DCD90281E5", "0055AED6DCD90281E6"} {
		info, err := store.Put(ctx, sanitize.PutRequest{Bucket: "input", Key: "k.jpg", Body: body, ContentType: "image/jpeg"})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, sanitize.Job{DetailType: "Object Created", EventSource: "aws.s3", Source: sanitize.Source{
			Bucket: "input", Key: "k.jpg", VersionID: info.VersionID, ETag: info.ETag, Size: info.Size, Sequencer: seq}})
	}
	upTo := func(exec string, job sanitize.Job) sanitize.Job {
		t.Helper()
		at := sanitize.Attempt{Execution: exec, Number: 1}
		var err error
		if job, err = svc.Validate(ctx, at, job); err != nil {
			t.Fatal(err)
		}
		if job, err = svc.Strip(ctx, at, job); err != nil {
			t.Fatal(err)
		}
		return job
	}
	first, err := svc.Write(ctx, sanitize.Attempt{Execution: "e1", Number: 1}, upTo("e1", jobs[0]))
	if err != nil || first.Published.Outcome != sanitize.Written {
		t.Fatalf("first write: %+v %v", first.Published, err)
	}

	second := upTo("e2", jobs[1])
	srv.FailNextAfter(1, func(r *http.Request) bool {
		return r.Method == http.MethodPut && r.URL.Path == "/output/k.jpg" && r.Header.Get("If-Match") != ""
	})
	_, err = svc.Write(ctx, sanitize.Attempt{Execution: "e2", Number: 1}, second)
	if !errors.Is(err, sanitize.ErrTransient) {
		t.Fatalf("write whose answer was lost: %v, want a transient error for the state machine to retry", err)
	}
	// The state machine's retry.
	done, err := svc.Write(ctx, sanitize.Attempt{Execution: "e2", Number: 2}, second)
	if err != nil {
		t.Fatalf("retried write: %v", err)
	}
	if done.Published.Outcome != sanitize.Unchanged {
		t.Errorf("retried write: %+v, want Unchanged", done.Published)
	}

	vs, err := srv.Client.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("output"), Prefix: aws.String("k.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Versions) != 2 {
		t.Fatalf("output has %d versions, want 2 (one per upload)", len(vs.Versions))
	}
	cur, err := store.Head(ctx, sanitize.ObjectRef{Bucket: "output", Key: "k.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	if cur.Metadata[sanitize.MetaSourceSequencer] != jobs[1].Source.Sequencer || done.Published.VersionID != cur.VersionID {
		t.Errorf("current output %+v, published %+v: want the second upload's", cur, done.Published)
	}
}
