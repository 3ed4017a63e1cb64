package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// InProcess is an http.RoundTripper that hands each request to a handler in
// the same process: the stack's own Lambda functions use it to reach the stack.
// Their SDK clients run unchanged (signing, checksums, retries, error parsing)
// and the stack's handlers see the request as its HTTP server would have parsed
// it; what it skips is the socket, whose copies and system calls cost more CPU
// per photo than the Step Functions engine does (see BenchmarkS3Connections).
// Clients outside the process, the tests' included, still come over TCP, so the
// wire format stays exercised.
//
// Bodies stream both ways: the handler reads the client's request body itself,
// and writes its answer into a pipe the client reads. The response is returned
// as soon as the handler commits its headers (first Write, Flush or return). A
// handler that hijacks the connection (the faults' connection reset) gives the
// client a "connection reset by peer", the error an SDK retries. Like a
// listener, it refuses requests before Serve and after Shutdown.
type InProcess struct {
	mu       sync.RWMutex
	h        http.Handler
	closed   bool
	inflight sync.WaitGroup
}

var _ http.RoundTripper = (*InProcess)(nil)

// Serve starts handing requests to h.
func (t *InProcess) Serve(h http.Handler) {
	t.mu.Lock()
	t.h = h
	t.mu.Unlock()
}

// Shutdown refuses new requests and waits for those being handled, or for ctx.
func (t *InProcess) Shutdown(ctx context.Context) error {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	done := make(chan struct{})
	go func() {
		t.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// handler is the handler to run a request with, counted in flight; nil when
// the transport refuses it.
func (t *InProcess) handler() http.Handler {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.h == nil || t.closed {
		return nil
	}
	t.inflight.Add(1)
	return t.h
}

// errReset is what a client sees of a connection its server reset.
var errReset = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}

func (t *InProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	h := t.handler()
	if h == nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	sreq, err := serverRequest(req)
	if err != nil {
		t.inflight.Done()
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	pr, pw := io.Pipe()
	w := &inProcessWriter{req: req, header: http.Header{}, pw: pw, ready: make(chan struct{})}
	go func() {
		defer func() {
			if p := recover(); p != nil && p != http.ErrAbortHandler {
				w.fail(fmt.Errorf("local: handler panicked: %v", p))
			} else if p != nil {
				w.fail(errReset)
			}
			// Like the server: the request body is the handler's until it
			// returns, then closed (RoundTrip must close it).
			sreq.Body.Close()
			w.finish()
			t.inflight.Done()
		}()
		h.ServeHTTP(w, sreq)
	}()
	select {
	case <-w.ready:
	case <-ctx.Done():
		// The handler sees the same context and stops; its writes fail.
		pr.CloseWithError(ctx.Err())
		return nil, ctx.Err()
	}
	if w.err != nil {
		pr.Close()
		return nil, w.err
	}
	resp := w.resp
	if req.Method == http.MethodHead || resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified {
		pr.Close()
		resp.Body = http.NoBody
		return resp, nil
	}
	resp.Body = &inProcessBody{ctx: ctx, pr: pr, stop: context.AfterFunc(ctx, func() { pr.CloseWithError(ctx.Err()) })}
	return resp, nil
}

// serverRequest is req as the server side sees it: a request URI, the Host
// taken out of the URL, and Content-Length among the headers.
func serverRequest(req *http.Request) (*http.Request, error) {
	if req.URL == nil {
		return nil, errors.New("local: request without URL")
	}
	s := req.Clone(req.Context())
	s.URL = &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	s.RequestURI = req.URL.RequestURI()
	s.Host = req.Host
	if s.Host == "" {
		s.Host = req.URL.Host
	}
	s.Proto, s.ProtoMajor, s.ProtoMinor = "HTTP/1.1", 1, 1
	s.RemoteAddr = "127.0.0.1:0"
	s.Header.Del("Host")
	// Content-Length as net/http's client sends it and its server reads it.
	n := req.ContentLength
	if req.Body == nil || req.Body == http.NoBody {
		n = 0
	}
	switch {
	case n > 0:
		s.Header.Set("Content-Length", strconv.FormatInt(n, 10))
		s.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(req.Body, n), req.Body}
	case n < 0:
		s.TransferEncoding = []string{"chunked"}
	default:
		if req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch {
			s.Header.Set("Content-Length", "0")
		}
		if req.Body != nil {
			req.Body.Close()
		}
		s.Body = http.NoBody
	}
	s.Close = false
	return s, nil
}

// inProcessWriter is the handler's ResponseWriter.
type inProcessWriter struct {
	req    *http.Request
	header http.Header
	pw     *io.PipeWriter

	once     sync.Once // commits: resp or err, then ready closed
	ready    chan struct{}
	resp     *http.Response
	err      error
	hijacked bool
}

var (
	_ http.ResponseWriter = (*inProcessWriter)(nil)
	_ http.Flusher        = (*inProcessWriter)(nil)
	_ http.Hijacker       = (*inProcessWriter)(nil)
)

func (w *inProcessWriter) Header() http.Header { return w.header }

func (w *inProcessWriter) WriteHeader(code int) {
	if code < 200 && code >= 100 {
		return // informational answers are the server's business, not the client's
	}
	w.once.Do(func() {
		h := w.header.Clone()
		if h.Get("Date") == "" {
			h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		}
		n := int64(-1)
		if v := h.Get("Content-Length"); v != "" {
			if l, err := strconv.ParseInt(v, 10, 64); err == nil && l >= 0 {
				n = l
			}
		}
		w.resp = &http.Response{
			Status: strconv.Itoa(code) + " " + http.StatusText(code), StatusCode: code,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: h, ContentLength: n, Request: w.req,
		}
		close(w.ready)
	})
}

func (w *inProcessWriter) Write(b []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	w.WriteHeader(http.StatusOK)
	if w.err != nil {
		return 0, w.err
	}
	if w.req.Method == http.MethodHead {
		return len(b), nil
	}
	return w.pw.Write(b)
}

func (w *inProcessWriter) Flush() { w.WriteHeader(http.StatusOK) }

// Hijack hands the handler a connection whose Close resets the client's.
func (w *inProcessWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	w.hijacked = true
	c := &hijacked{w: w}
	return c, bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c)), nil
}

// fail ends the exchange with err: before the headers the client's RoundTrip
// returns it, after them its body read does.
func (w *inProcessWriter) fail(err error) {
	w.once.Do(func() {
		w.err = err
		close(w.ready)
	})
	w.pw.CloseWithError(err)
}

// finish runs when the handler returns: an answer never written is an empty 200.
func (w *inProcessWriter) finish() {
	if w.hijacked {
		w.fail(errReset)
		return
	}
	if w.resp == nil && w.err == nil && w.header.Get("Content-Length") == "" {
		w.header.Set("Content-Length", "0")
	}
	w.WriteHeader(http.StatusOK)
	w.pw.Close()
}

// inProcessBody is the client's response body.
type inProcessBody struct {
	ctx  context.Context
	pr   *io.PipeReader
	stop func() bool
}

func (b *inProcessBody) Read(p []byte) (int, error) {
	n, err := b.pr.Read(p)
	if err == io.ErrClosedPipe && b.ctx.Err() != nil {
		err = b.ctx.Err() // as net/http's client reports a body cut by its context
	}
	return n, err
}

func (b *inProcessBody) Close() error {
	b.stop()
	// A handler still writing gets an error and returns, as one whose client hung up.
	return b.pr.Close()
}

// hijacked is the connection a hijacking handler holds: there is nothing to
// read or write on it, and closing it resets the client.
type hijacked struct{ w *inProcessWriter }

func (c *hijacked) Read([]byte) (int, error)         { return 0, io.EOF }
func (c *hijacked) Write([]byte) (int, error)        { return 0, errReset }
func (c *hijacked) Close() error                     { c.w.fail(errReset); return nil }
func (c *hijacked) LocalAddr() net.Addr              { return inProcessAddr{} }
func (c *hijacked) RemoteAddr() net.Addr             { return inProcessAddr{} }
func (c *hijacked) SetDeadline(time.Time) error      { return nil }
func (c *hijacked) SetReadDeadline(time.Time) error  { return nil }
func (c *hijacked) SetWriteDeadline(time.Time) error { return nil }

type inProcessAddr struct{}

func (inProcessAddr) Network() string { return "inprocess" }
func (inProcessAddr) String() string  { return "127.0.0.1:0" }
