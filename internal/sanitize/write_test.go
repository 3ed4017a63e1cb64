package sanitize_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// staged runs Validate and Strip for a fresh upload of key.
func (e *env) staged(t *testing.T, exec, key string, seed int, sequencer string) sanitize.Job {
	t.Helper()
	at := sanitize.Attempt{Execution: exec, Number: 1}
	job, err := e.svc.Validate(ctx, at, e.upload(t, key, photo(t, seed), sequencer))
	if err != nil {
		t.Fatal(err)
	}
	if job, err = e.svc.Strip(ctx, at, job); err != nil {
		t.Fatal(err)
	}
	return job
}

// record makes the store log every request as "op bucket".
func (e *env) record() func() []string {
	var mu sync.Mutex
	var ops []string
	e.store.Fail = func(op, bucket, key string) error {
		mu.Lock()
		defer mu.Unlock()
		ops = append(ops, op+" "+bucket)
		return nil
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), ops...)
	}
}

// Write publishes with a server-side copy of the staged version: it never reads
// the staged bytes, and the output holds exactly them with the output's metadata.
func TestWritePublishesByCopy(t *testing.T) {
	for _, versioned := range []bool{true, false} {
		t.Run(fmt.Sprint("versioned=", versioned), func(t *testing.T) {
			e := newEnv(t, versioned)
			job := e.staged(t, "e1", "k.jpg", 1, "01")
			ops := e.record()
			job, err := e.svc.Write(ctx, sanitize.Attempt{Execution: "e1", Number: 1}, job)
			if err != nil || job.Published.Outcome != sanitize.Written {
				t.Fatalf("write: %+v %v", job.Published, err)
			}
			var got []string
			for _, op := range ops() {
				if op != "put audit" {
					got = append(got, op)
				}
			}
			if fmt.Sprint(got) != "[copy out]" {
				t.Errorf("requests %q, want one copy to the output: no read of the staged object, no read of the absent output", got)
			}
			e.store.Fail = nil
			body, sinfo, err := e.store.Get(ctx, sanitize.ObjectRef{Bucket: "staging", Key: job.Staged.Key, VersionID: job.Staged.VersionID})
			if err != nil {
				t.Fatal(err)
			}
			staged, _ := io.ReadAll(body)
			out, info, err := e.output(t, "k.jpg")
			if err != nil {
				t.Fatal(err)
			}
			p := job.Published
			if !bytes.Equal(out, staged) || p.Size != int64(len(staged)) || p.VersionID != info.VersionID || p.ETag != info.ETag ||
				p.SHA256 != job.Staged.SHA256 || info.ETag != sinfo.ETag {
				t.Errorf("published %+v, output %+v (%d bytes), staged %d bytes", p, info, len(out), len(staged))
			}
			if info.ContentType != sanitize.ContentTypeJPEG || info.Metadata[sanitize.MetaSourceSequencer] != "01" ||
				info.Metadata[sanitize.MetaSHA256] != job.Staged.SHA256 || info.Metadata[sanitize.MetaPolicyVersion] != job.Stripped.PolicyVersion {
				t.Errorf("output object %+v", info)
			}
			if job, err = e.svc.Verify(ctx, sanitize.Attempt{Execution: "e1", Number: 1}, job); err != nil || !job.Verified.Clean {
				t.Fatalf("verify: %+v %v", job.Verified, err)
			}
		})
	}
}

// A staged version that is gone (the staging lifecycle rule expired it during a
// long retry) or overwritten (an unversioned staging bucket) cannot be published.
func TestWriteStagedObjectMissing(t *testing.T) {
	for name, tc := range map[string]struct {
		versioned bool
		change    func(e *env, st *sanitize.Staged) error
	}{
		"version removed": {true, func(e *env, st *sanitize.Staged) error {
			return e.store.Delete(ctx, sanitize.ObjectRef{Bucket: st.Bucket, Key: st.Key, VersionID: st.VersionID})
		}},
		"expired": {false, func(e *env, st *sanitize.Staged) error {
			return e.store.Delete(ctx, sanitize.ObjectRef{Bucket: st.Bucket, Key: st.Key})
		}},
		"overwritten": {false, func(e *env, st *sanitize.Staged) error {
			_, err := e.store.Put(ctx, sanitize.PutRequest{Bucket: st.Bucket, Key: st.Key, Body: []byte("other bytes")})
			return err
		}},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, tc.versioned)
			job := e.staged(t, "e1", "k.jpg", 1, "01")
			if err := tc.change(e, job.Staged); err != nil {
				t.Fatal(err)
			}
			_, err := e.svc.Write(ctx, sanitize.Attempt{Execution: "e1", Number: 1}, job)
			var missing *sanitize.StagedObjectMissingError
			if !errors.As(err, &missing) {
				t.Fatalf("write: %T %v, want StagedObjectMissingError", err, err)
			}
			if _, _, err := e.output(t, "k.jpg"); !errors.Is(err, sanitize.ErrNotFound) {
				t.Errorf("the output exists: %v", err)
			}
		})
	}
	// A newer staged version of the key does not matter: the pinned one is copied.
	e := newEnv(t, true)
	job := e.staged(t, "e1", "k.jpg", 1, "01")
	if _, err := e.store.Put(ctx, sanitize.PutRequest{Bucket: job.Staged.Bucket, Key: job.Staged.Key, Body: []byte("newer")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.run(t, "e1", job); err != nil {
		t.Fatalf("pinned version: %v", err)
	}
	if out, _, _ := e.output(t, "k.jpg"); bytes.Equal(out, []byte("newer")) {
		t.Fatal("the staged key's newest version was published, not the pinned one")
	}
}

// A newer upload's output lands between Write's read of the output key and its
// copy: the copy's If-None-Match fails, and Write decides again (stale: skipped).
func TestWriteCopyLosesTheRace(t *testing.T) {
	for _, versioned := range []bool{true, false} {
		t.Run(fmt.Sprint("versioned=", versioned), func(t *testing.T) {
			e := newEnv(t, versioned)
			older := e.staged(t, "old", "k.jpg", 1, "01")
			newer := e.staged(t, "new", "k.jpg", 2, "02")
			var fired atomic.Bool
			e.store.Fail = func(op, bucket, key string) error {
				if op == "copy" && !fired.Swap(true) {
					if _, err := e.svc.Write(ctx, sanitize.Attempt{Execution: "new", Number: 1}, newer); err != nil {
						t.Error(err)
					}
				}
				return nil
			}
			job, err := e.svc.Write(ctx, sanitize.Attempt{Execution: "old", Number: 1}, older)
			if err != nil || job.Published.Outcome != sanitize.Skipped {
				t.Fatalf("older write: %+v %v, want skipped", job.Published, err)
			}
			_, info, err := e.output(t, "k.jpg")
			if err != nil || info.Metadata[sanitize.MetaSourceSequencer] != "02" {
				t.Fatalf("output %+v %v, want the newer upload's", info, err)
			}
		})
	}
}

// Verify checks the published bytes are the staged ones: a clean output with the
// right image but other bytes (say, another JFIF header) is rolled back.
func TestVerifyRollsBackOtherBytes(t *testing.T) {
	e := newEnv(t, true)
	prev, err := e.run(t, "prev", e.upload(t, "k.jpg", photo(t, 1), "01"))
	if err != nil {
		t.Fatal(err)
	}
	var stripped bytes.Buffer
	if _, err := metadata.Strip(&stripped, bytes.NewReader(photo(t, 1)), metadata.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	jfif := segment(0xE0, []byte("JFIF\x00\x01\x02\x01\x00\x48\x00\x48\x00\x00"))
	served := append(append([]byte{0xFF, 0xD8}, jfif...), stripped.Bytes()[2:]...)
	if insp, err := metadata.Inspect(bytes.NewReader(served), metadata.DefaultPolicy()); err != nil || !insp.Clean {
		t.Fatalf("the served bytes must be clean for this test: %+v %v", insp, err)
	}
	job := e.upload(t, "k.jpg", photo(t, 1), "02")
	e.svc.Store = tamperingStore{Store: e.store, body: served}
	_, err = e.run(t, "bad", job)
	var verr *sanitize.VerifyError
	var digest *sanitize.OutputDigestError
	if !errors.As(err, &verr) || !errors.As(err, &digest) || verr.RolledBack == "" {
		t.Fatalf("%T %v", err, err)
	}
	if _, info, err := e.output(t, "k.jpg"); err != nil || info.VersionID != prev.Published.VersionID {
		t.Fatalf("after rollback the output is %+v %v, want version %s", info, err, prev.Published.VersionID)
	}
}
