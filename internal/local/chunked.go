package local

import (
	"bufio"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"
)

// unchunk decodes aws-chunked request bodies (SigV4 streaming, with or without
// signed chunks and trailing checksums, as current SDKs and the CLI send them)
// into plain bodies before gofakes3 sees them, checking a trailing checksum;
// a plain body's checksum header (x-amz-checksum-crc32 and the like, as
// boto3 and `--checksum-algorithm` send them) is checked as it is read.
func unchunk(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sha := r.Header.Get("X-Amz-Content-Sha256")
		if !strings.HasPrefix(sha, "STREAMING-") && !strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
			if r.Body != nil && r.Method == http.MethodPut {
				for _, name := range checksumHeaders {
					if want := r.Header.Get(name); want != "" {
						r.Body = &checkedBody{ReadCloser: r.Body, name: name, want: want, sum: checksumFor(name)}
						echo := &checksumEcho{ResponseWriter: w, r: r, name: name, value: func() string { return want }}
						defer echo.set()
						w = echo
						break
					}
				}
			}
			next.ServeHTTP(w, r)
			return
		}
		size, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
		if err != nil || size < 0 {
			writeS3Error(w, http.StatusBadRequest, "MissingContentLength", "You must provide the x-amz-decoded-content-length header for aws-chunked uploads.")
			return
		}
		cr := &chunkReader{r: bufio.NewReader(r.Body), body: r.Body, trailer: r.Header.Get("X-Amz-Trailer")}
		r.Body = cr
		if checksumFor(cr.trailer) != nil {
			echo := &checksumEcho{ResponseWriter: w, r: r, name: http.CanonicalHeaderKey(cr.trailer), value: func() string { return cr.checked }}
			defer echo.set()
			w = echo
		}
		r.ContentLength = size
		r.Header.Set("Content-Length", strconv.FormatInt(size, 10))
		r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		r.Header.Del("X-Amz-Decoded-Content-Length")
		enc := strings.TrimPrefix(strings.TrimPrefix(r.Header.Get("Content-Encoding"), "aws-chunked"), ",")
		if enc == "" {
			r.Header.Del("Content-Encoding")
		} else {
			r.Header.Set("Content-Encoding", enc)
		}
		next.ServeHTTP(w, r)
	})
}

func writeS3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`, code, msg, newRequestID())
}

var errBadChunk = errors.New("malformed aws-chunked body")

type chunkReader struct {
	r       *bufio.Reader
	body    io.Closer
	left    int64 // bytes left in the current chunk
	done    bool
	trailer string // the checksum header named in X-Amz-Trailer
	sum     hash.Hash
	checked string // the trailer's checksum, once the body matched it
}

func (c *chunkReader) Close() error { return c.body.Close() }

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.sum == nil && c.trailer != "" {
		c.sum = checksumFor(c.trailer)
	}
	for c.left == 0 {
		if c.done {
			return 0, io.EOF
		}
		line, err := c.r.ReadString('\n')
		if err != nil {
			return 0, errBadChunk
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" { // the CRLF that ends a chunk's data
			continue
		}
		hexSize, _, _ := strings.Cut(line, ";")
		n, err := strconv.ParseInt(hexSize, 16, 64)
		if err != nil || n < 0 {
			return 0, errBadChunk
		}
		if n == 0 {
			c.done = true
			if err := c.readTrailers(); err != nil {
				return 0, err
			}
			return 0, io.EOF
		}
		c.left = n
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.sum != nil {
		c.sum.Write(p[:n])
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// readTrailers reads "name:value" lines up to the blank line and checks the
// checksum trailer when we know its algorithm.
func (c *chunkReader) readTrailers() error {
	for {
		line, err := c.r.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return nil
		}
		name, value, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), c.trailer) && c.sum != nil {
			if base64.StdEncoding.EncodeToString(c.sum.Sum(nil)) != strings.TrimSpace(value) {
				return badChecksum(c.trailer)
			}
			c.checked = strings.TrimSpace(value)
		}
		if err != nil {
			return nil
		}
	}
}

// checksumHeaders are the checksums S3 checks a body against.
var checksumHeaders = []string{"X-Amz-Checksum-Crc32", "X-Amz-Checksum-Crc32c", "X-Amz-Checksum-Crc64nvme", "X-Amz-Checksum-Sha1", "X-Amz-Checksum-Sha256"}

// crc64NVME is the table of CRC-64/NVME (the reflected polynomial), which
// current SDKs offer beside CRC32.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

func checksumFor(header string) hash.Hash {
	switch strings.ToLower(header) {
	case "x-amz-checksum-crc32":
		return crc32.NewIEEE()
	case "x-amz-checksum-crc32c":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "x-amz-checksum-crc64nvme":
		return crc64.New(crc64NVME)
	case "x-amz-checksum-sha1":
		return sha1.New()
	case "x-amz-checksum-sha256":
		return sha256.New()
	}
	return nil
}

// badChecksum is S3's answer to a body that does not match its checksum: 400
// BadDigest (an error gofakes3 answers with as it is).
func badChecksum(header string) error {
	algorithm := strings.ToUpper(strings.TrimPrefix(strings.ToLower(header), "x-amz-checksum-"))
	return gofakes3.ErrorMessage(gofakes3.ErrBadDigest, "The "+algorithm+" you specified did not match the calculated checksum.")
}

// checkedBody checks a plain body against its checksum header when it ends:
// the store then fails the write, and keeps nothing.
type checkedBody struct {
	io.ReadCloser
	name, want string
	sum        hash.Hash
}

func (b *checkedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.sum.Write(p[:n])
	if err == io.EOF && base64.StdEncoding.EncodeToString(b.sum.Sum(nil)) != b.want {
		err = badChecksum(b.name)
	}
	return n, err
}

// checksumEcho answers a PUT that carried a checksum with it, as S3 does
// (x-amz-checksum-<algorithm>, and x-amz-checksum-type for a whole object),
// once the body matched it.
type checksumEcho struct {
	http.ResponseWriter
	r     *http.Request
	name  string
	value func() string
	done  bool
}

func (w *checksumEcho) WriteHeader(code int) {
	if code == http.StatusOK {
		w.set()
	}
	w.done = true
	w.ResponseWriter.WriteHeader(code)
}

// set adds the headers to a response not yet written: a 200 (a response
// without a body is written after the handler returns, with status 200).
func (w *checksumEcho) set() {
	if w.done {
		return
	}
	w.done = true
	if v := w.value(); v != "" {
		w.Header().Set(w.name, v)
		if !w.r.URL.Query().Has("uploadId") {
			w.Header().Set("X-Amz-Checksum-Type", "FULL_OBJECT")
		}
	}
}

func (w *checksumEcho) Write(b []byte) (int, error) {
	w.set()
	return w.ResponseWriter.Write(b)
}

func (w *checksumEcho) Unwrap() http.ResponseWriter { return w.ResponseWriter }
