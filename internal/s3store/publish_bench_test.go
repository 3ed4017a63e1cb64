package s3store_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store/s3test"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// BenchmarkPublish compares the two ways Write can publish a staged 1 MiB photo
// through the local stack's S3 (client and server in this process, over HTTP):
// "get-put" reads the staged version, hashes it and PUTs it (Write before it
// copied), "copy" is the server-side CopyObject Write does now. cpu-ms/op is
// the process's user+system CPU per publish, both sides of the connection.
func BenchmarkPublish(b *testing.B) {
	srv := s3test.StartLocal(b, 1, s3test.Bucket{Name: "staging"}, s3test.Bucket{Name: "out", Versioned: true})
	store := s3store.New(srv.Client)
	ctx := context.Background()
	body := make([]byte, 1<<20)
	rand.Read(body)
	staged, err := store.Put(ctx, sanitize.PutRequest{Bucket: "staging", Key: "staged/x.jpg", Body: body, ContentType: "image/jpeg"})
	if err != nil {
		b.Fatal(err)
	}
	src := sanitize.ObjectRef{Bucket: "staging", Key: "staged/x.jpg", ETag: staged.ETag}
	meta := map[string]string{"sha256": "x", "source-sequencer": "0A"}
	for name, publish := range map[string]func(key string) error{
		"get-put": func(key string) error {
			rc, _, err := store.Get(ctx, src)
			if err != nil {
				return err
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return err
			}
			sha256.Sum256(data)
			_, err = store.Put(ctx, sanitize.PutRequest{Bucket: "out", Key: key, Body: data, ContentType: "image/jpeg", Metadata: meta, IfNoneMatch: true})
			return err
		},
		"copy": func(key string) error {
			_, err := store.Copy(ctx, sanitize.CopyRequest{Source: src, Bucket: "out", Key: key, ContentType: "image/jpeg", Metadata: meta, IfNoneMatch: true})
			return err
		},
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			run := time.Now().UnixNano() // -count runs share nothing, keys included
			before := cpu()
			for i := 0; b.Loop(); i++ {
				if err := publish(fmt.Sprintf("%s/%d/%d.jpg", name, run, i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpu()-before)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpu is the process's user and system CPU time so far.
func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
