package faults

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// S3 fault kinds, drawn with equal weight when a request is chosen to fail.
const (
	s3InternalError = iota
	s3SlowDown
	s3ResetBefore
	s3ResetAfter
	s3Kinds
)

// S3 wraps an S3 API handler: every request waits the configured latency, and
// a fraction fails as S3 fails. Clients see exactly what they see on AWS: an
// S3 error document with a retryable code, or a connection reset by peer.
func (in *Injector) S3(next http.Handler) http.Handler {
	if in.cfg.S3ErrorRate <= 0 && in.cfg.S3Latency <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in.s3Requests.Add(1)
		if l := in.cfg.S3Latency; l > 0 {
			t := time.NewTimer(in.jitter(l/2, l+l/2))
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		p, kind := in.draw(s3Kinds)
		if p >= in.cfg.S3ErrorRate {
			next.ServeHTTP(w, r)
			return
		}
		switch kind {
		case s3InternalError:
			in.s3Internal.Add(1)
			s3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		case s3SlowDown:
			in.s3SlowDown.Add(1)
			s3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		case s3ResetBefore:
			in.s3ResetBefore.Add(1)
			reset(w)
		case s3ResetAfter:
			// The request takes effect; its answer never arrives.
			in.s3ResetAfter.Add(1)
			next.ServeHTTP(&discard{h: http.Header{}}, r)
			reset(w)
		}
	})
}

// s3Error writes an S3 REST error document. The request body is left unread:
// S3 answers a failing PUT without reading it all either.
func s3Error(w http.ResponseWriter, status int, code, msg string) {
	id := requestID()
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-amz-request-id", id)
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId><HostId>faults</HostId></Error>`, code, msg, id)
}

// reset closes the client's connection with a TCP RST (SO_LINGER 0), as a
// crashed front end or a dropped network path does. The stack's own functions
// reach it in the process (local.InProcess), whose Hijack gives their client the
// same "connection reset by peer".
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		s3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

func requestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// discard is a ResponseWriter whose output goes nowhere.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
func (d *discard) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(io.Discard, r)
}
