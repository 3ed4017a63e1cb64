package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// `sanitizer console` over the AWS APIs of a deployment (here a `sanitizer run` stack,
// reached like AWS through --endpoint-url): it lists the stack's executions.
func TestConsoleCommandServesADeployment(t *testing.T) {
	m := NewMain()
	m.Addr = "127.0.0.1:0"
	m.DataDir = t.TempDir()
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s3c := s3.NewFromConfig(m.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	pctx, pcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer pcancel()
	if _, err := s3c.PutObject(pctx, &s3.PutObjectInput{Bucket: aws.String(m.InputBucket), Key: aws.String("remote/photo.jpg"), Body: bytes.NewReader(photo(5))}); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"console", "--endpoint-url", m.URL, "--addr", "127.0.0.1:0"}, stdio{in: strings.NewReader(""), out: pw, err: pw})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "console: http://127.0.0.1:") {
		t.Fatalf("first line %q: %v", line, err)
	}
	go io.Copy(io.Discard, pr)
	url := strings.TrimSpace(strings.TrimPrefix(line, "console: "))

	var body string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		if resp.StatusCode == 200 && strings.Contains(body, "remote/photo.jpg") && strings.Contains(body, ">SUCCEEDED<") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the console never listed the execution as succeeded:\n%s", body)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("console exited %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("console did not stop")
	}
}
