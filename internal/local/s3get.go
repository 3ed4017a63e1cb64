package local

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// conditionHeaders are the preconditions of GetObject and HeadObject.
var conditionHeaders = []string{"If-Match", "If-None-Match", "If-Unmodified-Since", "If-Modified-Since"}

// preconditions answers a GET or HEAD of an object whose preconditions fail,
// as S3 does, and reports whether it did: 412 PreconditionFailed when
// If-Match (or, without it, If-Unmodified-Since) fails; else 304 Not Modified
// when If-None-Match (or, without it, If-Modified-Since) fails. gofakes3
// checked only an exact If-None-Match and served the object whatever If-Match
// said. The headers are removed once decided here, so that gofakes3 does not
// decide If-Modified-Since again without If-None-Match's precedence.
func (f *s3Front) preconditions(w http.ResponseWriter, r *http.Request, bucket, key string) bool {
	h := r.Header
	ifMatch, ifNoneMatch := h.Get("If-Match"), h.Get("If-None-Match")
	ifUnmodified, ifModified := h.Get("If-Unmodified-Since"), h.Get("If-Modified-Since")
	if ifMatch == "" && ifNoneMatch == "" && ifUnmodified == "" && ifModified == "" {
		return false
	}
	for _, name := range conditionHeaders {
		h.Del(name)
	}
	v, m, err := f.store.find(bucket, key, gofakes3.VersionID(r.URL.Query().Get("versionId")))
	if err != nil || v.DeleteMarker {
		return false // the handler answers 404, or 405 for a delete marker's version
	}
	etag := `"` + v.MD5 + `"`
	modified := v.Modified.Truncate(time.Second) // Last-Modified has whole seconds
	failed := ""
	if ifMatch != "" {
		if !etagListHas(ifMatch, etag) {
			failed = "If-Match"
		}
	} else if t, err := http.ParseTime(ifUnmodified); err == nil && modified.After(t) {
		failed = "If-Unmodified-Since"
	}
	notModified := false
	if failed == "" {
		if ifNoneMatch != "" {
			notModified = etagListHas(ifNoneMatch, etag)
		} else if t, err := http.ParseTime(ifModified); err == nil && !modified.After(t) {
			notModified = true
		}
	}
	if failed == "" && !notModified {
		return false
	}
	out := w.Header()
	out.Set("x-amz-request-id", newRequestID())
	out.Set("ETag", etag)
	out.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	if id := m.externalID(v.ID); id != "" {
		out.Set("x-amz-version-id", string(id))
	}
	switch {
	case notModified:
		w.WriteHeader(http.StatusNotModified)
	case r.Method == http.MethodHead:
		w.WriteHeader(http.StatusPreconditionFailed)
	default:
		writeS3Error(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
	}
	return true
}

// etagListHas reports whether a precondition's ETag list ("*", or quoted
// ETags separated by commas, possibly weak) names etag.
func etagListHas(list, etag string) bool {
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimPrefix(strings.TrimSpace(e), "W/")
		if e == "*" || strings.Trim(e, `"`) == strings.Trim(etag, `"`) {
			return true
		}
	}
	return false
}

// metaCaseWriter sends user metadata headers in lower case, as S3 does (it
// keeps metadata names lower-cased), and a multipart ETag as the ETag. Go canonicalises header names to
// X-Amz-Meta-Name, and boto3 and the AWS CLI take the metadata key from the
// header name as sent: head_object()["Metadata"]["name"] failed locally.
//
// It also sends an object's stored checksum only to a read that asks for it
// (x-amz-checksum-mode: ENABLED) and reads the whole object, as S3 does: SDKs
// validate the body of such a read against it.
//
// A 404 for a key whose current version is a delete marker says so, as S3
// does (x-amz-delete-marker: true and the marker's x-amz-version-id).
type metaCaseWriter struct {
	http.ResponseWriter
	checksums bool
	done      bool
	notFound  func(http.Header) // adds what S3 tells of a missing object
	wroteCode bool
}

// wantsChecksum reports whether a read gets the object's checksum.
func wantsChecksum(r *http.Request, q url.Values) bool {
	return strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") && r.Header.Get("Range") == "" && !q.Has("partNumber")
}

func (w *metaCaseWriter) lower() {
	if w.done {
		return
	}
	w.done = true
	h := w.ResponseWriter.Header()
	if etag := h.Get(etagHeader); etag != "" {
		h.Del(etagHeader)
		h.Set("ETag", etag)
	}
	for k, v := range h {
		if !w.checksums && strings.HasPrefix(k, "X-Amz-Checksum-") {
			delete(h, k)
			continue
		}
		if lk := strings.ToLower(k); lk != k && strings.HasPrefix(lk, "x-amz-meta-") {
			delete(h, k)
			h[lk] = v
		}
	}
}

func (w *metaCaseWriter) WriteHeader(code int) {
	if code == http.StatusNotFound && !w.wroteCode && w.notFound != nil {
		w.notFound(w.ResponseWriter.Header())
	}
	w.wroteCode = true
	w.lower()
	w.ResponseWriter.WriteHeader(code)
}

func (w *metaCaseWriter) Write(b []byte) (int, error) {
	w.lower()
	return w.ResponseWriter.Write(b)
}

// ReadFrom keeps the server's sendfile path for object bodies read from files.
func (w *metaCaseWriter) ReadFrom(r io.Reader) (int64, error) {
	w.lower()
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(w.ResponseWriter, r)
}

func (w *metaCaseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// deleteMarkerHeaders adds to a 404 for bucket/key the headers S3 sends when
// the key's current version is a delete marker.
func (f *s3Front) deleteMarkerHeaders(bucket, key string) func(http.Header) {
	return func(h http.Header) {
		if id, ok := f.store.currentDeleteMarker(bucket, key); ok {
			h.Set("x-amz-delete-marker", "true")
			if id != "" {
				h.Set("x-amz-version-id", id)
			}
		}
	}
}

// deleteMarkerVersion answers a GET of a delete marker by its version ID as
// S3 does, 405 Method Not Allowed with x-amz-delete-marker, and reports
// whether the version was one (gofakes3 answered 404 NoSuchKey).
func (f *s3Front) deleteMarkerVersion(w http.ResponseWriter, bucket, key, id string) bool {
	v, _, err := f.store.find(bucket, key, gofakes3.VersionID(id))
	if err != nil || !v.DeleteMarker {
		return false
	}
	h := w.Header()
	h.Set("x-amz-request-id", newRequestID())
	h.Set("x-amz-delete-marker", "true")
	h.Set("x-amz-version-id", id)
	h.Set("Last-Modified", v.Modified.UTC().Format(http.TimeFormat))
	writeS3Error(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	return true
}
