package lambdafn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/lambdafn"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/oracle"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// photo encodes a small picture (seed varies its pixels) with XMP GPS and a comment.
func photo(t *testing.T, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for y := 0; y < 24; y++ {
		for x := 0; x < 32; x++ {
			img.Set(x, y, color.RGBA{uint8(x*8 + seed), uint8(y * 10), uint8(seed * 50), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	seg := func(marker byte, payload string) []byte {
		n := len(payload) + 2
		return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
	}
	out := []byte{0xFF, 0xD8}
	out = append(out, seg(0xE1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" xmlns:exif=\"http://ns.adobe.com/exif/1.0/\" exif:GPSLatitude=\"48,51.5N\"/></rdf:RDF></x:xmpmeta>")...)
	out = append(out, seg(0xFE, "taken by alice")...)
	return append(out, buf.Bytes()[2:]...)
}

func pngBytes(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// succeeded checks one successful execution: a clean output whose image data is the
// source's, or, for an image the default policy rotated as its Exif Orientation said,
// exactly the rotated source's (CheckTransform, coefficient by coefficient).
func (p *pipeline) succeeded(t *testing.T, key string, src []byte) (out []byte, rotated bool) {
	t.Helper()
	out, meta, ok := p.output(t, key)
	if !ok {
		t.Fatalf("%q: nothing in the output bucket", key)
	}
	insp, err := metadata.Verify(bytes.NewReader(out), metadata.DefaultPolicy(), false)
	if err != nil {
		t.Fatalf("%q: output not clean: %v", key, err)
	}
	if want := digest(t, src); insp.ImageDigest != want {
		if err := metadata.CheckTransform(src, out, metadata.DefaultPolicy()); err != nil || insp.Orientation != 0 {
			t.Fatalf("%q: image digest %s, source %s, and not its lossless rotation: %v", key, insp.ImageDigest, want, err)
		}
		rotated = true
	}
	if meta["source-sequencer"] == "" || meta["sha256"] == "" {
		t.Errorf("%q: output metadata %v", key, meta)
	}
	return out, rotated
}

// reference is what the output's pixels must equal: the source's, or for a rotated
// output the source rotated by jpegtran -perfect (an independent implementation).
func reference(t *testing.T, src []byte, rotated bool) ([]byte, bool) {
	t.Helper()
	if !rotated {
		return src, true
	}
	insp, err := metadata.Inspect(bytes.NewReader(src), metadata.DefaultPolicy())
	jpegtran, lerr := exec.LookPath("jpegtran")
	if err != nil || lerr != nil || oracle.JpegtranArgs[insp.Orientation] == nil {
		return nil, false
	}
	cmd := exec.Command(jpegtran, append([]string{"-perfect", "-copy", "none"}, oracle.JpegtranArgs[insp.Orientation]...)...)
	cmd.Stdin = bytes.NewReader(src)
	var turned bytes.Buffer
	cmd.Stdout = &turned
	if err := cmd.Run(); err != nil {
		t.Errorf("jpegtran -perfect refuses an image the pipeline rotated: %v", err)
		return nil, false
	}
	return turned.Bytes(), true
}

// failed checks one failed execution: a domain error, one notification, audit records,
// nothing published.
func (p *pipeline) failed(t *testing.T, key string, d asl.Description) string {
	t.Helper()
	if d.Status != asl.StatusFailed {
		t.Fatalf("%q: %s", key, d.Status)
	}
	name := str(d.Error)
	if !slices.Contains(lambdafn.ErrorNames, name) || lambdafn.Retryable(name) {
		t.Errorf("%q: failed with %q (%s), want a domain error", key, name, str(d.Cause))
	}
	msgs := p.sns.forKey(t, key)
	if len(msgs) != 1 || msgs[0].Error != name || msgs[0].Execution != d.ExecutionArn || !strings.Contains(msgs[0].Replay, d.ExecutionArn) {
		t.Errorf("%q: notifications %+v", key, msgs)
	}
	recs, err := p.audit.ByExecution(context.Background(), d.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 2 || recs[len(recs)-1].Step != audit.StepRecordFailure || recs[len(recs)-1].Error.Name != name {
		t.Errorf("%q: audit %+v", key, recs)
	}
	if _, _, ok := p.output(t, key); ok {
		t.Errorf("%q: published despite failing", key)
	}
	return name
}

func TestKeysRoundTrip(t *testing.T) {
	p := newPipeline(t)
	for i, key := range []string{"plain.jpg", "deep/a/b/c/d/IMG_0001.JPEG", "with space.jpg", "a+b.jpg", "100%20sure.jpg",
		"%2B++ %20.jpeg", "ünïcødé/写真 📷.jpg"} {
		src := photo(t, i)
		d, x := p.run(t, p.upload(t, key, src))
		if d.Status != asl.StatusSucceeded {
			t.Fatalf("%q: %s %s %s", key, d.Status, str(d.Error), str(d.Cause))
		}
		p.succeeded(t, key, src)
		if got := statesEntered(x); !slices.Equal(got, []string{"Route", "Validate", "Strip", "Write", "Published?", "Verify", "Sanitized"}) {
			t.Errorf("%q: states %v", key, got)
		}
		recs, err := p.audit.ByKey(context.Background(), key)
		if err != nil || len(recs) != 4 {
			t.Errorf("%q: %d audit records by key, %v", key, len(recs), err)
		}
	}
	// What went over the wire: exact-version reads of the input, encrypted
	// create-only writes of outputs and audit records.
	var versionReads, outputPuts, auditPuts int
	for _, r := range p.s3.Requests() {
		switch {
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/uploads/"):
			if r.URL.Query().Get("versionId") == "" {
				t.Errorf("input read without a version: %s", r.URL)
			}
			versionReads++
		case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/sanitized/"):
			if r.Header.Get("X-Amz-Server-Side-Encryption") != "AES256" || r.Header.Get("If-None-Match") != "*" ||
				r.Header.Get("Content-Type") != "image/jpeg" || r.Header.Get("X-Amz-Meta-Source-Sequencer") == "" {
				t.Errorf("output write %s: %v", r.URL, r.Header)
			}
			outputPuts++
		case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/audit/"):
			if r.Header.Get("If-None-Match") != "*" {
				t.Errorf("audit write without If-None-Match: %s", r.URL)
			}
			auditPuts++
		}
	}
	// Four records per upload, and one key-index entry (written by Validate).
	if versionReads != 7*2 || outputPuts != 7 || auditPuts != 7*(4+1) {
		t.Errorf("%d version reads, %d output writes, %d audit writes", versionReads, outputPuts, auditPuts)
	}
}

func TestDomainErrorIsNotRetriedAndNotifiedOnce(t *testing.T) {
	p := newPipeline(t)
	d, x := p.run(t, p.upload(t, "holiday.jpg", pngBytes(t)))
	if name := p.failed(t, "holiday.jpg", d); name != lambdafn.NotJPEG {
		t.Fatalf("error %q", name)
	}
	if n := p.tasks.count(lambdafn.FnValidate); n != 1 {
		t.Errorf("validate ran %d times", n)
	}
	if got := statesEntered(x); !slices.Equal(got, []string{"Route", "Validate", "ValidateFailed", "RecordFailure", "NotifyFailure", "Failed"}) {
		t.Errorf("states %v", got)
	}
	msg := p.sns.forKey(t, "holiday.jpg")[0]
	if msg.Step != "Validate" || msg.VersionID == "" || !strings.Contains(msg.Cause, "PNG") || !strings.Contains(msg.Audit, "s3://audit/executions/") {
		t.Errorf("message %+v", msg)
	}
	if p.sns.msgs[0].Subject != "s3-image-sanitizer: Validate failed: NotJPEG" || p.sns.msgs[0].MessageAttributes["error"].StringValue != "NotJPEG" {
		t.Errorf("publish %+v", p.sns.msgs[0])
	}
	if len(p.sleeps.all()) != 0 {
		t.Errorf("waited %v before failing", p.sleeps.all())
	}
}

func TestFaultsAreRetriedAndRecovered(t *testing.T) {
	t.Run("handler panics", func(t *testing.T) {
		p := newPipeline(t)
		orig := p.handler[functionARN(lambdafn.FnStrip)]
		pan := &panicking{h: orig}
		pan.n.Store(2)
		p.handler[functionARN(lambdafn.FnStrip)] = pan
		src := photo(t, 1)
		d, _ := p.run(t, p.upload(t, "p.jpg", src))
		if d.Status != asl.StatusSucceeded {
			t.Fatalf("%s %s %s", d.Status, str(d.Error), str(d.Cause))
		}
		p.succeeded(t, "p.jpg", src)
		if n := p.tasks.count(lambdafn.FnStrip); n != 3 {
			t.Errorf("strip ran %d times, want 3", n)
		}
	})
	t.Run("S3 answers 503", func(t *testing.T) {
		p := newPipeline(t)
		src := photo(t, 2)
		ev := p.upload(t, "s.jpg", src)
		// Four failed GETs on the input: each Validate attempt makes two (the SDK's own
		// retry), so two attempts fail as TransientS3 and the third succeeds.
		p.s3.FailNext(4, func(r *http.Request) bool {
			return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/uploads/")
		})
		d, _ := p.run(t, ev)
		if d.Status != asl.StatusSucceeded {
			t.Fatalf("%s %s %s", d.Status, str(d.Error), str(d.Cause))
		}
		p.succeeded(t, "s.jpg", src)
		if n := p.tasks.count(lambdafn.FnValidate); n != 3 || p.s3.Injected() != 4 {
			t.Errorf("validate ran %d times, %d injected 503s", n, p.s3.Injected())
		}
		for _, w := range p.sleeps.all() {
			if w > 20*time.Second {
				t.Errorf("waited %v, beyond MaxDelaySeconds", w)
			}
		}
	})
	t.Run("Lambda throttles", func(t *testing.T) {
		p := newPipeline(t)
		p.tasks.throttle[lambdafn.FnWrite] = 3
		src := photo(t, 3)
		d, _ := p.run(t, p.upload(t, "t.jpg", src))
		if d.Status != asl.StatusSucceeded {
			t.Fatalf("%s %s %s", d.Status, str(d.Error), str(d.Cause))
		}
		p.succeeded(t, "t.jpg", src)
		if n := p.tasks.count(lambdafn.FnWrite); n != 4 {
			t.Errorf("write ran %d times, want 4", n)
		}
		if waits := p.sleeps.all(); len(waits) != 3 {
			t.Errorf("waits %v", waits)
		}
	})
	t.Run("S3 down for good", func(t *testing.T) {
		p := newPipeline(t)
		ev := p.upload(t, "down.jpg", photo(t, 4))
		p.s3.FailNext(1000, func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/uploads/") })
		d, _ := p.run(t, ev)
		if d.Status != asl.StatusFailed || str(d.Error) != lambdafn.TransientS3 {
			t.Fatalf("%s %s", d.Status, str(d.Error))
		}
		if n := p.tasks.count(lambdafn.FnValidate); n != 6 {
			t.Errorf("validate ran %d times, want 1 + 5 retries", n)
		}
		if msgs := p.sns.forKey(t, "down.jpg"); len(msgs) != 1 || msgs[0].Error != lambdafn.TransientS3 {
			t.Errorf("notifications %+v", msgs)
		}
	})
}

func TestOutOfOrderAndDuplicateEvents(t *testing.T) {
	p := newPipeline(t)
	v1, v2 := photo(t, 1), photo(t, 2)
	older := p.upload(t, "k.jpg", v1)
	newer := p.upload(t, "k.jpg", v2)
	for i, tc := range []struct {
		name   string
		event  []byte
		last   string
		digest []byte
	}{
		{"newer first", newer, "Sanitized", v2},
		{"older late", older, "Skipped", v2},
		{"newer again", newer, "Sanitized", v2},
	} {
		d, x := p.run(t, tc.event)
		if d.Status != asl.StatusSucceeded {
			t.Fatalf("%s: %s %s", tc.name, str(d.Error), str(d.Cause))
		}
		if states := statesEntered(x); states[len(states)-1] != tc.last {
			t.Errorf("%s: states %v", tc.name, states)
		}
		p.succeeded(t, "k.jpg", tc.digest)
		if i == 0 {
			continue
		}
		var ev lambdafn.Event
		json.Unmarshal(newer, &ev)
		if _, meta, _ := p.output(t, "k.jpg"); meta["source-version-id"] != ev.Detail.Object.VersionID {
			t.Errorf("%s: output from version %q", tc.name, meta["source-version-id"])
		}
	}
	versions, err := p.client.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String("sanitized")})
	if err == nil && len(versions.Versions) > 1 {
		t.Errorf("%d output versions, want 1", len(versions.Versions))
	}
}

func TestDeleteUnpublishes(t *testing.T) {
	p := newPipeline(t)
	src := photo(t, 1)
	if d, _ := p.run(t, p.upload(t, "gone.jpg", src)); d.Status != asl.StatusSucceeded {
		t.Fatal(str(d.Cause))
	}
	if d, _ := p.run(t, p.upload(t, "back.jpg", src)); d.Status != asl.StatusSucceeded {
		t.Fatal(str(d.Cause))
	}
	ctx := context.Background()
	for _, key := range []string{"gone.jpg", "back.jpg"} {
		del, err := p.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		_ = del
	}
	goneEvent := p.event("Object Deleted", "gone.jpg", "", "", 0)
	backEvent := p.event("Object Deleted", "back.jpg", "", "", 0)
	p.upload(t, "back.jpg", src) // re-uploaded before its delete event is processed
	for key, tc := range map[string]struct {
		event     []byte
		published bool
	}{"gone.jpg": {goneEvent, false}, "back.jpg": {backEvent, true}} {
		d, x := p.run(t, tc.event)
		if d.Status != asl.StatusSucceeded || !slices.Equal(statesEntered(x), []string{"Route", "Unpublish", "Unpublished"}) {
			t.Fatalf("%q: %s %s %v", key, d.Status, str(d.Cause), statesEntered(x))
		}
		if _, _, ok := p.output(t, key); ok != tc.published {
			t.Errorf("%q: published %v, want %v", key, ok, tc.published)
		}
	}
}

// TestCorpus runs every file of ../shared/corpus through the whole pipeline.
func TestCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "files")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skip("../shared/corpus not found")
	}
	// The manifest flags files from decoder bug reports and fuzzers: only those may be rejected.
	var manifest []struct {
		File      string `json:"file"`
		IsCorrupt bool   `json:"is_corrupt"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "..", "manifest.json")); err == nil {
		if err := json.Unmarshal(b, &manifest); err != nil {
			t.Fatal(err)
		}
	}
	corrupt := map[string]bool{}
	for _, m := range manifest {
		corrupt[m.File] = m.IsCorrupt
	}
	djpeg, _ := exec.LookPath("djpeg")
	p := newPipeline(t)
	outDir := t.TempDir()
	var mu sync.Mutex
	outcomes := map[string]int{}
	pixelsCompared := 0
	count := func(outcome string, compared bool) {
		mu.Lock()
		defer mu.Unlock()
		outcomes[outcome]++
		if compared {
			pixelsCompared++
		}
	}
	t.Run("files", func(t *testing.T) {
		for _, e := range entries {
			t.Run(e.Name(), func(t *testing.T) {
				t.Parallel() // executions for different keys are independent, as on AWS
				src, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				key := "corpus/" + e.Name()
				d, _ := p.run(t, p.upload(t, key, src))
				if d.Status != asl.StatusSucceeded {
					count(p.failed(t, key, d), false)
					if len(manifest) > 0 && !corrupt[e.Name()] {
						t.Errorf("%q: rejected (%s: %s), but the corpus does not flag it corrupt", key, str(d.Error), str(d.Cause))
					}
					return
				}
				out, rotated := p.succeeded(t, key, src)
				if err := os.WriteFile(filepath.Join(outDir, e.Name()), out, 0o644); err != nil {
					t.Fatal(err)
				}
				compared := false
				ref, ok := reference(t, src, rotated)
				if !ok {
					ref = nil
				}
				if want, ok := decode(djpeg, ref); ok {
					got, ok := decode(djpeg, out)
					if !ok || !bytes.Equal(got, want) {
						t.Errorf("%q: djpeg pixels differ", key)
					}
					compared = true
				}
				count("clean", compared)
				if rotated {
					count("of which rotated", false)
				}
			})
		}
	})
	if len(p.sns.msgs) != len(entries)-outcomes["clean"] {
		t.Errorf("%d notifications for %d failures", len(p.sns.msgs), len(entries)-outcomes["clean"])
	}
	t.Logf("%d files: %v; djpeg pixels identical for %d", len(entries), outcomes, pixelsCompared)
	if left := exiftoolLeftovers(t, outDir); len(left) > 0 {
		t.Errorf("exiftool finds metadata in %d outputs: %v", len(left), left)
	}
}

// decode returns djpeg's pixels for a JPEG, ok false when djpeg is not installed or
// cannot decode it.
func decode(djpeg string, b []byte) ([]byte, bool) {
	if djpeg == "" || b == nil {
		return nil, false
	}
	cmd := exec.Command(djpeg, "-pnm")
	cmd.Stdin = bytes.NewReader(b)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return nil, false
	}
	return out.Bytes(), true
}

// exiftoolLeftovers runs exiftool once over every output and returns, per file, the
// tags it finds that the policy removes. The policy keeps JFIF, Adobe, ICC profiles and
// a minimal Exif holding Orientation alone; everything else counts.
func exiftoolLeftovers(t *testing.T, dir string) map[string][]string {
	t.Helper()
	exiftool, err := exec.LookPath("exiftool")
	if err != nil {
		t.Log("exiftool not installed: outputs not cross-checked")
		return nil
	}
	out, err := exec.Command(exiftool, "-j", "-G1", "-a", "-q", "-q", dir).Output()
	if err != nil && len(out) == 0 {
		t.Fatalf("exiftool: %v", err)
	}
	var files []map[string]any
	if err := json.Unmarshal(out, &files); err != nil {
		t.Fatalf("exiftool output: %v", err)
	}
	t.Logf("exiftool read %d outputs", len(files))
	left := map[string][]string{}
	for _, f := range files {
		name := filepath.Base(fmt.Sprint(f["SourceFile"]))
		for tag := range f {
			group, _, _ := strings.Cut(tag, ":")
			switch {
			case tag == "SourceFile", tag == "IFD0:Orientation":
			case slices.Contains([]string{"ExifTool", "System", "File", "JFIF", "Adobe", "Composite", "ICC_Profile"}, group),
				strings.HasPrefix(group, "ICC-"):
				if tag == "File:Comment" || tag == "File:Warning" && strings.Contains(fmt.Sprint(f[tag]), "trailer") {
					left[name] = append(left[name], tag)
				}
			default:
				left[name] = append(left[name], tag)
			}
		}
	}
	return left
}

func TestVerifyFailureRollsBack(t *testing.T) {
	p := newPipeline(t)
	src := photo(t, 5)
	ev := p.upload(t, "rolled.jpg", src)
	// The output bucket serves the unsanitized source instead of what was written.
	p.s3.RewriteGets(func(r *http.Request, body []byte) []byte {
		if strings.HasPrefix(r.URL.Path, "/sanitized/") {
			return src
		}
		return body
	})
	d, x := p.run(t, ev)
	p.s3.RewriteGets(nil)
	if name := p.failed(t, "rolled.jpg", d); name != lambdafn.MetadataRemains {
		t.Fatalf("error %q", name)
	}
	if got := statesEntered(x); !slices.Contains(got, "VerifyFailed") {
		t.Errorf("states %v", got)
	}
	if verify := p.record(t, d.ExecutionArn, audit.StepVerify); verify.Outcome != audit.Failed || !strings.Contains(verify.Reason, "rolled back") {
		t.Errorf("verify record %+v", verify)
	}
}

func TestFailureIsNotifiedEvenWhenItCannotBeRecorded(t *testing.T) {
	p := newPipeline(t)
	ev := p.upload(t, "unrecorded.jpg", pngBytes(t))
	p.s3.FailNext(1_000_000, func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/audit/") })
	d, x := p.run(t, ev)
	if d.Status != asl.StatusFailed || str(d.Error) != "RecordFailureFailed" {
		t.Fatalf("%s %s", d.Status, str(d.Error))
	}
	if got := statesEntered(x); got[len(got)-2] != "NotifyUnrecordedFailure" {
		t.Errorf("states %v", got)
	}
	if len(p.sns.msgs) != 1 || !strings.Contains(p.sns.msgs[0].Message, "NotJPEG") || !strings.Contains(p.sns.msgs[0].Message, "unrecorded.jpg") {
		t.Errorf("messages %+v", p.sns.msgs)
	}
}

func TestReprocessAndETagOnlyEvents(t *testing.T) {
	p := newPipeline(t)
	src := photo(t, 6)
	var ev lambdafn.Event
	if err := json.Unmarshal(p.upload(t, "again.jpg", src), &ev); err != nil {
		t.Fatal(err)
	}
	if d, _ := p.run(t, mustJSON(t, ev)); d.Status != asl.StatusSucceeded {
		t.Fatal(str(d.Cause))
	}
	// An unversioned bucket's event names the bytes by ETag alone.
	etagOnly := ev
	etagOnly.Detail.Object.VersionID = ""
	// The reprocess command names only the key.
	reprocess := ev
	reprocess.Source, reprocess.Detail.Reason = "s3-image-sanitizer.reprocess", "Reprocess"
	reprocess.Detail.Object.VersionID, reprocess.Detail.Object.ETag, reprocess.Detail.Object.Sequencer, reprocess.Detail.Object.Size = "", "", "", 0
	for name, e := range map[string]lambdafn.Event{"etag only": etagOnly, "reprocess": reprocess} {
		d, x := p.run(t, mustJSON(t, e))
		if d.Status != asl.StatusSucceeded || statesEntered(x)[len(statesEntered(x))-1] != "Sanitized" {
			t.Fatalf("%s: %s %s %v", name, d.Status, str(d.Cause), statesEntered(x))
		}
		var out struct{ Job sanitize.Job }
		json.Unmarshal([]byte(d.Output.String()), &out)
		if out.Job.Published.Outcome != sanitize.Unchanged || out.Job.Source.ETag != ev.Detail.Object.ETag {
			t.Errorf("%s: %+v %+v", name, out.Job.Source, out.Job.Published)
		}
	}
	p.succeeded(t, "again.jpg", src)
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
