package local

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
	bolt "go.etcd.io/bbolt"
)

// Multipart uploads are the store's own (gofakes3.MultipartBackend), not
// gofakes3's: gofakes3 holds every part in memory until the upload completes,
// loses uploads in progress when the process stops, and answers
// CompleteMultipartUpload with S3's multipart ETag ("md5-of-part-md5s-N")
// while the object then reads back with the MD5 of its bytes. Here parts are
// synced files under parts/<upload>/, uploads are recorded in bbolt, and the
// object keeps the ETag its completion answered with, as on S3.

var uploadsKey = []byte("_multipart") // upload ID -> multipartUpload

type multipartUpload struct {
	Bucket    string               `json:"bucket"`
	Key       string               `json:"key"`
	Meta      map[string]string    `json:"meta,omitempty"`
	Initiated time.Time            `json:"initiated"`
	Parts     map[int]uploadedPart `json:"parts"`
}

type uploadedPart struct {
	File     string    `json:"file"` // name under the upload's directory
	Size     int64     `json:"size"`
	MD5      string    `json:"md5"`
	Modified time.Time `json:"mod"`
}

func (s *ObjectStore) partsDir(id gofakes3.UploadID) string {
	return filepath.Join(filepath.Dir(s.blobDir), "parts", string(id))
}

// upload reads an upload in progress for bucket/key.
func upload(tx *bolt.Tx, bucket, key string, id gofakes3.UploadID) (*multipartUpload, error) {
	raw := tx.Bucket(uploadsKey).Get([]byte(id))
	if raw == nil {
		return nil, gofakes3.ErrNoSuchUpload
	}
	var u multipartUpload
	if err := json.Unmarshal(raw, &u); err != nil {
		return nil, err
	}
	if u.Bucket != bucket || u.Key != key {
		return nil, gofakes3.ErrNoSuchUpload
	}
	return &u, nil
}

func (s *ObjectStore) readUpload(bucket, key string, id gofakes3.UploadID) (u *multipartUpload, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		u, err = upload(tx, bucket, key, id)
		return err
	})
	return u, err
}

func putUpload(tx *bolt.Tx, id gofakes3.UploadID, u *multipartUpload) error {
	raw, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return tx.Bucket(uploadsKey).Put([]byte(id), raw)
}

func (s *ObjectStore) CreateMultipartUpload(bucket, key string, meta map[string]string) (gofakes3.UploadID, error) {
	id := gofakes3.UploadID(randomHex(24))
	// The directory comes first: a recorded upload always has one for its
	// parts, and a directory a crash left without a record is removed by
	// removeEndedUploads.
	if err := os.MkdirAll(s.partsDir(id), 0o755); err != nil {
		return "", err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if _, _, err := s.bucketMeta(tx, bucket); err != nil {
			return err
		}
		return putUpload(tx, id, &multipartUpload{Bucket: bucket, Key: key, Meta: storedMeta(meta), Initiated: s.now().UTC(), Parts: map[int]uploadedPart{}})
	})
	if err != nil {
		os.RemoveAll(s.partsDir(id))
		return "", err
	}
	return id, nil
}

func (s *ObjectStore) UploadPart(bucket, key string, id gofakes3.UploadID, n int, size int64, r io.Reader) (string, error) {
	if n < 1 || n > 10000 {
		return "", gofakes3.ErrorMessage(gofakes3.ErrInvalidArgument, "Part number must be an integer between 1 and 10000, inclusive")
	}
	if _, err := s.readUpload(bucket, key, id); err != nil {
		return "", err
	}
	part, err := s.writePart(id, r, size)
	if err != nil {
		return "", err
	}
	var replaced string
	err = s.db.Update(func(tx *bolt.Tx) error {
		u, err := upload(tx, bucket, key, id)
		if err != nil {
			return err
		}
		replaced = u.Parts[n].File
		u.Parts[n] = part
		return putUpload(tx, id, u)
	})
	if err != nil {
		os.Remove(filepath.Join(s.partsDir(id), part.File))
		return "", err
	}
	if replaced != "" {
		os.Remove(filepath.Join(s.partsDir(id), replaced))
	}
	return `"` + part.MD5 + `"`, nil
}

// writePart streams a part to a synced file of its own (a part sent again
// replaces the earlier one only once recorded).
func (s *ObjectStore) writePart(id gofakes3.UploadID, r io.Reader, size int64) (uploadedPart, error) {
	f, err := os.CreateTemp(s.partsDir(id), "part-")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return uploadedPart{}, gofakes3.ErrNoSuchUpload // aborted meanwhile
		}
		return uploadedPart{}, err
	}
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err = finishFile(f, n, size, err); err != nil {
		os.Remove(f.Name())
		return uploadedPart{}, err
	}
	return uploadedPart{File: filepath.Base(f.Name()), Size: n, MD5: hex.EncodeToString(h.Sum(nil)), Modified: s.now().UTC()}, nil
}

func (s *ObjectStore) CompleteMultipartUpload(bucket, key string, id gofakes3.UploadID, in *gofakes3.CompleteMultipartUploadRequest) (gofakes3.VersionID, string, error) {
	u, err := s.readUpload(bucket, key, id)
	if err != nil {
		return "", "", err
	}
	if len(in.Parts) == 0 {
		return "", "", gofakes3.ErrorMessage(gofakes3.ErrMalformedXML, "The XML you provided was not well-formed or did not validate against our published schema")
	}
	sums := md5.New()
	files := &partFiles{}
	defer files.Close()
	var size int64
	for i, p := range in.Parts {
		if i > 0 && p.PartNumber <= in.Parts[i-1].PartNumber {
			return "", "", gofakes3.ErrorMessage(gofakes3.ErrInvalidPartOrder, "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
		}
		part, ok := u.Parts[p.PartNumber]
		if !ok || strings.Trim(p.ETag, `"`) != part.MD5 {
			return "", "", gofakes3.ErrorMessage(gofakes3.ErrInvalidPart, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
		}
		files.paths = append(files.paths, filepath.Join(s.partsDir(id), part.File))
		sum, _ := hex.DecodeString(part.MD5)
		sums.Write(sum)
		size += part.Size
	}
	etag := hex.EncodeToString(sums.Sum(nil)) + "-" + strconv.Itoa(len(in.Parts))
	blob, n, _, data, err := s.writeBlob(files, size, nil)
	if err != nil {
		return "", "", err
	}
	// The upload ends in the transaction that commits its object: a second
	// Complete of it (a client's retry, concurrent or after a crash) answers
	// NoSuchUpload, as S3 does for a completed upload, instead of making a
	// second version and a second ObjectCreated event.
	end := func(tx *bolt.Tx) error {
		if _, err := upload(tx, bucket, key, id); err != nil {
			return err
		}
		return tx.Bucket(uploadsKey).Delete([]byte(id))
	}
	ch, ext, err := s.commitVersion(bucket, key, ChangePut, version{Blob: blob, Size: n, MD5: etag, Meta: u.Meta, data: data}, nil, end)
	if err != nil {
		s.removeBlobs(blob)
		return "", "", err
	}
	s.notify(ch)
	os.RemoveAll(s.partsDir(id))
	return ext, `"` + etag + `"`, nil
}

// partFiles reads an upload's part files one after another, each open only
// while it is read: an upload may have 10,000 parts, more files than a
// process may hold open at once.
type partFiles struct {
	paths []string
	cur   *os.File
}

func (p *partFiles) Read(b []byte) (int, error) {
	for {
		if p.cur == nil {
			if len(p.paths) == 0 {
				return 0, io.EOF
			}
			f, err := os.Open(p.paths[0])
			if err != nil {
				return 0, gofakes3.ErrNoSuchUpload // aborted meanwhile
			}
			p.cur, p.paths = f, p.paths[1:]
		}
		n, err := p.cur.Read(b)
		if err == io.EOF {
			p.cur.Close()
			p.cur = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}

func (p *partFiles) Close() {
	if p.cur != nil {
		p.cur.Close()
	}
}

func (s *ObjectStore) AbortMultipartUpload(bucket, key string, id gofakes3.UploadID) error {
	if _, err := s.readUpload(bucket, key, id); err != nil {
		return err
	}
	s.endUpload(id)
	return nil
}

// endUpload forgets an upload and removes its parts.
func (s *ObjectStore) endUpload(id gofakes3.UploadID) {
	s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(uploadsKey).Delete([]byte(id)) })
	os.RemoveAll(s.partsDir(id))
}

// removeEndedUploads removes the parts of uploads a crash left behind after
// they were completed or aborted.
func (s *ObjectStore) removeEndedUploads() {
	dirs, _ := os.ReadDir(filepath.Join(filepath.Dir(s.blobDir), "parts"))
	s.db.View(func(tx *bolt.Tx) error {
		for _, d := range dirs {
			if tx.Bucket(uploadsKey).Get([]byte(d.Name())) == nil {
				os.RemoveAll(s.partsDir(gofakes3.UploadID(d.Name())))
			}
		}
		return nil
	})
}

func (s *ObjectStore) ListMultipartUploads(bucket string, marker *gofakes3.UploadListMarker, prefix gofakes3.Prefix, limit int64) (*gofakes3.ListMultipartUploadsResult, error) {
	type item struct {
		id gofakes3.UploadID
		u  multipartUpload
	}
	var all []item
	err := s.db.View(func(tx *bolt.Tx) error {
		if _, _, err := s.bucketMeta(tx, bucket); err != nil {
			return err
		}
		return tx.Bucket(uploadsKey).ForEach(func(k, v []byte) error {
			var u multipartUpload
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			if u.Bucket == bucket && strings.HasPrefix(u.Key, prefix.Prefix) {
				all = append(all, item{gofakes3.UploadID(k), u})
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].u.Key != all[j].u.Key {
			return all[i].u.Key < all[j].u.Key
		}
		return all[i].u.Initiated.Before(all[j].u.Initiated) || all[i].u.Initiated.Equal(all[j].u.Initiated) && all[i].id < all[j].id
	})
	out := &gofakes3.ListMultipartUploadsResult{Bucket: bucket, Prefix: prefix.Prefix, Delimiter: prefix.Delimiter, MaxUploads: limit}
	// As in ListBucket: common prefixes count towards MaxUploads, and a page
	// that ended on one has it as its key marker and does not list it again.
	skipping, lastPrefix := false, ""
	if marker != nil && marker.Object != "" {
		out.KeyMarker, out.UploadIDMarker = marker.Object, marker.UploadID
		skipping = true
		if cp, ok := commonPrefix(marker.Object, &prefix); ok && cp == marker.Object {
			lastPrefix = cp
		}
	}
	for _, it := range all {
		if skipping {
			if it.u.Key < marker.Object || it.u.Key == marker.Object && (marker.UploadID == "" || it.id != marker.UploadID) {
				continue
			}
			skipping = false
			if it.u.Key == marker.Object {
				continue // the marker itself
			}
		}
		cp, rolled := commonPrefix(it.u.Key, &prefix)
		if rolled && cp == lastPrefix {
			continue
		}
		if int64(len(out.Uploads)+len(out.CommonPrefixes)) >= limit {
			out.IsTruncated = true
			break
		}
		if rolled {
			lastPrefix = cp
			out.CommonPrefixes = append(out.CommonPrefixes, gofakes3.CommonPrefix{Prefix: cp})
			out.NextKeyMarker, out.NextUploadIDMarker = cp, ""
			continue
		}
		out.Uploads = append(out.Uploads, gofakes3.ListMultipartUploadItem{Key: it.u.Key, UploadID: it.id, StorageClass: "STANDARD", Initiated: gofakes3.NewContentTime(it.u.Initiated)})
		out.NextKeyMarker, out.NextUploadIDMarker = it.u.Key, it.id
	}
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextUploadIDMarker = "", ""
	}
	return out, nil
}

func (s *ObjectStore) ListParts(bucket, key string, id gofakes3.UploadID, marker int, limit int64) (*gofakes3.ListMultipartUploadPartsResult, error) {
	u, err := s.readUpload(bucket, key, id)
	if err != nil {
		return nil, err
	}
	numbers := make([]int, 0, len(u.Parts))
	for n := range u.Parts {
		if n > marker {
			numbers = append(numbers, n)
		}
	}
	sort.Ints(numbers)
	out := &gofakes3.ListMultipartUploadPartsResult{Bucket: bucket, Key: key, UploadID: id, StorageClass: "STANDARD", PartNumberMarker: marker, MaxParts: limit}
	for _, n := range numbers {
		if int64(len(out.Parts)) >= limit {
			out.IsTruncated = true
			break
		}
		p := u.Parts[n]
		out.Parts = append(out.Parts, gofakes3.ListMultipartUploadPartItem{PartNumber: n, LastModified: gofakes3.NewContentTime(p.Modified), ETag: `"` + p.MD5 + `"`, Size: p.Size})
		out.NextPartNumberMarker = n
	}
	return out, nil
}

// etagHeader is how open hands a multipart ETag, which is not hex, past
// gofakes3 (which writes the ETag header from the object's MD5 bytes) to the
// front, which sends it as the ETag.
const etagHeader = "X-Local-Etag"

// checkPutConditions is gofakes3.CheckPutConditions over the version's ETag,
// which may be a multipart one.
func checkPutConditions(cond *gofakes3.PutConditions, cur *version) error {
	exists := cur != nil && !cur.DeleteMarker
	if cond.IfNoneMatch != nil && *cond.IfNoneMatch == "*" && exists {
		return gofakes3.ErrorMessage(gofakes3.ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	}
	if cond.IfMatch != nil && (!exists || !etagListHas(*cond.IfMatch, cur.MD5)) {
		return gofakes3.ErrorMessage(gofakes3.ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	}
	return nil
}

var _ gofakes3.MultipartBackend = (*ObjectStore)(nil)

// copyPart serves UploadPartCopy (PUT ?partNumber=&uploadId= with
// x-amz-copy-source): a part made of a source version's bytes, all of them or
// the x-amz-copy-source-range, under the x-amz-copy-source-if-* conditions.
// gofakes3 answered it MissingContentLength, so `aws s3 cp` between buckets,
// and boto3's copy(), failed for objects over the multipart threshold.
func (s *ObjectStore) copyPart(req *copyRequest, id gofakes3.UploadID, n int, rangeHeader string) (uploadedPart, gofakes3.VersionID, error) {
	if _, err := s.readUpload(req.dstBucket, req.dstKey, id); err != nil {
		return uploadedPart{}, "", err
	}
	src, ext, _, err := s.source(req)
	if err != nil {
		return uploadedPart{}, "", err
	}
	if err := req.checkSource(&src); err != nil {
		return uploadedPart{}, "", err
	}
	first, length := int64(0), src.Size
	if rangeHeader != "" {
		var last int64
		if _, err := fmt.Sscanf(rangeHeader, "bytes=%d-%d", &first, &last); err != nil || first < 0 || last < first || last >= src.Size {
			return uploadedPart{}, "", gofakes3.ErrorMessagef(gofakes3.ErrInvalidArgument, "Range specified is not valid for source object of size: %d", src.Size)
		}
		length = last - first + 1
	}
	var body io.Reader
	if isInline(src.Blob) {
		body = bytes.NewReader(src.data[first : first+length])
	} else {
		f, err := os.Open(s.blobPath(src.Blob))
		if errors.Is(err, fs.ErrNotExist) {
			return uploadedPart{}, "", errNoSuchKey() // removed since it was found
		} else if err != nil {
			return uploadedPart{}, "", err
		}
		defer f.Close()
		body = io.NewSectionReader(f, first, length)
	}
	etag, err := s.UploadPart(req.dstBucket, req.dstKey, id, n, length, body)
	if err != nil {
		return uploadedPart{}, "", err
	}
	return uploadedPart{MD5: strings.Trim(etag, `"`), Size: length, Modified: s.now().UTC()}, ext, nil
}

// copyPartResult is UploadPartCopy's response body.
type copyPartResult struct {
	XMLName      xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CopyPartResult"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

func (f *s3Front) copyPart(w http.ResponseWriter, r *http.Request, bucket, key string) {
	w.Header().Set("x-amz-request-id", newRequestID())
	q := r.URL.Query()
	n, err := strconv.Atoi(q.Get("partNumber"))
	if err != nil {
		writeCopyError(w, r, gofakes3.ErrorMessage(gofakes3.ErrInvalidArgument, "Part number must be an integer between 1 and 10000, inclusive"))
		return
	}
	req, err := parseCopy(r, bucket, key)
	if err != nil {
		writeCopyError(w, r, err)
		return
	}
	part, srcVersion, err := f.store.copyPart(req, gofakes3.UploadID(q.Get("uploadId")), n, r.Header.Get("X-Amz-Copy-Source-Range"))
	if err != nil {
		writeCopyError(w, r, err)
		return
	}
	if srcVersion != "" {
		w.Header().Set("x-amz-copy-source-version-id", string(srcVersion))
	}
	body, _ := xml.Marshal(copyPartResult{LastModified: part.Modified.Format("2006-01-02T15:04:05.000Z"), ETag: `"` + part.MD5 + `"`})
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(xml.Header))
	w.Write(body)
}

// tooSmallParts answers a CompleteMultipartUpload whose parts but the last
// are not all at least 5 MiB with S3's 400 EntityTooSmall, and reports
// whether it did; otherwise the request goes on, its body intact. (The check
// is here because gofakes3 has no such error code to answer with.)
func (f *s3Front) tooSmallParts(w http.ResponseWriter, r *http.Request, bucket, key string) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if err != nil {
		return false
	}
	var in gofakes3.CompleteMultipartUploadRequest
	if xml.Unmarshal(body, &in) != nil {
		return false // gofakes3 answers MalformedXML
	}
	u, err := f.store.readUpload(bucket, key, gofakes3.UploadID(r.URL.Query().Get("uploadId")))
	if err != nil {
		return false
	}
	small := false
	for i, p := range in.Parts {
		part, ok := u.Parts[p.PartNumber]
		if !ok || strings.Trim(p.ETag, `"`) != part.MD5 || i > 0 && p.PartNumber <= in.Parts[i-1].PartNumber {
			return false // the store answers InvalidPart or InvalidPartOrder first
		}
		small = small || i < len(in.Parts)-1 && part.Size < minPartSize
	}
	if small {
		w.Header().Set("x-amz-request-id", newRequestID())
		writeS3Error(w, http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
	}
	return small
}

// minPartSize is S3's smallest part, but for the last.
const minPartSize = 5 << 20
