package sanitize_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// A Verify that rolled back a bad output, then ran again because the crash that
// followed lost its failure (the state machine resumed from the checkpoint before
// Verify), must fail again: the rejection may not turn into a success.
func TestVerifyResumedAfterRollbackFails(t *testing.T) {
	for _, tc := range []struct {
		name      string
		versioned bool
		previous  bool // an older upload's output exists (current again after the rollback)
	}{
		{"versioned, older output restored", true, true},
		{"versioned, no older output", true, false},
		{"unversioned, no output", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.versioned)
			if tc.previous {
				if _, err := e.run(t, "prev", e.upload(t, "k.jpg", photo(t, 1), "01")); err != nil {
					t.Fatal(err)
				}
			}
			at := sanitize.Attempt{Execution: "bad", Number: 1}
			job := e.upload(t, "k.jpg", photo(t, 2), "02")
			job = e.publish(t, at, job)
			var err error
			e.svc.Store = tamperingStore{Store: e.store, body: photo(t, 2)} // reads back unsanitized
			var verr *sanitize.VerifyError
			if _, err := e.svc.Verify(ctx, at, job); !errors.As(err, &verr) || verr.RolledBack == "" {
				t.Fatalf("first verify: %v", err)
			}
			e.svc.Store = e.store
			// The resumed execution runs Verify again with the same input.
			_, err = e.svc.Verify(ctx, sanitize.Attempt{Execution: "bad", Number: 1}, job)
			var removed *sanitize.OutputRemovedError
			if !errors.As(err, &removed) || removed.Key != "k.jpg" {
				t.Fatalf("resumed verify: %T %v, want *OutputRemovedError", err, err)
			}
		})
	}
}

// The published version deleted by someone else, and the key then written by a
// newer upload's execution: Verify still ends as superseded.
func TestVerifySkipsWhenVersionGoneAndNewerUploadPublished(t *testing.T) {
	e := newEnv(t, true)
	at := sanitize.Attempt{Execution: "first", Number: 1}
	job := e.upload(t, "k.jpg", photo(t, 1), "01")
	job = e.publish(t, at, job)
	var err error
	if _, err := e.run(t, "second", e.upload(t, "k.jpg", photo(t, 2), "02")); err != nil {
		t.Fatal(err)
	}
	p := job.Published
	if err := e.store.Delete(ctx, sanitize.ObjectRef{Bucket: p.Bucket, Key: p.Key, VersionID: p.VersionID}); err != nil {
		t.Fatal(err)
	}
	job, err = e.svc.Verify(ctx, at, job)
	if err != nil || job.Verified == nil || !job.Verified.Superseded {
		t.Fatalf("%+v %v", job.Verified, err)
	}
}

// publish runs Validate, Strip and Write: the steps before a Verify.
func (e *env) publish(t *testing.T, at sanitize.Attempt, job sanitize.Job) sanitize.Job {
	t.Helper()
	var err error
	for _, step := range []func(context.Context, sanitize.Attempt, sanitize.Job) (sanitize.Job, error){e.svc.Validate, e.svc.Strip, e.svc.Write} {
		if job, err = step(ctx, at, job); err != nil {
			t.Fatal(err)
		}
	}
	return job
}

// bomb is a small grayscale JPEG whose frame header claims 10000x8000 pixels
// (80 MP, under the default 100 MP limit) for a few bytes of entropy-coded data.
func bomb(t testing.TB) []byte {
	t.Helper()
	b := jpegfixture.Gray(16, 16, 3)
	i := bytes.Index(b, []byte{0xFF, jpeg.SOF0})
	if i < 0 {
		t.Fatal("fixture has no SOF0")
	}
	binary.BigEndian.PutUint16(b[i+5:], 8000)  // height
	binary.BigEndian.PutUint16(b[i+7:], 10000) // width
	return b
}

func TestValidateRefusesFramesTooBigForTheirData(t *testing.T) {
	e := newEnv(t, true)
	src := bomb(t)
	_, err := e.run(t, "bomb", e.upload(t, "bomb.jpg", src, "01"))
	var derr *metadata.DecodeError
	if !errors.As(err, &derr) {
		t.Fatalf("%d-byte bomb: %T %v, want *metadata.DecodeError", len(src), err, err)
	}
	if _, _, err := e.output(t, "bomb.jpg"); err == nil {
		t.Error("the bomb was published")
	}
	recs, _ := e.audit.ByExecution(ctx, "bomb")
	if len(recs) != 1 || recs[0].Step != "validate" {
		t.Errorf("audit records %+v, want one validate record", recs)
	}
	// A real image that small is accepted.
	if _, err := e.run(t, "small", e.upload(t, "small.jpg", jpegfixture.Gray(16, 16, 3), "02")); err != nil {
		t.Fatal(err)
	}
}

// A file whose structure is sound but whose scan is cut short (an upload
// interrupted and patched up, or damaged on the way) is refused by Validate:
// nothing is staged or published, and its one audit record says why.
func TestValidateRefusesCorruptScanBeforeWriting(t *testing.T) {
	src := photo(t, 3)
	sos := bytes.Index(src, []byte{0xFF, jpeg.SOS})
	if sos < 0 {
		t.Fatal("fixture has no SOS")
	}
	start := sos + 2 + int(binary.BigEndian.Uint16(src[sos+2:]))
	cut := append(append([]byte{}, src[:start+(len(src)-2-start)/2]...), 0xFF, jpeg.EOI)
	if _, err := metadata.Inspect(bytes.NewReader(cut), metadata.DefaultPolicy()); err != nil {
		t.Fatalf("the cut file must parse, so that only a decode tells: %v", err)
	}
	e := newEnv(t, true)
	_, err := e.run(t, "cut", e.upload(t, "cut.jpg", cut, "01"))
	var derr *metadata.DecodeError
	if !errors.As(err, &derr) {
		t.Fatalf("%T %v, want *metadata.DecodeError", err, err)
	}
	if _, _, err := e.output(t, "cut.jpg"); err == nil {
		t.Error("the corrupt file was published")
	}
	if list, err := e.store.List(ctx, "staging", ""); err != nil || len(list) != 0 {
		t.Errorf("staged %v %v", list, err)
	}
	recs, _ := e.audit.ByExecution(ctx, "cut")
	if len(recs) != 1 || recs[0].Step != audit.StepValidate || recs[0].Outcome != audit.Failed {
		t.Errorf("audit records %+v, want one failed validate record", recs)
	}
	// The whole photo passes, and Verify accepts its output without decoding it again.
	job, err := e.run(t, "whole", e.upload(t, "whole.jpg", src, "02"))
	if err != nil || job.Validation.Decode != "ok" || job.Verified == nil || !job.Verified.Clean {
		t.Fatalf("%v %+v", err, job.Validation)
	}
}
