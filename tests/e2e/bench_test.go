package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// rssKB reads a process's resident set size from /proc.
func rssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(line)[1])
			return n
		}
	}
	return 0
}

// cpuSeconds reads a process's user+system CPU time from /proc.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // clock ticks (USER_HZ = 100)
}

// BenchmarkPipeline uploads b.N photos through the S3 API of a `sanitizer run`
// process with 8 clients and waits until every sanitized copy is in B: images/s
// through the whole local pipeline (S3 → EventBridge → Step Functions → the
// Lambda handlers → S3), with durability on. PHOTO_KB sets the photo size
// (default about 1 MB).
func BenchmarkPipeline(b *testing.B) {
	kb := 1024
	if v, err := strconv.Atoi(os.Getenv("PHOTO_KB")); err == nil && v > 0 {
		kb = v
	}
	s := start(b, b.TempDir())
	b.ReportMetric(float64(rssKB(s.cmd.Process.Pid))/1024, "idle-MB")
	// A photo of about kb KB: a noisy image (entropy-coded data is most of it) with Exif.
	side := 64
	var body []byte
	for {
		body = jpegfixture.New(jpegfixture.Baseline(side, side*3/4, 9)).Add(
			jpegfixture.Exif(jpegfixture.ExifSpec{Make: "Phone", SerialNumber: "SN", GPS: true, Thumbnail: jpegfixture.Baseline(160, 120, 2)})).Bytes()
		if len(body) >= kb*1024 || side > 8192 {
			break
		}
		side = side * 5 / 4
	}
	b.ReportMetric(float64(len(body))/1024, "photo-KB")
	c := s.s3()
	cpu0 := cpuSeconds(s.cmd.Process.Pid)
	b.ResetTimer()
	began := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(inputBucket),
					Key: aws.String(fmt.Sprintf("bench/%06d.jpg", i)), Body: bytes.NewReader(body)}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	peak := 0
	for {
		n := 0
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(outputBucket), Prefix: aws.String("bench/")})
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			n += len(page.Contents)
		}
		peak = max(peak, rssKB(s.cmd.Process.Pid))
		if n >= b.N {
			break
		}
		if time.Since(began) > 10*time.Minute {
			b.Fatalf("%d of %d outputs after 10 minutes", n, b.N)
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(began)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "images/s")
	b.ReportMetric(float64(peak)/1024, "peak-MB")
	b.ReportMetric((cpuSeconds(s.cmd.Process.Pid)-cpu0)*1000/float64(b.N), "stack-cpu-ms/image")
}
