package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sanitizer-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "sanitizer")
	build := exec.Command("go", "build", "-o", binary, "../../cmd/sanitizer")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build sanitizer:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// stack is one `sanitizer run` process.
type stack struct {
	t    testing.TB
	cmd  *exec.Cmd
	url  string
	dir  string
	out  *syncBuffer
	done chan error
}

// syncBuffer collects the process's stdout while tests read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) WriteString(v string) {
	s.mu.Lock()
	s.b.WriteString(v)
	s.mu.Unlock()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var readyLine = regexp.MustCompile(`local stack on (http://\S+) .* ready in (\S+);`)

// start runs `sanitizer run` on dir and waits until it serves.
func start(t testing.TB, dir string, extra ...string) *stack {
	t.Helper()
	args := append([]string{"run", "--addr", "127.0.0.1:0", "--data", dir}, extra...)
	cmd := exec.Command(binary, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, cmd: cmd, dir: dir, out: &syncBuffer{}, done: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			if first {
				lines <- sc.Text()
				first = false
			}
			s.out.WriteString(sc.Text() + "\n")
		}
		if first {
			close(lines)
		}
		s.done <- cmd.Wait()
	}()
	select {
	case line, ok := <-lines:
		m := readyLine.FindStringSubmatch(line)
		if !ok || m == nil {
			cmd.Process.Kill()
			t.Fatalf("sanitizer run did not start: %q\n%s", line, errb.String())
		}
		s.url = m[1]
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("sanitizer run did not start in 30s\n%s", errb.String())
	}
	t.Cleanup(s.stop)
	return s
}

// kill ends the process with SIGKILL, as a crash would.
func (s *stack) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.done <- nil
}

// stop interrupts the process (Ctrl-C) and waits for it.
func (s *stack) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.done <- nil
}

func (s *stack) config() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("e2e", "e2e", ""),
		BaseEndpoint: aws.String(s.url)}
}

func (s *stack) s3() *s3.Client {
	return s3.NewFromConfig(s.config(), func(o *s3.Options) { o.UsePathStyle = true })
}

func (s *stack) sfn() *sfn.Client { return sfn.NewFromConfig(s.config()) }

const (
	inputBucket  = "uploads"
	outputBucket = "sanitized"
	machineArn   = "arn:aws:states:us-east-1:000000000000:stateMachine:sanitizer"
)

// photo is a small JPEG with the metadata a phone writes.
func photo(seed uint32) []byte {
	return jpegfixture.New(jpegfixture.Baseline(96, 64, seed)).Add(
		jpegfixture.Exif(jpegfixture.ExifSpec{Make: "Phone", Model: "X", SerialNumber: fmt.Sprintf("SN-%d", seed), GPS: true,
			Thumbnail: jpegfixture.Baseline(16, 16, seed)}),
		jpegfixture.Comment("taken at home")).Bytes()
}

func put(t *testing.T, c *s3.Client, key string, body []byte) string {
	t.Helper()
	out, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(inputBucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
	return aws.ToString(out.VersionId)
}

// output waits for key to appear in the output bucket and returns its bytes.
func output(t *testing.T, c *s3.Client, key string) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(outputBucket), Key: aws.String(key)})
		if err == nil {
			b, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("s3://%s/%s never appeared: %v", outputBucket, key, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// rawRequest sends a hand-made request and returns status, headers and body.
func rawRequest(t *testing.T, method, url string, header map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}
