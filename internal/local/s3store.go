package local

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
	bolt "go.etcd.io/bbolt"
)

// ObjectStore is a gofakes3 backend keeping object bytes in files and their
// metadata (versions, delete markers, sequencers) in bbolt, so the local S3
// survives kill -9: a blob is written and synced before the metadata that
// names it is committed, and the commit is the point at which a write happened.
//
// Every committed change is reported to OnChange (after the commit), which the
// stack turns into EventBridge events for the input bucket.
type ObjectStore struct {
	db       *bolt.DB
	blobDir  string
	now      func() time.Time
	onChange func(Change)
	cache    *blobCache // the newest blobs' bytes; nil: none kept
}

var (
	_ gofakes3.Backend          = (*ObjectStore)(nil)
	_ gofakes3.VersionedBackend = (*ObjectStore)(nil)
)

// ChangeKind says what a committed write did.
type ChangeKind int

const (
	ChangePut          ChangeKind = iota // PutObject, POST, CompleteMultipartUpload
	ChangeCopy                           // CopyObject
	ChangeDeleteMarker                   // a delete on a versioned bucket
	ChangeDeleted                        // a version (or an unversioned object) removed for good
)

// Change is one committed write to a bucket.
type Change struct {
	Kind      ChangeKind
	Bucket    string
	Key       string
	VersionID string // empty on an unversioned bucket
	ETag      string // hex MD5, no quotes
	Size      int64
	Sequencer string
	Time      time.Time
	// Lifecycle marks a removal the bucket's lifecycle rules made (S3's
	// requester for it is S3 itself).
	Lifecycle bool
}

var (
	bucketsKey = []byte("_buckets") // underscore: no S3 bucket can have this name
	inlineKey  = []byte("_inline")  // bytes of small objects, by blob name
)

// Objects up to inlineMax bytes (audit records, notifications, JSON) are kept
// in the metadata database instead of a file of their own: creating a file
// costs far more than the write of a few kilobytes, and the version commit that
// names the bytes stores them in the same transaction.
const inlineMax = 32 << 10

// inlinePrefix marks a blob name whose bytes live in the inline bucket.
const inlinePrefix = "i:"

func isInline(blob string) bool { return strings.HasPrefix(blob, inlinePrefix) }

type bucketMeta struct {
	Created    time.Time `json:"created"`
	Versioning string    `json:"versioning,omitempty"` // "", "Enabled", "Suspended"
}

// objectRecord holds every version of one key, newest first.
type objectRecord struct {
	Versions []version `json:"v"`
}

type version struct {
	ID           string            `json:"id"` // "null" for unversioned writes
	Blob         string            `json:"blob,omitempty"`
	Size         int64             `json:"size"`
	MD5          string            `json:"md5,omitempty"` // the ETag: hex MD5, or a multipart ETag (hex-N)
	Meta         map[string]string `json:"meta,omitempty"`
	Modified     time.Time         `json:"mod"`
	DeleteMarker bool              `json:"dm,omitempty"`
	Seq          uint64            `json:"seq"`

	// data is an inline blob's bytes on their way to commitVersion.
	data []byte
}

func (v version) sequencer() string { return fmt.Sprintf("%016x", v.Seq) }

// StoreOptions tune an ObjectStore.
type StoreOptions struct {
	// Now is the clock of Last-Modified times (default time.Now).
	Now func() time.Time
	// BlobCache is how many bytes of the newest blobs are kept in memory for
	// the reads that follow their writes (blobcache.go); 0 keeps none.
	BlobCache int64
}

// OpenObjectStore opens (creating when needed) the store under dir.
func OpenObjectStore(dir string, opt StoreOptions) (*ObjectStore, error) {
	blobs := filepath.Join(dir, "blobs")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return nil, err
	}
	// The hashmap freelist, as the state database's: it finds free pages
	// without scanning them all at every allocation of a commit.
	db, err := bolt.Open(filepath.Join(dir, "s3.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("open s3 metadata: %w", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(inlineKey); err != nil {
			return err
		}
		if _, err := tx.CreateBucketIfNotExists(uploadsKey); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(bucketsKey)
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	s := &ObjectStore{db: db, blobDir: blobs, now: now, cache: newBlobCache(opt.BlobCache)}
	s.removeTempBlobs()
	s.removeEndedUploads()
	return s, nil
}

// BlobCacheStats reports what the blob cache did since the store opened.
func (s *ObjectStore) BlobCacheStats() BlobCacheStats { return s.cache.Stats() }

// Close closes the metadata database and lets go of the blob cache.
func (s *ObjectStore) Close() error {
	s.cache.close()
	return s.db.Close()
}

// removeTempBlobs deletes blobs a crash left half written.
func (s *ObjectStore) removeTempBlobs() {
	matches, _ := filepath.Glob(filepath.Join(s.blobDir, "*", "*.tmp"))
	for _, m := range matches {
		os.Remove(m)
	}
}

func objectsBucket(name string) []byte { return []byte("o:" + name) }

func (s *ObjectStore) notify(changes ...Change) {
	if s.onChange == nil {
		return
	}
	for _, c := range changes {
		s.onChange(c)
	}
}

// EnsureBucket creates a bucket if missing and sets its versioning.
func (s *ObjectStore) EnsureBucket(name string, versioned bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketsKey)
		var m bucketMeta
		if raw := b.Get([]byte(name)); raw != nil {
			if err := json.Unmarshal(raw, &m); err != nil {
				return err
			}
		} else {
			m.Created = s.now().UTC()
		}
		if versioned {
			m.Versioning = string(gofakes3.VersioningEnabled)
		}
		raw, _ := json.Marshal(m)
		if err := b.Put([]byte(name), raw); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(objectsBucket(name))
		return err
	})
}

func (s *ObjectStore) ListBuckets() ([]gofakes3.BucketInfo, error) {
	var out []gofakes3.BucketInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketsKey).ForEach(func(k, v []byte) error {
			var m bucketMeta
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			out = append(out, gofakes3.BucketInfo{Name: string(k), CreationDate: gofakes3.NewContentTime(m.Created)})
			return nil
		})
	})
	return out, err
}

func (s *ObjectStore) bucketMeta(tx *bolt.Tx, name string) (*bucketMeta, *bolt.Bucket, error) {
	raw := tx.Bucket(bucketsKey).Get([]byte(name))
	if raw == nil {
		return nil, nil, gofakes3.BucketNotFound(name)
	}
	var m bucketMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, err
	}
	return &m, tx.Bucket(objectsBucket(name)), nil
}

func (s *ObjectStore) CreateBucket(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketsKey)
		if b.Get([]byte(name)) != nil {
			return gofakes3.ResourceError(gofakes3.ErrBucketAlreadyExists, name)
		}
		raw, _ := json.Marshal(bucketMeta{Created: s.now().UTC()})
		if err := b.Put([]byte(name), raw); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(objectsBucket(name))
		return err
	})
}

func (s *ObjectStore) BucketExists(name string) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketsKey).Get([]byte(name)) != nil
		return nil
	})
	return ok, err
}

func (s *ObjectStore) DeleteBucket(name string) error { return s.deleteBucket(name, false) }

func (s *ObjectStore) ForceDeleteBucket(name string) error { return s.deleteBucket(name, true) }

func (s *ObjectStore) deleteBucket(name string, force bool) error {
	var blobs []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, ob, err := s.bucketMeta(tx, name)
		if err != nil {
			return err
		}
		if k, _ := ob.Cursor().First(); k != nil && !force {
			return gofakes3.ErrorMessage(gofakes3.ErrBucketNotEmpty, "The bucket you tried to delete is not empty")
		}
		ob.ForEach(func(_, v []byte) error {
			var rec objectRecord
			if json.Unmarshal(v, &rec) == nil {
				for _, ver := range rec.Versions {
					blobs = append(blobs, ver.Blob)
				}
			}
			return nil
		})
		if err := tx.DeleteBucket(objectsBucket(name)); err != nil {
			return err
		}
		if lb := tx.Bucket(lifecycleKey); lb != nil {
			if err := lb.Delete([]byte(name)); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketsKey).Delete([]byte(name))
	})
	if err == nil {
		s.removeBlobs(blobs...)
	}
	return err
}

func getRecord(ob *bolt.Bucket, key string) (*objectRecord, error) {
	raw := ob.Get([]byte(key))
	if raw == nil {
		return &objectRecord{}, nil
	}
	var rec objectRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// keyRecord reads a bucket's settings and a key's versions.
func (s *ObjectStore) keyRecord(tx *bolt.Tx, bucket, key string) (*bucketMeta, *objectRecord, error) {
	m, ob, err := s.bucketMeta(tx, bucket)
	if err != nil {
		return nil, nil, err
	}
	rec, err := getRecord(ob, key)
	return m, rec, err
}

func putRecord(ob *bolt.Bucket, key string, rec *objectRecord) error {
	if len(rec.Versions) == 0 {
		return ob.Delete([]byte(key))
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return ob.Put([]byte(key), raw)
}

func (s *ObjectStore) blobPath(name string) string {
	return filepath.Join(s.blobDir, name[:2], name)
}

// removeBlobs deletes the bytes of versions a committed change dropped. Like
// a file left by a crash in between, an inline blob left behind is only space.
func (s *ObjectStore) removeBlobs(names ...string) {
	var inline []string
	for _, n := range names {
		switch {
		case n == "":
		case isInline(n):
			inline = append(inline, n)
		default:
			s.cache.forget(n)
			os.Remove(s.blobPath(n))
		}
	}
	if len(inline) > 0 {
		s.db.Batch(func(tx *bolt.Tx) error {
			b := tx.Bucket(inlineKey)
			for _, n := range inline {
				if err := b.Delete([]byte(n)); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newVersionID makes a 32-character URL-safe ID like S3's; seq makes it unique
// even if the random source repeated.
func newVersionID(seq uint64) string {
	b := make([]byte, 24)
	rand.Read(b[:16])
	binary.BigEndian.PutUint64(b[16:], seq)
	return base64.RawURLEncoding.EncodeToString(b)[:32]
}

// writeBlob streams r to a new synced file and returns its name, size and MD5;
// a small object's bytes come back in data instead, for commitVersion to store
// under the returned inline name.
func (s *ObjectStore) writeBlob(r io.Reader, size int64, checksum hash.Hash) (name string, n int64, sum, data []byte, err error) {
	h, finish := etag(r)
	if checksum != nil {
		h = io.MultiWriter(h, checksum)
	}
	if size >= 0 && size <= inlineMax {
		data = make([]byte, size+1) // +1: a longer body must not pass for complete
		k, err := io.ReadFull(io.TeeReader(r, h), data)
		switch {
		case err == nil || (err == io.EOF || err == io.ErrUnexpectedEOF) && int64(k) != size:
			return "", 0, nil, nil, gofakes3.ErrIncompleteBody // longer or shorter than announced
		case err != io.EOF && err != io.ErrUnexpectedEOF:
			return "", 0, nil, nil, err // a failed read, or gofakes3's BadDigest
		}
		return inlinePrefix + randomHex(16), size, finish(), data[:size], nil
	}
	name = randomHex(16)
	dir := filepath.Join(s.blobDir, name[:2])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", 0, nil, nil, err
	}
	tmp := filepath.Join(dir, name+".tmp")
	f, direct, err := createBlobFile(tmp)
	if err != nil {
		return "", 0, nil, nil, err
	}
	w := s.cache.newWrite(size)
	n, err = writeBlobFile(f, direct, r, h, w)
	err = finishFile(f, n, size, err)
	if err == nil {
		err = os.Rename(tmp, s.blobPath(name))
	}
	if err != nil {
		w.finish("", 0)
		os.Remove(tmp)
		return "", 0, nil, nil, err
	}
	w.finish(name, n)
	return name, n, finish(), nil, nil
}

// etag returns where to write r's bytes to compute their MD5, and the sum once
// r is read to its end. gofakes3 hands its backend a hashingReader that already
// MD5-hashes every PUT body for the ETag it answers with (and checks
// Content-MD5): its sum is taken instead of hashing a photo a second time. The
// type is checked by name so that no other reader's Sum is taken for an MD5.
func etag(r io.Reader) (io.Writer, func() []byte) {
	if s, ok := r.(etagSummer); ok && reflect.TypeOf(r).String() == "*gofakes3.hashingReader" {
		return io.Discard, func() []byte { return s.Sum(nil) }
	}
	h := md5.New()
	return h, func() []byte { return h.Sum(nil) }
}

// etagSummer is the method of gofakes3's hashingReader etag uses.
type etagSummer interface {
	io.Reader
	Sum([]byte) []byte
}

// storedMeta keeps what S3 keeps of request headers: content headers, user
// metadata and server-side-encryption settings; signing and transfer headers go.
func storedMeta(in map[string]string) map[string]string {
	out := make(map[string]string, len(in)+1)
	// S3's type for an object sent without one; without it, Go's server
	// would sniff one for each GET (text/plain for a JSON audit record).
	out["Content-Type"] = "binary/octet-stream"
	for k, v := range in {
		switch {
		case k == "Content-Type", k == "Content-Disposition", k == "Content-Language",
			k == "Cache-Control", k == "Expires", k == "Last-Modified":
			out[k] = v
		case k == "Content-Encoding":
			if v = strings.TrimPrefix(strings.TrimPrefix(v, "aws-chunked"), ","); v != "" {
				out[k] = v
			}
		case strings.HasPrefix(k, passedPrefix) && slices.Contains(keptContentHeaders, k[len(passedPrefix):]):
			out[k[len(passedPrefix):]] = v
		case checksumFor(k) != nil:
			out[k] = v // checked against the body as it was read (chunked.go)
		case strings.HasPrefix(k, "X-Amz-Meta-"), strings.HasPrefix(k, "X-Amz-Server-Side-Encryption"),
			k == "X-Amz-Storage-Class", k == "X-Amz-Website-Redirect-Location", k == "X-Amz-Tagging":
			out[k] = v
		}
	}
	return out
}

// objectChecksum is the full-object checksum a PUT gets, as S3 gives it:
// the one the request sent in a header is kept as sent (it was checked);
// otherwise the one it named (in a trailer, already checked, or as its
// algorithm) is computed while the body is stored. It returns the header to
// store the checksum under and the hash to compute it with (nil: already in
// stored, or none). A PUT that names none gets none: S3 would compute
// CRC64NVME, which costs the local pipeline (whose SDK names none) a CPU
// millisecond per megabyte written.
func objectChecksum(meta, stored map[string]string) (string, hash.Hash) {
	for _, name := range checksumHeaders {
		if stored[name] != "" {
			return name, nil
		}
	}
	if t := http.CanonicalHeaderKey(meta["X-Amz-Trailer"]); checksumFor(t) != nil {
		return t, checksumFor(t)
	}
	alg := firstNonEmpty(meta["X-Amz-Sdk-Checksum-Algorithm"], meta["X-Amz-Checksum-Algorithm"])
	name := http.CanonicalHeaderKey("x-amz-checksum-" + alg)
	return name, checksumFor(name)
}

func latest(rec *objectRecord) *version {
	if len(rec.Versions) == 0 {
		return nil
	}
	return &rec.Versions[0]
}

// addVersion inserts v as the newest version; on an unversioned (or suspended)
// bucket it replaces the "null" version and returns the blob it displaced.
func addVersion(m *bucketMeta, rec *objectRecord, v version) (displaced []string) {
	if m.Versioning == string(gofakes3.VersioningEnabled) {
		rec.Versions = append([]version{v}, rec.Versions...)
		return nil
	}
	v.ID = "null"
	kept := rec.Versions[:0]
	for _, old := range rec.Versions {
		if old.ID == "null" {
			displaced = append(displaced, old.Blob)
			continue
		}
		kept = append(kept, old)
	}
	rec.Versions = append([]version{v}, kept...)
	return displaced
}

func (m *bucketMeta) externalID(id string) gofakes3.VersionID {
	if m.Versioning == "" {
		return ""
	}
	return gofakes3.VersionID(id)
}

func (s *ObjectStore) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	if ok, err := s.BucketExists(bucket); err != nil || !ok {
		if err == nil {
			err = gofakes3.BucketNotFound(bucket)
		}
		return gofakes3.PutObjectResult{}, err
	}
	stored := storedMeta(meta)
	name, ck := objectChecksum(meta, stored)
	blob, n, sum, data, err := s.writeBlob(input, size, ck)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	if ck != nil {
		stored[name] = base64.StdEncoding.EncodeToString(ck.Sum(nil))
	}
	if stored[name] != "" {
		stored["X-Amz-Checksum-Type"] = "FULL_OBJECT"
	}
	ch, id, err := s.commitVersion(bucket, key, ChangePut, version{Blob: blob, Size: n, MD5: hex.EncodeToString(sum), Meta: stored, data: data}, cond, nil)
	if err != nil {
		s.removeBlobs(blob)
		return gofakes3.PutObjectResult{}, err
	}
	s.notify(ch)
	return gofakes3.PutObjectResult{VersionID: id}, nil
}

// commitVersion makes v bucket/key's newest version, under cond when given.
// also, when given, runs in the same transaction, and its error undoes the
// commit: a multipart completion ends its upload there, so that an upload
// completes at most once.
func (s *ObjectStore) commitVersion(bucket, key string, kind ChangeKind, v version, cond *gofakes3.PutConditions, also func(*bolt.Tx) error) (Change, gofakes3.VersionID, error) {
	var displaced []string
	var ext gofakes3.VersionID
	err := s.db.Batch(func(tx *bolt.Tx) error {
		displaced = nil
		m, ob, err := s.bucketMeta(tx, bucket)
		if err != nil {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		rec, err := getRecord(ob, key)
		if err != nil {
			return err
		}
		if cond != nil {
			if err := checkPutConditions(cond, latest(rec)); err != nil {
				return err
			}
		}
		seq, err := tx.Bucket(bucketsKey).NextSequence()
		if err != nil {
			return err
		}
		v.Seq = seq
		v.ID = newVersionID(seq)
		v.Modified = s.now().UTC()
		if v.Meta == nil {
			v.Meta = map[string]string{}
		}
		v.Meta["Last-Modified"] = v.Modified.Format(http1123)
		if v.data != nil {
			if err := tx.Bucket(inlineKey).Put([]byte(v.Blob), v.data); err != nil {
				return err
			}
		}
		displaced = addVersion(m, rec, v)
		v = rec.Versions[0]
		ext = m.externalID(v.ID)
		return putRecord(ob, key, rec)
	})
	if err != nil {
		return Change{}, "", err
	}
	s.removeBlobs(displaced...)
	return Change{Kind: kind, Bucket: bucket, Key: key, VersionID: string(ext), ETag: v.MD5, Size: v.Size, Sequencer: v.sequencer(), Time: v.Modified}, ext, nil
}

// currentDeleteMarker reports whether bucket/key's current version is a
// delete marker, and its external version ID.
func (s *ObjectStore) currentDeleteMarker(bucket, key string) (id string, ok bool) {
	s.db.View(func(tx *bolt.Tx) error {
		m, rec, err := s.keyRecord(tx, bucket, key)
		if err != nil {
			return err
		}
		if cur := latest(rec); cur != nil && cur.DeleteMarker {
			id, ok = string(m.externalID(cur.ID)), true
		}
		return nil
	})
	return id, ok
}

// S3's errors for a missing key or version, with S3's messages: gofakes3's
// KeyNotFound has none, which SDKs show as "Unknown" and the AWS CLI's copy
// and move commands fail on. Each call makes a new one: gofakes3 writes the
// request ID into the error it answers with.
func errNoSuchKey() error {
	return gofakes3.ErrorMessage(gofakes3.ErrNoSuchKey, "The specified key does not exist.")
}

func errNoSuchVersion() error {
	return gofakes3.ErrorMessage(gofakes3.ErrNoSuchVersion, "The specified version does not exist.")
}

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

func (s *ObjectStore) find(bucket, key string, id gofakes3.VersionID) (*version, *bucketMeta, error) {
	var out *version
	var meta *bucketMeta
	err := s.db.View(func(tx *bolt.Tx) error {
		m, rec, err := s.keyRecord(tx, bucket, key)
		if err != nil {
			return err
		}
		meta = m
		if id == "" {
			if cur := latest(rec); cur != nil {
				out = cur
			}
			if out == nil || out.DeleteMarker {
				return errNoSuchKey()
			}
			return nil
		}
		for i := range rec.Versions {
			if rec.Versions[i].ID == string(id) {
				out = &rec.Versions[i]
				return nil
			}
		}
		return errNoSuchVersion()
	})
	return out, meta, err
}

type nopCloser struct{ io.Reader }

func (nopCloser) Close() error { return nil }

func (s *ObjectStore) open(key string, v *version, m *bucketMeta, rng *gofakes3.ObjectRangeRequest, body bool) (*gofakes3.Object, error) {
	obj := &gofakes3.Object{
		Name: key, Metadata: copyMeta(v.Meta), Size: v.Size,
		VersionID: m.externalID(v.ID), IsDeleteMarker: v.DeleteMarker,
		Contents: nopCloser{bytes.NewReader(nil)},
	}
	if sum, err := hex.DecodeString(v.MD5); err == nil {
		obj.Hash = sum
	} else {
		obj.Metadata[etagHeader] = `"` + v.MD5 + `"` // a multipart ETag
	}
	if v.DeleteMarker || !body {
		return obj, nil
	}
	r, err := rng.Range(v.Size)
	if err == gofakes3.ErrInvalidRange {
		return nil, gofakes3.ErrorMessage(gofakes3.ErrInvalidRange, "The requested range is not satisfiable")
	} else if err != nil {
		return nil, err
	}
	if isInline(v.Blob) {
		var data []byte
		if err := s.db.View(func(tx *bolt.Tx) error {
			data = bytes.Clone(tx.Bucket(inlineKey).Get([]byte(v.Blob)))
			return nil
		}); err != nil {
			return nil, err
		}
		if int64(len(data)) != v.Size {
			return nil, fmt.Errorf("object %s: inline bytes missing", key)
		}
		if r != nil {
			data = data[r.Start : r.Start+r.Length]
		}
		obj.Range = r
		obj.Contents = nopCloser{bytes.NewReader(data)}
		return obj, nil
	}
	obj.Range = r
	off, length := int64(0), v.Size
	if r != nil {
		off, length = r.Start, r.Length
	}
	if rc := s.cache.reader(v.Blob, s.blobPath(v.Blob), v.Size, off, length, r == nil); rc != nil {
		obj.Contents = rc
		return obj, nil
	}
	f, err := os.Open(s.blobPath(v.Blob))
	if err != nil {
		return nil, fmt.Errorf("object %s: %w", key, err)
	}
	if r != nil {
		if _, err := f.Seek(r.Start, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
		obj.Contents = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(f, r.Length), f}
	} else {
		obj.Contents = f
	}
	return obj, nil
}

func copyMeta(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (s *ObjectStore) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	return s.GetObjectVersion(bucket, key, "", rng)
}

func (s *ObjectStore) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	return s.HeadObjectVersion(bucket, key, "")
}

func (s *ObjectStore) GetObjectVersion(bucket, key string, id gofakes3.VersionID, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	v, m, err := s.find(bucket, key, id)
	if err != nil {
		return nil, err
	}
	return s.open(key, v, m, rng, true)
}

func (s *ObjectStore) HeadObjectVersion(bucket, key string, id gofakes3.VersionID) (*gofakes3.Object, error) {
	v, m, err := s.find(bucket, key, id)
	if err != nil {
		return nil, err
	}
	return s.open(key, v, m, nil, false)
}

func (s *ObjectStore) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	var res gofakes3.ObjectDeleteResult
	var changes []Change
	var blobs []string
	err := s.db.Batch(func(tx *bolt.Tx) error {
		res, changes, blobs = gofakes3.ObjectDeleteResult{}, nil, nil
		m, ob, err := s.bucketMeta(tx, bucket)
		if err != nil {
			return err
		}
		rec, err := getRecord(ob, key)
		if err != nil {
			return err
		}
		if m.Versioning == "" {
			// Unversioned: the object goes for good (no error if absent).
			for _, v := range rec.Versions {
				blobs = append(blobs, v.Blob)
				changes = append(changes, Change{Kind: ChangeDeleted, Bucket: bucket, Key: key, ETag: v.MD5, Sequencer: v.sequencer(), Time: s.now().UTC()})
			}
			return ob.Delete([]byte(key))
		}
		dm, displaced, err := addDeleteMarker(tx, m, rec, s.now().UTC())
		if err != nil {
			return err
		}
		blobs = displaced
		res = gofakes3.ObjectDeleteResult{IsDeleteMarker: true, VersionID: m.externalID(dm.ID)}
		changes = append(changes, Change{Kind: ChangeDeleteMarker, Bucket: bucket, Key: key, VersionID: string(res.VersionID), ETag: emptyMD5, Sequencer: dm.sequencer(), Time: dm.Modified})
		return putRecord(ob, key, rec)
	})
	if err != nil {
		return res, err
	}
	s.removeBlobs(blobs...)
	s.notify(changes...)
	return res, nil
}

// addDeleteMarker makes a delete marker dated at the key's newest version
// and returns it with the blobs it displaced (a suspended bucket's "null" version).
func addDeleteMarker(tx *bolt.Tx, m *bucketMeta, rec *objectRecord, at time.Time) (version, []string, error) {
	seq, err := tx.Bucket(bucketsKey).NextSequence()
	if err != nil {
		return version{}, nil, err
	}
	displaced := addVersion(m, rec, version{ID: newVersionID(seq), DeleteMarker: true, Seq: seq, Modified: at})
	return rec.Versions[0], displaced, nil
}

// emptyMD5 is the ETag S3 reports for delete markers (the MD5 of nothing).
const emptyMD5 = "d41d8cd98f00b204e9800998ecf8427e"

func (s *ObjectStore) DeleteObjectVersion(bucket, key string, id gofakes3.VersionID) (gofakes3.ObjectDeleteResult, error) {
	if id == "" {
		return s.DeleteObject(bucket, key)
	}
	var res gofakes3.ObjectDeleteResult
	var removed *version
	err := s.db.Batch(func(tx *bolt.Tx) error {
		res, removed = gofakes3.ObjectDeleteResult{}, nil
		_, ob, err := s.bucketMeta(tx, bucket)
		if err != nil {
			return err
		}
		rec, err := getRecord(ob, key)
		if err != nil {
			return err
		}
		for i, v := range rec.Versions {
			if v.ID == string(id) {
				removed = &v
				rec.Versions = append(rec.Versions[:i], rec.Versions[i+1:]...)
				res = gofakes3.ObjectDeleteResult{IsDeleteMarker: v.DeleteMarker, VersionID: id}
				return putRecord(ob, key, rec)
			}
		}
		return nil
	})
	if err != nil || removed == nil {
		return res, err
	}
	s.removeBlobs(removed.Blob)
	etag := removed.MD5
	if removed.DeleteMarker {
		etag = emptyMD5
	}
	s.notify(Change{Kind: ChangeDeleted, Bucket: bucket, Key: key, VersionID: string(id), ETag: etag, Sequencer: removed.sequencer(), Time: s.now().UTC()})
	return res, nil
}

func (s *ObjectStore) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	ids := make([]gofakes3.ObjectID, len(keys))
	for i, k := range keys {
		ids[i] = gofakes3.ObjectID{Key: k}
	}
	return s.DeleteMultiVersions(bucket, ids...)
}

func (s *ObjectStore) DeleteMultiVersions(bucket string, objects ...gofakes3.ObjectID) (gofakes3.MultiDeleteResult, error) {
	var out gofakes3.MultiDeleteResult
	if ok, err := s.BucketExists(bucket); err != nil || !ok {
		if err == nil {
			err = gofakes3.BucketNotFound(bucket)
		}
		return out, err
	}
	for _, o := range objects {
		if _, err := s.DeleteObjectVersion(bucket, o.Key, gofakes3.VersionID(o.VersionID)); err != nil {
			out.Error = append(out.Error, gofakes3.ErrorResultFromError(err))
			continue
		}
		out.Deleted = append(out.Deleted, o)
	}
	return out, nil
}

func (s *ObjectStore) VersioningConfiguration(bucket string) (gofakes3.VersioningConfiguration, error) {
	var out gofakes3.VersioningConfiguration
	err := s.db.View(func(tx *bolt.Tx) error {
		m, _, err := s.bucketMeta(tx, bucket)
		if err == nil {
			out.Status = gofakes3.VersioningStatus(m.Versioning)
		}
		return err
	})
	return out, err
}

func (s *ObjectStore) SetVersioningConfiguration(bucket string, v gofakes3.VersioningConfiguration) error {
	if v.MFADelete.Enabled() {
		return gofakes3.ErrNotImplemented
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		m, _, err := s.bucketMeta(tx, bucket)
		if err != nil {
			return err
		}
		switch {
		case v.Status == gofakes3.VersioningEnabled:
			m.Versioning = string(gofakes3.VersioningEnabled)
		case m.Versioning != "":
			m.Versioning = string(gofakes3.VersioningSuspended)
		}
		raw, _ := json.Marshal(m)
		return tx.Bucket(bucketsKey).Put([]byte(bucket), raw)
	})
}

func (s *ObjectStore) ListBucket(bucket string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	if prefix == nil {
		prefix = &gofakes3.Prefix{}
	}
	out := gofakes3.NewObjectList()
	err := s.db.View(func(tx *bolt.Tx) error {
		_, ob, err := s.bucketMeta(tx, bucket)
		if err != nil {
			return err
		}
		// lastPrefix is the common prefix already listed: a page that ended on
		// one has it as its marker, and the next page must not list it again
		// (nor any key under it), as S3 does.
		start, lastPrefix := prefix.Prefix, ""
		if page.HasMarker && page.Marker >= start {
			start = page.Marker
			if cp, ok := commonPrefix(page.Marker, prefix); ok && cp == page.Marker {
				lastPrefix = cp
			}
		}
		c := ob.Cursor()
		k, v := c.Seek([]byte(start))
		if page.HasMarker && k != nil && string(k) == page.Marker {
			k, v = c.Next()
		}
		var count int64
		for ; k != nil; k, v = c.Next() {
			key := string(k)
			if prefix.HasPrefix && !strings.HasPrefix(key, prefix.Prefix) {
				break
			}
			cp, rolled := commonPrefix(key, prefix)
			if rolled && cp == lastPrefix {
				continue
			}
			var rec objectRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			cur := latest(&rec)
			if cur == nil || cur.DeleteMarker {
				continue
			}
			if page.MaxKeys > 0 && count >= page.MaxKeys {
				out.IsTruncated = true
				break
			}
			if rolled {
				lastPrefix = cp
				out.AddPrefix(cp)
				out.NextMarker = cp
			} else {
				out.Add(&gofakes3.Content{
					Key: key, LastModified: gofakes3.NewContentTime(cur.Modified),
					ETag: `"` + cur.MD5 + `"`, Size: cur.Size, StorageClass: "STANDARD",
				})
				out.NextMarker = key
			}
			count++
		}
		if !out.IsTruncated {
			out.NextMarker = ""
		}
		return nil
	})
	return out, err
}

// commonPrefix is the common prefix S3 rolls key up into under a delimited
// listing: the listing's prefix and the rest of the key up to and including
// the first delimiter after it. ok is false when key is listed as itself.
func commonPrefix(key string, p *gofakes3.Prefix) (cp string, ok bool) {
	if !p.HasDelimiter || p.Delimiter == "" || !strings.HasPrefix(key, p.Prefix) {
		return "", false
	}
	i := strings.Index(key[len(p.Prefix):], p.Delimiter)
	if i < 0 {
		return "", false
	}
	return key[:len(p.Prefix)+i+len(p.Delimiter)], true
}

func (s *ObjectStore) ListBucketVersions(bucket string, prefix *gofakes3.Prefix, page *gofakes3.ListBucketVersionsPage) (*gofakes3.ListBucketVersionsResult, error) {
	if prefix == nil {
		prefix = &gofakes3.Prefix{}
	}
	if page == nil {
		page = &gofakes3.ListBucketVersionsPage{}
	}
	result := gofakes3.NewListBucketVersionsResult(bucket, prefix, page)
	err := s.db.View(func(tx *bolt.Tx) error {
		m, ob, err := s.bucketMeta(tx, bucket)
		if err != nil {
			return err
		}
		// As in ListBucket: common prefixes count towards MaxKeys, and a page
		// that ended on one has it as its key marker and does not list it again.
		start, lastPrefix := prefix.Prefix, ""
		if page.HasKeyMarker && page.KeyMarker >= start {
			start = page.KeyMarker
			if cp, ok := commonPrefix(page.KeyMarker, prefix); ok && cp == page.KeyMarker {
				lastPrefix = cp
			}
		}
		var count int64
		full := func() bool {
			result.IsTruncated = page.MaxKeys > 0 && count >= page.MaxKeys
			return result.IsTruncated
		}
		c := ob.Cursor()
		for k, v := c.Seek([]byte(start)); k != nil; k, v = c.Next() {
			key := string(k)
			if prefix.HasPrefix && !strings.HasPrefix(key, prefix.Prefix) {
				break
			}
			if page.HasKeyMarker && key == page.KeyMarker && !page.HasVersionIDMarker {
				continue // the key marker itself is exclusive
			}
			if cp, rolled := commonPrefix(key, prefix); rolled {
				if cp == lastPrefix {
					continue
				}
				if full() {
					return nil
				}
				lastPrefix = cp
				result.AddPrefix(cp)
				result.NextKeyMarker, result.NextVersionIDMarker = cp, ""
				count++
				continue
			}
			var rec objectRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			skipping := page.HasVersionIDMarker && key == page.KeyMarker
			for i, ver := range rec.Versions {
				if skipping {
					skipping = ver.ID != string(page.VersionIDMarker)
					continue
				}
				if full() {
					return nil
				}
				id := m.externalID(ver.ID)
				if id == "" {
					id = "null"
				}
				if ver.DeleteMarker {
					result.Versions = append(result.Versions, &gofakes3.DeleteMarker{Key: key, VersionID: id, IsLatest: i == 0, LastModified: gofakes3.NewContentTime(ver.Modified)})
				} else {
					result.Versions = append(result.Versions, &gofakes3.Version{Key: key, VersionID: id, IsLatest: i == 0, LastModified: gofakes3.NewContentTime(ver.Modified), Size: ver.Size, ETag: `"` + ver.MD5 + `"`, StorageClass: "STANDARD"})
				}
				result.NextKeyMarker, result.NextVersionIDMarker = key, id
				count++
			}
		}
		return nil
	})
	if !result.IsTruncated {
		result.NextKeyMarker, result.NextVersionIDMarker = "", ""
	}
	return result, err
}

// Latest describes the newest version of each key in a bucket, delete markers
// included, in key order; fn returning false stops the walk.
func (s *ObjectStore) Latest(bucket string, fn func(Change) bool) error {
	return s.db.View(func(tx *bolt.Tx) error {
		m, ob, err := s.bucketMeta(tx, bucket)
		if err != nil {
			return err
		}
		c := ob.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var rec objectRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			cur := latest(&rec)
			if cur == nil {
				continue
			}
			kind := ChangePut
			if cur.DeleteMarker {
				kind = ChangeDeleteMarker
			}
			if !fn(Change{Kind: kind, Bucket: bucket, Key: string(k), VersionID: string(m.externalID(cur.ID)), ETag: cur.MD5, Size: cur.Size, Sequencer: cur.sequencer(), Time: cur.Modified}) {
				return nil
			}
		}
		return nil
	})
}

// finishFile ends the write of n bytes of a body announced as size (-1:
// unknown) to f, whatever err the copy ended with: a body of another length
// is incomplete, and the file is synced before it counts as written.
func finishFile(f *os.File, n, size int64, err error) error {
	if err == nil && size >= 0 && n != size {
		err = gofakes3.ErrIncompleteBody
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
