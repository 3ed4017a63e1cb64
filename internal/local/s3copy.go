package local

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
	bolt "go.etcd.io/bbolt"
)

// CopyObject is served here rather than by gofakes3, which reads the source
// through the backend and writes it again (rehashing every byte), ignores
// ?versionId= and the copy conditions, and merges the source's metadata even
// under MetadataDirective REPLACE. A copy inside the store shares the source
// version's bytes: its blob file is hard-linked under a new name, so each
// version still owns exactly one name and deleting either removes only its own.
// A small (inline) source's bytes are stored again under the copy's own name.

// copyRequest is one parsed CopyObject request.
type copyRequest struct {
	srcBucket, srcKey string
	srcVersion        string // "" for the current version
	dstBucket, dstKey string

	replaceMeta bool              // x-amz-metadata-directive: REPLACE
	replaceTags bool              // x-amz-tagging-directive: REPLACE
	header      map[string]string // the request's storable headers (storedMeta)

	ifMatch, ifNoneMatch               string // x-amz-copy-source-if-(none-)match
	ifModifiedSince, ifUnmodifiedSince time.Time
	dst                                *gofakes3.PutConditions // If-Match / If-None-Match on the destination
}

// copyResult is what a committed copy reports.
type copyResult struct {
	change       Change
	versionID    gofakes3.VersionID // of the copy, "" on an unversioned bucket
	srcVersionID gofakes3.VersionID // of the source, "" on an unversioned bucket
	meta         map[string]string
}

// copyHeader reports the request headers a copy takes from the request even under
// MetadataDirective COPY: the destination's encryption, storage class and
// redirect are never the source's.
func copyHeader(k string) bool {
	return strings.HasPrefix(k, "X-Amz-Server-Side-Encryption") || k == "X-Amz-Storage-Class" || k == "X-Amz-Website-Redirect-Location"
}

// parseCopy reads a CopyObject request to bucket/key.
func parseCopy(r *http.Request, bucket, key string) (*copyRequest, error) {
	h := r.Header
	req := &copyRequest{dstBucket: bucket, dstKey: key}
	src := h.Get("X-Amz-Copy-Source")
	// The key is URL-encoded; a "?" in it is %3F, so the first raw "?" starts the query.
	path, query, _ := strings.Cut(src, "?")
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil || len(q) != 1 || !q.Has("versionId") || q.Get("versionId") == "" {
			return nil, gofakes3.ErrorInvalidArgument("x-amz-copy-source", src, "Invalid copy source: only ?versionId= may follow the object")
		}
		req.srcVersion = q.Get("versionId")
	}
	decoded, err := url.PathUnescape(path)
	if err != nil {
		return nil, gofakes3.ErrorInvalidArgument("x-amz-copy-source", src, "Invalid copy source encoding")
	}
	req.srcBucket, req.srcKey, _ = strings.Cut(strings.TrimPrefix(decoded, "/"), "/")
	if req.srcBucket == "" || req.srcKey == "" {
		return nil, gofakes3.ErrorInvalidArgument("x-amz-copy-source", src, "Invalid copy source object key")
	}
	if len(key) > gofakes3.KeySizeLimit {
		return nil, gofakes3.ResourceError(gofakes3.ErrKeyTooLong, key)
	}
	for name, replace := range map[string]*bool{"X-Amz-Metadata-Directive": &req.replaceMeta, "X-Amz-Tagging-Directive": &req.replaceTags} {
		switch v := h.Get(name); v {
		case "", "COPY":
		case "REPLACE":
			*replace = true
		default:
			return nil, gofakes3.ErrorInvalidArgument(name, v, "Unknown directive")
		}
	}
	flat := make(map[string]string, len(h))
	for k, v := range h {
		if len(v) > 0 {
			flat[k] = v[0]
		}
	}
	req.header = storedMeta(flat)
	delete(req.header, "Last-Modified")
	if userMetaSize(req.header) > gofakes3.DefaultMetadataSizeLimit {
		return nil, gofakes3.ErrMetadataTooLarge
	}
	req.ifMatch, req.ifNoneMatch = h.Get("X-Amz-Copy-Source-If-Match"), h.Get("X-Amz-Copy-Source-If-None-Match")
	for name, t := range map[string]*time.Time{"X-Amz-Copy-Source-If-Modified-Since": &req.ifModifiedSince, "X-Amz-Copy-Source-If-Unmodified-Since": &req.ifUnmodifiedSince} {
		if v := h.Get(name); v != "" {
			parsed, err := http.ParseTime(v)
			if err != nil {
				return nil, gofakes3.ErrorInvalidArgument(name, v, "Invalid date")
			}
			*t = parsed
		}
	}
	if v := h.Get("If-None-Match"); v != "" {
		if v != "*" {
			return nil, gofakes3.ErrorInvalidArgument("If-None-Match", v, "If-None-Match only accepts '*'")
		}
		req.dst = &gofakes3.PutConditions{IfNoneMatch: &v}
	}
	if v := h.Get("If-Match"); v != "" {
		if req.dst != nil {
			return nil, gofakes3.ErrorMessage(gofakes3.ErrNotImplemented, "If-Match and If-None-Match cannot be combined")
		}
		req.dst = &gofakes3.PutConditions{IfMatch: &v}
	}
	return req, nil
}

// userMetaSize measures user metadata as S3 limits it: the bytes of each key
// (without x-amz-meta-) and value.
func userMetaSize(meta map[string]string) int {
	n := 0
	for k, v := range meta {
		if name, ok := strings.CutPrefix(k, "X-Amz-Meta-"); ok {
			n += len(name) + len(v)
		}
	}
	return n
}

// checkSource applies the x-amz-copy-source-if-* conditions to the source
// version, as S3 does: If-Match decides alone when present (a true If-Match
// with a false If-Unmodified-Since copies), and so does If-None-Match against
// If-Modified-Since; every failure is 412.
func (req *copyRequest) checkSource(v *version) error {
	etag := func(list string) bool {
		for _, e := range strings.Split(list, ",") {
			e = strings.Trim(strings.TrimSpace(e), `"`)
			if e == "*" || e == v.MD5 {
				return true
			}
		}
		return false
	}
	modified := v.Modified.Truncate(time.Second)
	fail := func(cond string) error {
		return gofakes3.ErrorMessagef(gofakes3.ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold (%s)", cond)
	}
	switch {
	case req.ifMatch != "":
		if !etag(req.ifMatch) {
			return fail("x-amz-copy-source-If-Match")
		}
	case !req.ifUnmodifiedSince.IsZero() && modified.After(req.ifUnmodifiedSince):
		return fail("x-amz-copy-source-If-Unmodified-Since")
	}
	switch {
	case req.ifNoneMatch != "":
		if etag(req.ifNoneMatch) {
			return fail("x-amz-copy-source-If-None-Match")
		}
	case !req.ifModifiedSince.IsZero() && !modified.After(req.ifModifiedSince):
		return fail("x-amz-copy-source-If-Modified-Since")
	}
	return nil
}

// source finds the version a copy reads: the current one, or the one named
// by ?versionId=, which may not be a delete marker.
func (s *ObjectStore) source(req *copyRequest) (out version, ext gofakes3.VersionID, current bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		m, ob, err := s.bucketMeta(tx, req.srcBucket)
		if err != nil {
			return err
		}
		rec, err := getRecord(ob, req.srcKey)
		if err != nil {
			return err
		}
		if req.srcVersion == "" {
			cur := latest(rec)
			if cur == nil || cur.DeleteMarker {
				return errNoSuchKey()
			}
			out, current = *cur, true
		} else {
			found := false
			for i, v := range rec.Versions {
				if v.ID == req.srcVersion {
					out, found, current = v, true, i == 0
					break
				}
			}
			if !found {
				return errNoSuchVersion()
			}
			if out.DeleteMarker {
				return &APIError{Status: http.StatusBadRequest, Code: "InvalidRequest",
					Message: "The source of a copy request may not specifically refer to a delete marker by version id."}
			}
		}
		ext = m.externalID(out.ID)
		if isInline(out.Blob) {
			// Small objects live in the database: take their bytes from the same
			// snapshot, before a delete that follows can remove them.
			out.data = bytes.Clone(tx.Bucket(inlineKey).Get([]byte(out.Blob)))
			if int64(len(out.data)) != out.Size {
				return fmt.Errorf("object %s: inline bytes missing", req.srcKey)
			}
		}
		return nil
	})
	return out, ext, current, err
}

// copyObject copies one version inside the store without reading its bytes:
// the new version links the source's blob and carries its size and ETag (a
// single-part object's copy has the MD5 of the same content). It is committed
// with the destination conditions checked in the same transaction, as
// PutObject's are, and reported to OnChange as a ChangeCopy.
func (s *ObjectStore) copyObject(req *copyRequest) (copyResult, error) {
	src, srcExt, current, err := s.source(req)
	if err != nil {
		return copyResult{}, err
	}
	if err := req.checkSource(&src); err != nil {
		return copyResult{}, err
	}
	// Copying an older version onto its own key restores it; copying the current
	// one onto itself must change something.
	if req.srcBucket == req.dstBucket && req.srcKey == req.dstKey && current && !req.replaceMeta && !req.replaceTags &&
		!hasCopyHeader(req.header) {
		return copyResult{}, &APIError{Status: http.StatusBadRequest, Code: "InvalidRequest",
			Message: "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."}
	}
	meta := map[string]string{}
	if req.replaceMeta {
		for k, v := range req.header {
			if k != "X-Amz-Tagging" {
				meta[k] = v
			}
		}
	} else {
		for k, v := range src.Meta {
			if !copyHeader(k) && k != "X-Amz-Tagging" && k != "Last-Modified" {
				meta[k] = v
			}
		}
		for k, v := range req.header {
			if copyHeader(k) {
				meta[k] = v
			}
		}
	}
	tags := src.Meta["X-Amz-Tagging"]
	if req.replaceTags {
		tags = req.header["X-Amz-Tagging"]
	}
	if tags != "" {
		meta["X-Amz-Tagging"] = tags
	}
	blob, data := inlinePrefix+randomHex(16), src.data
	if !isInline(src.Blob) {
		blob, err = s.linkBlob(src)
	}
	if errors.Is(err, fs.ErrNotExist) {
		// The source version was removed after we found it: the copy comes
		// after that delete, and finds nothing.
		if req.srcVersion != "" {
			return copyResult{}, errNoSuchVersion()
		}
		return copyResult{}, errNoSuchKey()
	}
	if err != nil {
		return copyResult{}, err
	}
	ch, ext, err := s.commitVersion(req.dstBucket, req.dstKey, ChangeCopy, version{Blob: blob, Size: src.Size, MD5: src.MD5, Meta: meta, data: data}, req.dst, nil)
	if err != nil {
		s.removeBlobs(blob)
		return copyResult{}, err
	}
	s.notify(ch)
	return copyResult{change: ch, versionID: ext, srcVersionID: srcExt, meta: meta}, nil
}

func hasCopyHeader(h map[string]string) bool {
	for k := range h {
		if copyHeader(k) {
			return true
		}
	}
	return false
}

// linkBlob gives the source version's blob a second name, the copy's own. The
// source blob was synced when it was written, and the link is made before the
// version naming it is committed, as PutObject writes its blob first. On a file
// system without hard links it copies the bytes instead.
func (s *ObjectStore) linkBlob(src version) (string, error) {
	name := randomHex(16)
	if err := os.MkdirAll(filepath.Join(s.blobDir, name[:2]), 0o755); err != nil {
		return "", err
	}
	err := os.Link(s.blobPath(src.Blob), s.blobPath(name))
	if err == nil {
		s.cache.link(src.Blob, name)
	}
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return name, err
	}
	f, ferr := os.Open(s.blobPath(src.Blob))
	if ferr != nil {
		return "", ferr
	}
	defer f.Close()
	name, _, _, _, err = s.writeBlob(f, src.Size, nil)
	return name, err
}

// CopyObject implements gofakes3.Backend for a copy gofakes3 itself serves (the
// stack serves copies in s3Front.copyObject): gofakes3 has merged the source's
// metadata into meta already.
func (s *ObjectStore) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	req := &copyRequest{srcBucket: srcBucket, srcKey: srcKey, dstBucket: dstBucket, dstKey: dstKey,
		replaceMeta: true, header: storedMeta(meta)}
	delete(req.header, "Last-Modified")
	res, err := s.copyObject(req)
	if err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	return gofakes3.CopyObjectResult{ETag: `"` + res.change.ETag + `"`, LastModified: gofakes3.NewContentTime(res.change.Time)}, nil
}

// copyObjectResult is CopyObject's response body.
type copyObjectResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyObjectResult"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

// copyObject serves CopyObject (PUT with x-amz-copy-source) as S3 answers it:
// CopyObjectResult with the ETag and LastModified, x-amz-version-id of the copy,
// x-amz-copy-source-version-id of the source, and the encryption applied.
func (f *s3Front) copyObject(w http.ResponseWriter, r *http.Request, bucket, key string) {
	h := w.Header()
	id := newRequestID()
	h.Set("x-amz-request-id", id)
	req, err := parseCopy(r, bucket, key)
	if err != nil {
		writeCopyError(w, r, err)
		return
	}
	if bucket == f.inputBucket {
		defer f.track(r, id, bucket, key, "CopyObject")()
	}
	res, err := f.store.copyObject(req)
	if err != nil {
		writeCopyError(w, r, err)
		return
	}
	if res.versionID != "" {
		h.Set("x-amz-version-id", string(res.versionID))
	}
	if res.srcVersionID != "" {
		h.Set("x-amz-copy-source-version-id", string(res.srcVersionID))
	}
	for k, v := range res.meta {
		if strings.HasPrefix(k, "X-Amz-Server-Side-Encryption") {
			h.Set(k, v)
		}
	}
	body, _ := xml.Marshal(copyObjectResult{
		LastModified: res.change.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
		ETag:         `"` + res.change.ETag + `"`,
	})
	h.Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(xml.Header))
	w.Write(body)
}

// writeCopyError answers with S3's XML error for err: an *APIError, a gofakes3
// error (which knows its status), or 500 InternalError.
func writeCopyError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."
	var ae *APIError
	var ge gofakes3.Error
	switch {
	case errors.As(err, &ae):
		status, code, msg = ae.Status, ae.Code, ae.Message
	case errors.As(err, &ge) && ge.ErrorCode() != gofakes3.ErrInternal:
		status, code, msg = ge.ErrorCode().Status(), string(ge.ErrorCode()), ge.ErrorCode().Message()
		var er *gofakes3.ErrorResponse
		if errors.As(err, &er) && er.Message != "" {
			msg = er.Message
		}
	}
	body, _ := xml.Marshal(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		Resource  string
		RequestID string `xml:"RequestId"`
	}{Code: code, Message: msg, Resource: r.URL.Path, RequestID: w.Header().Get("x-amz-request-id")})
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(body)
}
