package lambdafn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/lambdafn"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store/s3test"
)

// TestVerifyFailureRollsBackVersionedOutput runs Verify's rollback in a versioned
// output bucket, on the local stack's S3 (internal/local, what `sanitizer run`
// serves, where every bucket is versioned). gofakes3's in-memory backend cannot
// host this test: it keeps no current version once the current one is deleted.
// On S3, deleting the current version by its id makes the previous one current,
// so after a failed verify readers get the last good output again.
func TestVerifyFailureRollsBackVersionedOutput(t *testing.T) {
	srv := s3test.StartLocal(t, 2,
		s3test.Bucket{Name: "uploads", Versioned: true}, s3test.Bucket{Name: "sanitized", Versioned: true},
		s3test.Bucket{Name: "staging"}, s3test.Bucket{Name: "audit"})
	p := newPipelineOn(t, srv.Client)
	p.s3 = srv
	ctx := context.Background()
	const key = "albums/rolled back.jpg"

	d, _ := p.run(t, p.upload(t, key, photo(t, 5)))
	if d.Status != asl.StatusSucceeded {
		t.Fatalf("first upload: %s %s %s", d.Status, str(d.Error), str(d.Cause))
	}
	good, goodVersion := p.currentOutput(t, key)
	if goodVersion == "" || goodVersion == "null" {
		t.Fatalf("output bucket is not versioned: version %q", goodVersion)
	}

	// The second upload's output reads back as the unsanitized source.
	src := photo(t, 6)
	p.s3.RewriteGets(func(r *http.Request, body []byte) []byte {
		if strings.HasPrefix(r.URL.Path, "/sanitized/") {
			return src
		}
		return body
	})
	d, x := p.run(t, p.upload(t, key, src))
	p.s3.RewriteGets(nil)
	if d.Status != asl.StatusFailed || str(d.Error) != lambdafn.MetadataRemains {
		t.Fatalf("second upload: %s %s %s", d.Status, str(d.Error), str(d.Cause))
	}
	if got := statesEntered(x); !slices.Contains(got, "VerifyFailed") {
		t.Errorf("states %v", got)
	}
	if msgs := p.sns.forKey(t, key); len(msgs) != 1 || msgs[0].Error != lambdafn.MetadataRemains {
		t.Errorf("notifications %+v", msgs)
	}
	verify := p.record(t, d.ExecutionArn, audit.StepVerify)
	if verify.Outcome != audit.Failed || !strings.Contains(verify.Reason, "rolled back") {
		t.Errorf("verify record %+v", verify)
	}

	// The previous good output is current again, and the bad version is gone.
	body, version := p.currentOutput(t, key)
	if version != goodVersion || !bytes.Equal(body, good) {
		t.Errorf("after rollback the output is version %q (%d bytes), want %q (%d bytes)", version, len(body), goodVersion, len(good))
	}
	list, err := p.client.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("sanitized"), Prefix: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.DeleteMarkers) != 0 || len(list.Versions) != 1 || aws.ToString(list.Versions[0].VersionId) != goodVersion {
		t.Errorf("output versions after rollback: %d versions, %d delete markers", len(list.Versions), len(list.DeleteMarkers))
	}
}

// record returns the last audit record of step in execution.
func (p *pipeline) record(t *testing.T, execution string, step string) audit.Record {
	t.Helper()
	recs, err := p.audit.ByExecution(context.Background(), execution)
	if err != nil {
		t.Fatal(err)
	}
	var last audit.Record
	for _, r := range recs {
		if r.Step == step {
			last = r
		}
	}
	return last
}

// currentOutput reads the output bucket's current object for key and its version.
func (p *pipeline) currentOutput(t *testing.T, key string) ([]byte, string) {
	t.Helper()
	out, err := p.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("sanitized"), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("output %q: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, aws.ToString(out.VersionId)
}

// crashAfterFirst runs h, then, as if the stack died before the execution's
// checkpoint, runs it again with the same payload and returns only the second
// result: what the resumed execution sees.
type crashAfterFirst struct {
	h      lambda.Handler
	before func() // runs between the two invocations
}

func (c crashAfterFirst) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	c.h.Invoke(ctx, payload)
	c.before()
	return c.h.Invoke(ctx, payload)
}

// A Verify that rolled back a bad output and was then lost in a crash runs again on
// resume: it must fail again, with a domain error, and notify once.
func TestResumedVerifyAfterRollbackStillFails(t *testing.T) {
	srv := s3test.StartLocal(t, 2,
		s3test.Bucket{Name: "uploads", Versioned: true}, s3test.Bucket{Name: "sanitized", Versioned: true},
		s3test.Bucket{Name: "staging"}, s3test.Bucket{Name: "audit"})
	p := newPipelineOn(t, srv.Client)
	p.s3 = srv
	const key = "albums/lost rejection.jpg"
	d, _ := p.run(t, p.upload(t, key, photo(t, 5)))
	if d.Status != asl.StatusSucceeded {
		t.Fatalf("first upload: %s %s %s", d.Status, str(d.Error), str(d.Cause))
	}
	good, goodVersion := p.currentOutput(t, key)

	src := photo(t, 6)
	verify := functionARN("verify")
	p.handler[verify] = crashAfterFirst{h: p.handler[verify], before: func() { p.s3.RewriteGets(nil) }}
	p.s3.RewriteGets(func(r *http.Request, body []byte) []byte {
		if strings.HasPrefix(r.URL.Path, "/sanitized/") {
			return src // the published output reads back unsanitized: the first Verify rolls it back
		}
		return body
	})
	d, x := p.run(t, p.upload(t, key, src))
	p.s3.RewriteGets(nil)
	if d.Status != asl.StatusFailed || str(d.Error) != lambdafn.OutputRemoved {
		t.Fatalf("resumed verify: %s %s %s", d.Status, str(d.Error), str(d.Cause))
	}
	if got := statesEntered(x); !slices.Contains(got, "VerifyFailed") {
		t.Errorf("states %v", got)
	}
	if msgs := p.sns.forKey(t, key); len(msgs) != 1 || msgs[0].Error != lambdafn.OutputRemoved {
		t.Errorf("notifications %+v", msgs)
	}
	if body, version := p.currentOutput(t, key); version != goodVersion || !bytes.Equal(body, good) {
		t.Errorf("output is version %q, want the previous good one %q", version, goodVersion)
	}
}

// A newer upload's output replacing ours before Verify reads it still ends as replaced.
func TestVerifyOfReplacedOutputIsSuperseded(t *testing.T) {
	p := newPipeline(t) // the output bucket is not versioned: reading by ETag finds the newer bytes
	const key = "albums/replaced.jpg"
	older := p.upload(t, key, photo(t, 7))
	newer := p.upload(t, key, photo(t, 8))
	verify := functionARN("verify")
	real := p.handler[verify]
	var once atomic.Bool
	p.handler[verify] = lambda.NewHandler(func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		if once.CompareAndSwap(false, true) {
			// The newer upload's execution publishes before the older one verifies.
			p.handler[verify] = real
			if d, _ := p.run(t, newer); d.Status != asl.StatusSucceeded {
				t.Errorf("newer upload: %s %s %s", d.Status, str(d.Error), str(d.Cause))
			}
		}
		out, err := real.Invoke(ctx, payload)
		return out, err
	})
	d, _ := p.run(t, older)
	if d.Status != asl.StatusSucceeded {
		t.Fatalf("older upload: %s %s %s", d.Status, str(d.Error), str(d.Cause))
	}
	if msgs := p.sns.forKey(t, key); len(msgs) != 0 {
		t.Errorf("notifications %+v", msgs)
	}
}
