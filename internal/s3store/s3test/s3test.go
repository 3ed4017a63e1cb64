package s3test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/local"
)

// Bucket is one bucket to create at start.
type Bucket struct {
	Name      string
	Versioned bool
}

// Server is a running fake S3.
type Server struct {
	URL    string
	Client *s3.Client

	mu      sync.Mutex
	faults  []fault
	served  int
	rewrite func(*http.Request, []byte) []byte
	seen    []http.Request
}

type fault struct {
	remaining int
	match     func(*http.Request) bool
	after     bool // the request takes effect before the 503 is sent
}

// Start serves a fresh in-memory S3 on a loopback port until the test ends, creates
// buckets, and returns it with a client. The client's SDK retryer makes at most
// maxAttempts attempts per call (the SDK default is 3), with millisecond backoff so
// tests stay fast.
func Start(t testing.TB, maxAttempts int, buckets ...Bucket) *Server {
	t.Helper()
	return serve(t, gofakes3.New(s3mem.New(), gofakes3.WithTimeSkewLimit(0)).Server(), maxAttempts, buckets)
}

// StartLocal is Start on the local stack's durable S3 (internal/local, what
// `sanitizer run` serves), kept in a temporary directory. Unlike gofakes3's
// in-memory backend it behaves as S3 does when the current version of an object
// is deleted by its version id: the previous version becomes current.
func StartLocal(t testing.TB, maxAttempts int, buckets ...Bucket) *Server {
	t.Helper()
	stack, err := local.Open(local.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stack.Close() })
	return serve(t, stack, maxAttempts, buckets)
}

func serve(t testing.TB, backend http.Handler, maxAttempts int, buckets []Bucket) *Server {
	t.Helper()
	s := &Server{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		if hit, after := s.injected(r); hit {
			if after {
				// The request takes effect; its answer is lost and a 503 is sent instead.
				backend.ServeHTTP(httptest.NewRecorder(), r)
			}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`))
			return
		}
		if rw := s.rewriter(); rw != nil && r.Method == http.MethodGet {
			rec := httptest.NewRecorder()
			backend.ServeHTTP(rec, r)
			body := rw(r, rec.Body.Bytes())
			for k, v := range rec.Header() {
				// A checksum of the stored bytes would make the SDK refuse the rewritten ones.
				if !strings.HasPrefix(http.CanonicalHeaderKey(k), "X-Amz-Checksum-") {
					w.Header()[k] = v
				}
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	s.Client = NewClient(ts.URL, maxAttempts)
	ctx := context.Background()
	for _, b := range buckets {
		if _, err := s.Client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b.Name)}); err != nil {
			t.Fatalf("create bucket %s: %v", b.Name, err)
		}
		if b.Versioned {
			if _, err := s.Client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
				Bucket:                  aws.String(b.Name),
				VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
			}); err != nil {
				t.Fatalf("versioning %s: %v", b.Name, err)
			}
		}
	}
	return s
}

// NewClient returns an S3 client for a local endpoint: path-style, static
// credentials, fast retries.
func NewClient(endpoint string, maxAttempts int) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.MaxBackoff = 5 * time.Millisecond
			// No client-side rate limiting: tests inject bursts of failures on purpose.
			o.RateLimiter = noLimit{}
		}),
	})
}

type noLimit struct{}

func (noLimit) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
func (noLimit) AddTokens(uint) error { return nil }

// FailNext makes the next n requests for which match returns true (nil: any
// request) fail with 503 SlowDown, as S3 does under load.
func (s *Server) FailNext(n int, match func(*http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{remaining: n, match: match})
}

// FailNextAfter is FailNext for requests that take effect first: the backend
// serves each matching request, then the client gets 503 SlowDown instead of its
// answer, as when S3's reply is lost after the write was committed.
func (s *Server) FailNextAfter(n int, match func(*http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{remaining: n, match: match, after: true})
}

// RewriteGets makes every GET's response body pass through fn (nil: stop), as a
// corrupted object or a misbehaving proxy would; headers (ETag included) are kept,
// except checksums (x-amz-checksum-*), which the SDK would check against the new body.
func (s *Server) RewriteGets(fn func(r *http.Request, body []byte) []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rewrite = fn
}

func (s *Server) rewriter() func(*http.Request, []byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rewrite
}

func (s *Server) record(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, http.Request{Method: r.Method, URL: r.URL, Header: r.Header.Clone()})
}

// Requests returns the method, URL and headers of every request served so far.
func (s *Server) Requests() []http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Request(nil), s.seen...)
}

// Injected reports how many requests were answered with an injected 503.
func (s *Server) Injected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served
}

func (s *Server) injected(r *http.Request) (hit, after bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		f := &s.faults[i]
		if f.remaining > 0 && (f.match == nil || f.match(r)) {
			f.remaining--
			s.served++
			return true, f.after
		}
	}
	return false, false
}
