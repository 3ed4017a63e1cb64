package sanitize_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"sync"
	"testing"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// photo encodes a small picture (seed varies its pixels) and adds metadata a phone
// would: XMP with a GPS position and a comment naming the owner.
func photo(t testing.TB, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 24; x++ {
			img.Set(x, y, color.RGBA{uint8(x*10 + seed), uint8(y * 15), uint8(seed * 40), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	xmp := append([]byte("http://ns.adobe.com/xap/1.0/\x00"), []byte(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.5N" exif:GPSLongitude="2,21.1E"/></rdf:RDF></x:xmpmeta>`)...)
	out := []byte{0xFF, 0xD8}
	out = append(out, segment(0xE1, xmp)...)
	out = append(out, segment(0xFE, []byte("owner: alice@example.com"))...)
	return append(out, buf.Bytes()[2:]...)
}

func segment(marker byte, payload []byte) []byte {
	n := len(payload) + 2
	return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
}

func pngBytes(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// env is a Service over an in-memory store with input "in", output "out", staging
// "staging" and audit "audit" buckets, and a clock that ticks
// a second per reading (S3's LastModified resolution).
type env struct {
	store *s3store.Memory
	svc   *sanitize.Service
	audit *audit.Reader
}

func newEnv(t testing.TB, versioned bool) *env {
	t.Helper()
	m := s3store.NewMemory()
	for _, b := range []string{"in", "out", "staging"} {
		m.CreateBucket(b, versioned)
	}
	m.CreateBucket("audit", false)
	var mu sync.Mutex
	clock := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second)
		return clock
	}
	m.Now = now
	return &env{
		store: m,
		svc: &sanitize.Service{
			Store: m, Audit: &audit.Writer{Objects: m, Bucket: "audit"}, Now: now,
			Config: sanitize.Config{InputBucket: "in", OutputBucket: "out", StagingBucket: "staging", AuditBucket: "audit",
				Policy: metadata.DefaultPolicy(), SSE: sanitize.SSE{Algorithm: "AES256"}},
			ErrorName: func(err error) string { return "test:" + err.Error() },
		},
		audit: &audit.Reader{Objects: m, Bucket: "audit"},
	}
}

// upload puts body into the input bucket and returns the job an S3 event would start.
func (e *env) upload(t testing.TB, key string, body []byte, sequencer string) sanitize.Job {
	t.Helper()
	info, err := e.store.Put(context.Background(), sanitize.PutRequest{Bucket: "in", Key: key, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return sanitize.Job{DetailType: "Object Created", EventSource: "aws.s3", Source: sanitize.Source{
		Bucket: "in", Key: key, VersionID: info.VersionID, ETag: info.ETag, Size: info.Size, Sequencer: sequencer}}
}

// run runs the Object Created steps as the state machine does, stopping at the first
// error or at a skipped Write.
func (e *env) run(t testing.TB, execution string, job sanitize.Job) (sanitize.Job, error) {
	t.Helper()
	ctx := context.Background()
	at := sanitize.Attempt{Execution: execution, Number: 1}
	var err error
	for _, step := range []func(context.Context, sanitize.Attempt, sanitize.Job) (sanitize.Job, error){
		e.svc.Validate, e.svc.Strip, e.svc.Write, e.svc.Verify,
	} {
		if job, err = step(ctx, at, job); err != nil {
			return job, err
		}
		if job.Published != nil && job.Published.Outcome == sanitize.Skipped {
			return job, nil
		}
	}
	return job, nil
}

func (e *env) output(t testing.TB, key string) ([]byte, sanitize.ObjectInfo, error) {
	t.Helper()
	body, info, err := e.store.Get(context.Background(), sanitize.ObjectRef{Bucket: "out", Key: key})
	if err != nil {
		return nil, info, err
	}
	b := new(bytes.Buffer)
	b.ReadFrom(body)
	return b.Bytes(), info, nil
}
