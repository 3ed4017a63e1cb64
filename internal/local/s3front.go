package local

import (
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/johannesboyne/gofakes3"
)

// s3Front sits in front of gofakes3: it notes which request is writing which
// key (so the event a committed write produces carries the request's reason,
// request ID and source IP, as S3's do) and turns committed changes to the
// input bucket into EventBridge "Object Created" / "Object Deleted" events.
type s3Front struct {
	next        http.Handler
	store       *ObjectStore
	inputBucket string
	bus         *EventBus
	account     string
	region      string // answered as x-amz-bucket-region

	mu       sync.Mutex
	inflight map[string][]*s3Request // "bucket/key", or "bucket/" for form POSTs
}

type s3Request struct {
	reason string
	// requestID is the x-amz-request-id of the response and the event. It is
	// fixed before the request is registered: another request's change (two
	// uploads of one key at once) may find this one, and must not read its
	// response header while its handler writes it.
	requestID string
	sourceIP  string
}

func newS3Front(next http.Handler, inputBucket string, bus *EventBus, account, region string) *s3Front {
	return &s3Front{next: next, inputBucket: inputBucket, bus: bus, account: account, region: region, inflight: map[string][]*s3Request{}}
}

// headVersion answers HeadObject for one version, as S3 does: its headers,
// 404 for a missing version, 405 with x-amz-delete-marker for a delete marker.
func (f *s3Front) headVersion(w http.ResponseWriter, bucket, key, id string) {
	obj, err := f.store.HeadObjectVersion(bucket, key, gofakes3.VersionID(id))
	h := w.Header()
	h.Set("x-amz-request-id", newRequestID())
	if err != nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	defer obj.Contents.Close()
	h.Set("x-amz-version-id", id)
	if obj.IsDeleteMarker {
		h.Set("x-amz-delete-marker", "true")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	for k, v := range obj.Metadata {
		h.Set(k, v)
	}
	if h.Get(etagHeader) == "" {
		h.Set("ETag", `"`+hex.EncodeToString(obj.Hash)+`"`)
	}
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	w.WriteHeader(http.StatusOK)
}

// keptContentHeaders are content headers S3 keeps with an object that
// gofakes3 does not hand its backend (it passes Content-Type,
// Content-Disposition, Content-Encoding and X-Amz-* headers only).
var keptContentHeaders = []string{"Cache-Control", "Content-Language", "Expires"}

// passedPrefix names the X-Amz- headers passContentHeaders hands them on as;
// storedMeta stores them under their own names.
const passedPrefix = "X-Amz-Local-"

// passContentHeaders copies the content headers gofakes3 would drop from a
// PutObject or CreateMultipartUpload into X-Amz- headers, which it keeps.
func passContentHeaders(r *http.Request) {
	for _, name := range keptContentHeaders {
		r.Header.Del(passedPrefix + name) // only this front sets them
		if v := r.Header.Get(name); v != "" {
			r.Header.Set(passedPrefix+name, v)
		}
	}
}

// isObjectRead reports whether a GET or HEAD of a key reads the object (and
// not its tags, ACL, parts or attributes).
func isObjectRead(q url.Values) bool {
	for name := range q {
		switch name {
		case "versionId", "partNumber", "x-id",
			"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token",
			"AWSAccessKeyId", "Signature", "Expires":
		default:
			if !strings.HasPrefix(name, "response-") {
				return false
			}
		}
	}
	return true
}

// reasonFor names the S3 API a write request is, in the words events use.
func reasonFor(r *http.Request, q url.Values, key string) string {
	switch r.Method {
	case http.MethodPut:
		if q.Has("uploadId") || q.Has("versioning") || q.Has("tagging") || q.Has("acl") || key == "" {
			return ""
		}
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodPost:
		if q.Has("uploadId") && key != "" {
			return "CompleteMultipartUpload"
		}
		if key == "" && !q.Has("delete") {
			return "POST Object"
		}
		if q.Has("delete") {
			return "DeleteObject"
		}
	case http.MethodDelete:
		if key != "" && !q.Has("uploadId") {
			return "DeleteObject"
		}
	}
	return ""
}

func (f *s3Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := r.URL.Query() // parsed once: every branch below asks it something
	if r.Method == http.MethodHead && key == "" && bucket != "" && f.store != nil {
		// HeadBucket tells the bucket's region, which SDKs' GetBucketRegion read.
		if ok, _ := f.store.BucketExists(bucket); ok {
			w.Header().Set("x-amz-bucket-region", f.region)
		}
	}
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && key != "" && f.store != nil && isObjectRead(q) {
		if f.preconditions(w, r, bucket, key) {
			return
		}
		if id := q.Get("versionId"); id != "" && r.Method == http.MethodGet && f.deleteMarkerVersion(w, bucket, key, id) {
			return
		}
		mw := &metaCaseWriter{ResponseWriter: w, checksums: wantsChecksum(r, q), notFound: f.deleteMarkerHeaders(bucket, key)}
		defer mw.lower() // a response without a body is written after the handler returns
		w = mw
	}
	if r.Method == http.MethodHead && key != "" && q.Get("versionId") != "" && f.store != nil {
		// gofakes3 answers HEAD ?versionId= with the latest version.
		f.headVersion(w, bucket, key, q.Get("versionId"))
		return
	}
	if r.Method == http.MethodPut && key != "" && q.Has("uploadId") && r.Header.Get("X-Amz-Copy-Source") != "" && f.store != nil {
		f.copyPart(w, r, bucket, key)
		return
	}
	if r.Method == http.MethodPost && key != "" && q.Has("uploadId") && f.store != nil && f.tooSmallParts(w, r, bucket, key) {
		return
	}
	if r.Method == http.MethodGet && key != "" && q.Has("attributes") && f.store != nil {
		f.objectAttributes(w, r, bucket, key)
		return
	}
	if key == "" && bucket != "" && q.Has("lifecycle") && f.store != nil {
		f.lifecycle(w, r, bucket)
		return
	}
	if r.Method == http.MethodPost && key == "" && bucket != "" && q.Has("delete") && f.store != nil {
		f.deleteObjects(w, r, bucket)
		return
	}
	reason := reasonFor(r, q, key)
	if reason == "PutObject" || r.Method == http.MethodPost && key != "" && q.Has("uploads") {
		passContentHeaders(r)
	}
	if reason == "CopyObject" && f.store != nil {
		// Served here, not by gofakes3: see s3copy.go.
		f.copyObject(w, r, bucket, key)
		return
	}
	if reason == "" || bucket != f.inputBucket {
		f.next.ServeHTTP(w, r)
		return
	}
	id := newRequestID()
	defer f.track(r, id, bucket, key, reason)()
	rw := &requestIDWriter{ResponseWriter: w, id: id}
	f.next.ServeHTTP(rw, r)
	rw.setID() // a response without a body is written after the handler returns
}

// requestIDWriter answers with the request ID the event carries, in place of
// the one gofakes3 sets.
type requestIDWriter struct {
	http.ResponseWriter
	id  string
	set bool
}

func (w *requestIDWriter) setID() {
	if !w.set {
		w.set = true
		w.Header().Set("x-amz-request-id", w.id)
	}
}

func (w *requestIDWriter) WriteHeader(code int) {
	w.setID()
	w.ResponseWriter.WriteHeader(code)
}

func (w *requestIDWriter) Write(b []byte) (int, error) {
	w.setID()
	return w.ResponseWriter.Write(b)
}

func (w *requestIDWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// track registers an in-flight write with its request ID; the returned
// function unregisters it.
func (f *s3Front) track(r *http.Request, id, bucket, key, reason string) func() {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	req := &s3Request{reason: reason, requestID: id, sourceIP: host}
	slot := bucket + "/" + key
	if reason == "POST Object" || (reason == "DeleteObject" && r.Method == http.MethodPost) {
		slot = bucket + "/"
	}
	f.mu.Lock()
	f.inflight[slot] = append(f.inflight[slot], req)
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		list := f.inflight[slot]
		for i, x := range list {
			if x == req {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(f.inflight, slot)
		} else {
			f.inflight[slot] = list
		}
		f.mu.Unlock()
	}
}

// request finds the in-flight request that made a change.
func (f *s3Front) request(c Change) *s3Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	want := func(reason string) bool {
		switch c.Kind {
		case ChangeCopy:
			return reason == "CopyObject"
		case ChangePut:
			return reason == "PutObject" || reason == "POST Object" || reason == "CompleteMultipartUpload"
		default:
			return reason == "DeleteObject"
		}
	}
	for _, slot := range []string{c.Bucket + "/" + c.Key, c.Bucket + "/"} {
		for _, r := range f.inflight[slot] {
			if want(r.reason) {
				return r
			}
		}
	}
	return nil
}

// onChange is the ObjectStore hook: committed changes to the input bucket
// become events on the bus.
func (f *s3Front) onChange(c Change) {
	if c.Bucket != f.inputBucket {
		return
	}
	var req *s3Request
	if !c.Lifecycle {
		req = f.request(c)
	}
	reason, requestID, sourceIP := "", newRequestID(), ""
	if req != nil {
		reason, requestID, sourceIP = req.reason, req.requestID, req.sourceIP
	}
	f.bus.Emit(f.event(c, reason, requestID, sourceIP))
}

func newRequestID() string { return strings.ToUpper(randomHex(8)) }

// s3Object is detail.object; field order follows AWS's examples.
type s3Object struct {
	Key       string `json:"key"`
	Size      *int64 `json:"size,omitempty"`
	ETag      string `json:"etag"`
	VersionID string `json:"version-id,omitempty"`
	Sequencer string `json:"sequencer"`
}

type s3Detail struct {
	Version string `json:"version"`
	Bucket  struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object       s3Object `json:"object"`
	RequestID    string   `json:"request-id"`
	Requester    string   `json:"requester"`
	SourceIP     string   `json:"source-ip-address,omitempty"`
	Reason       string   `json:"reason"`
	DeletionType string   `json:"deletion-type,omitempty"`
}

// event builds the EventBridge event S3 sends for a change (aws-facts 1.1, 1.2).
func (f *s3Front) event(c Change, reason, requestID, sourceIP string) []byte {
	d := s3Detail{Version: "0", RequestID: requestID, Requester: f.account, SourceIP: sourceIP}
	d.Bucket.Name = c.Bucket
	d.Object = s3Object{Key: c.Key, ETag: c.ETag, VersionID: c.VersionID, Sequencer: c.Sequencer}
	detailType := "Object Created"
	switch c.Kind {
	case ChangePut, ChangeCopy:
		size := c.Size
		d.Object.Size = &size
		if reason == "" {
			reason = "PutObject"
		}
		if c.Kind == ChangeCopy {
			reason = "CopyObject"
		}
	case ChangeDeleteMarker:
		detailType, reason, d.DeletionType = "Object Deleted", "DeleteObject", "Delete Marker Created"
	case ChangeDeleted:
		detailType, reason, d.DeletionType = "Object Deleted", "DeleteObject", "Permanently Deleted"
	}
	if c.Lifecycle {
		// aws-facts 1.2: S3 itself is the requester, from no address.
		reason, d.Requester, d.SourceIP = "Lifecycle Expiration", "s3.amazonaws.com", ""
	}
	d.Reason = reason
	raw, _ := json.Marshal(d)
	return f.bus.Envelope("aws.s3", detailType, []string{"arn:aws:s3:::" + c.Bucket}, raw, c.Time)
}
