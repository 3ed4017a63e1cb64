package local

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// BenchmarkS3 measures one request through the embedded S3, client and
// server in one process, for the requests the pipeline makes per photo:
// audit-record PUTs (4 KB, If-None-Match), HEADs, and 1 MB PUTs and GETs.
// Bytes are synced to disk as always; writes run from 16 clients, as the
// pipeline's do, so metadata commits batch. cpu-ns/op is what a request costs
// both sides together.
func BenchmarkS3(b *testing.B) {
	ts := startStack(b, "")
	ctx := context.Background()
	c := s3.NewFromConfig(ts.cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	})
	small, photo := bytes.Repeat([]byte("a"), 4<<10), bytes.Repeat([]byte("p"), 1<<20)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("photo"), Body: bytes.NewReader(photo)}); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.Run("put-4KB-if-none-match", func(b *testing.B) {
		b.SetBytes(int64(len(small)))
		defer cpuPerOp(b)()
		b.SetParallelism(8) // 16 writers on 2 cores, as in the pipeline: commits batch
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String(fmt.Sprintf("audit/%d.json", n.Add(1))),
					Body: bytes.NewReader(small), IfNoneMatch: aws.String("*")})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("head", func(b *testing.B) {
		defer cpuPerOp(b)()
		for range b.N {
			if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("staging"), Key: aws.String("photo")}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("put-1MB", func(b *testing.B) {
		b.SetBytes(int64(len(photo)))
		defer cpuPerOp(b)()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String(fmt.Sprintf("p/%d", n.Add(1))), Body: bytes.NewReader(photo)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("get-1MB", func(b *testing.B) { benchGet(b, c, int64(len(photo))) })
}

// benchGet reads staging/photo (size bytes) b.N times.
func benchGet(b *testing.B, c *s3.Client, size int64) {
	b.SetBytes(size)
	defer cpuPerOp(b)()
	for range b.N {
		out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("staging"), Key: aws.String("photo")})
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, out.Body)
		out.Body.Close()
	}
}

// cpuPerOp reports the process's CPU time (user and system, all threads) per
// iteration as cpu-ns/op when the returned function runs.
func cpuPerOp(b *testing.B) func() {
	start := processCPU()
	return func() { b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op") }
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkS3Connections compares the ways the stack's own functions could
// reach it: loopback TCP, as any client does, and in the process (InProcess),
// as `sanitizer run` wires them. cpu-ns/op counts both sides, kernel time included.
func BenchmarkS3Connections(b *testing.B) {
	ts := startStack(b, "")
	inproc := &InProcess{}
	inproc.Serve(ts.Stack)
	ctx := context.Background()
	photo := bytes.Repeat([]byte("p"), 1<<20)
	for _, conn := range []struct {
		name string
		t    http.RoundTripper
	}{
		{"tcp", &http.Transport{MaxIdleConnsPerHost: 16}},
		{"inprocess", inproc},
	} {
		cfg := ts.cfg
		cfg.HTTPClient = &http.Client{Transport: conn.t}
		c := s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = true
			o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
		})
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("photo"), Body: bytes.NewReader(photo)}); err != nil {
			b.Fatal(err)
		}
		b.Run(conn.name+"/get-1MB", func(b *testing.B) { benchGet(b, c, int64(len(photo))) })
		b.Run(conn.name+"/put-1MB", func(b *testing.B) {
			b.SetBytes(int64(len(photo)))
			defer cpuPerOp(b)()
			for i := range b.N {
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String(fmt.Sprintf("%s/%d", conn.name, i)), Body: bytes.NewReader(photo)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
