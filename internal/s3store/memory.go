package s3store

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// Memory is an in-memory object store with S3's semantics for what the pipeline
// uses: versioned or unversioned buckets, delete markers, exact-version reads,
// If-None-Match / If-Match writes and copies. Fail, when set, is consulted before every
// request and its error returned, to inject faults.
type Memory struct {
	mu      sync.Mutex
	buckets map[string]*memBucket
	nextVer int
	Fail    func(op, bucket, key string) error
	// Now stamps LastModified (time.Now when nil); S3 keeps whole seconds, so does Memory.
	Now func() time.Time
}

var (
	_ sanitize.Store = (*Memory)(nil)
	_ audit.Objects  = (*Memory)(nil)
)

type memBucket struct {
	versioned bool
	objects   map[string][]memVersion // oldest first
}

type memVersion struct {
	id           string
	body         []byte
	etag         string
	contentType  string
	lastModified time.Time
	metadata     map[string]string
	deleteMarker bool
}

// NewMemory returns an empty store.
func NewMemory() *Memory { return &Memory{buckets: map[string]*memBucket{}} }

// CreateBucket adds a bucket; versioned buckets keep every version and give each an ID.
func (m *Memory) CreateBucket(name string, versioned bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buckets[name] = &memBucket{versioned: versioned, objects: map[string][]memVersion{}}
}

func (m *Memory) fail(op, bucket, key string) error {
	if m.Fail == nil {
		return nil
	}
	if err := m.Fail(op, bucket, key); err != nil {
		return &sanitize.StorageError{Op: op, Bucket: bucket, Key: key, Kind: sanitize.ErrTransient, Err: err}
	}
	return nil
}

func (m *Memory) storageErr(op string, ref sanitize.ObjectRef, kind error, format string, args ...any) error {
	return &sanitize.StorageError{Op: op, Bucket: ref.Bucket, Key: ref.Key, Kind: kind, Err: fmt.Errorf(format, args...)}
}

// find returns the version ref names; m.mu is held.
func (m *Memory) find(op string, ref sanitize.ObjectRef) (memVersion, error) {
	b := m.buckets[ref.Bucket]
	if b == nil {
		return memVersion{}, m.storageErr(op, ref, sanitize.ErrNotFound, "NoSuchBucket")
	}
	versions := b.objects[ref.Key]
	if ref.VersionID != "" {
		for _, v := range versions {
			if v.id == ref.VersionID && !v.deleteMarker {
				return v, nil
			}
		}
		return memVersion{}, m.storageErr(op, ref, sanitize.ErrNotFound, "NoSuchVersion %s", ref.VersionID)
	}
	if len(versions) == 0 || versions[len(versions)-1].deleteMarker {
		return memVersion{}, m.storageErr(op, ref, sanitize.ErrNotFound, "NoSuchKey")
	}
	v := versions[len(versions)-1]
	if ref.ETag != "" && sanitize.NormalizeETag(ref.ETag) != v.etag {
		return memVersion{}, m.storageErr(op, ref, sanitize.ErrPreconditionFailed, "etag %s is not %s", v.etag, ref.ETag)
	}
	return v, nil
}

func (v memVersion) info(bucket, key string) sanitize.ObjectInfo {
	return sanitize.ObjectInfo{Bucket: bucket, Key: key, VersionID: v.id, ETag: v.etag, Size: int64(len(v.body)),
		ContentType: v.contentType, LastModified: v.lastModified, Metadata: maps.Clone(v.metadata)}
}

// Get implements sanitize.Store.
func (m *Memory) Get(_ context.Context, ref sanitize.ObjectRef) (io.ReadCloser, sanitize.ObjectInfo, error) {
	if err := m.fail("get", ref.Bucket, ref.Key); err != nil {
		return nil, sanitize.ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, err := m.find("get", ref)
	if err != nil {
		return nil, sanitize.ObjectInfo{}, err
	}
	return io.NopCloser(bytes.NewReader(v.body)), v.info(ref.Bucket, ref.Key), nil
}

// Head implements sanitize.Store.
func (m *Memory) Head(_ context.Context, ref sanitize.ObjectRef) (sanitize.ObjectInfo, error) {
	if err := m.fail("head", ref.Bucket, ref.Key); err != nil {
		return sanitize.ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, err := m.find("head", ref)
	if err != nil {
		return sanitize.ObjectInfo{}, err
	}
	return v.info(ref.Bucket, ref.Key), nil
}

// Put implements sanitize.Store.
func (m *Memory) Put(_ context.Context, req sanitize.PutRequest) (sanitize.ObjectInfo, error) {
	if err := m.fail("put", req.Bucket, req.Key); err != nil {
		return sanitize.ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := sanitize.ObjectRef{Bucket: req.Bucket, Key: req.Key}
	b := m.buckets[req.Bucket]
	if b == nil {
		return sanitize.ObjectInfo{}, m.storageErr("put", ref, sanitize.ErrNotFound, "NoSuchBucket")
	}
	if err := m.check("put", ref, req.IfNoneMatch, req.IfMatch); err != nil {
		return sanitize.ObjectInfo{}, err
	}
	sum := md5.Sum(req.Body)
	v := memVersion{body: bytes.Clone(req.Body), etag: hex.EncodeToString(sum[:]), contentType: req.ContentType,
		lastModified: m.now(), metadata: lower(req.Metadata)}
	m.append(b, req.Key, v)
	return b.objects[req.Key][len(b.objects[req.Key])-1].info(req.Bucket, req.Key), nil
}

// Copy implements sanitize.Store: the copy shares the source's bytes and ETag
// (a single-part object's copy has the MD5 of the same content), and takes its
// content type and metadata from req (MetadataDirective REPLACE).
func (m *Memory) Copy(_ context.Context, req sanitize.CopyRequest) (sanitize.ObjectInfo, error) {
	if err := m.fail("copy", req.Bucket, req.Key); err != nil {
		return sanitize.ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := sanitize.ObjectRef{Bucket: req.Bucket, Key: req.Key}
	src, err := m.find("copy", req.Source)
	if err != nil {
		var se *sanitize.StorageError
		if errors.As(err, &se) {
			se.Bucket, se.Key = req.Bucket, req.Key
			se.Err = fmt.Errorf("source s3://%s/%s: %w", req.Source.Bucket, req.Source.Key, se.Err)
		}
		return sanitize.ObjectInfo{}, err
	}
	b := m.buckets[req.Bucket]
	if b == nil {
		return sanitize.ObjectInfo{}, m.storageErr("copy", ref, sanitize.ErrNotFound, "NoSuchBucket")
	}
	if err := m.check("copy", ref, req.IfNoneMatch, req.IfMatch); err != nil {
		return sanitize.ObjectInfo{}, err
	}
	v := memVersion{body: src.body, etag: src.etag, contentType: req.ContentType,
		lastModified: m.now(), metadata: lower(req.Metadata)}
	m.append(b, req.Key, v)
	return b.objects[req.Key][len(b.objects[req.Key])-1].info(req.Bucket, req.Key), nil
}

// check applies a write's conditions on ref's current version; m.mu is held.
func (m *Memory) check(op string, ref sanitize.ObjectRef, ifNoneMatch bool, ifMatch string) error {
	current, err := m.find(op, ref)
	exists := err == nil
	if ifNoneMatch && exists {
		return m.storageErr(op, ref, sanitize.ErrPreconditionFailed, "object exists")
	}
	if ifMatch != "" && (!exists || current.etag != sanitize.NormalizeETag(ifMatch)) {
		return m.storageErr(op, ref, sanitize.ErrPreconditionFailed, "etag does not match")
	}
	return nil
}

// now is LastModified for a new version, in whole seconds as S3 keeps it.
func (m *Memory) now() time.Time {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	return now().UTC().Truncate(time.Second)
}

// append adds a version (replacing the only one in an unversioned bucket); m.mu is held.
func (m *Memory) append(b *memBucket, key string, v memVersion) {
	if !b.versioned {
		b.objects[key] = []memVersion{v}
		return
	}
	m.nextVer++
	v.id = fmt.Sprintf("v%06d", m.nextVer)
	b.objects[key] = append(b.objects[key], v)
}

// Delete implements sanitize.Store.
func (m *Memory) Delete(_ context.Context, ref sanitize.ObjectRef) error {
	if err := m.fail("delete", ref.Bucket, ref.Key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[ref.Bucket]
	if b == nil {
		return m.storageErr("delete", ref, sanitize.ErrNotFound, "NoSuchBucket")
	}
	versions := b.objects[ref.Key]
	switch {
	case ref.VersionID != "":
		kept := versions[:0:0]
		for _, v := range versions {
			if v.id != ref.VersionID {
				kept = append(kept, v)
			}
		}
		b.objects[ref.Key] = kept
	case b.versioned:
		m.append(b, ref.Key, memVersion{deleteMarker: true})
	default:
		delete(b.objects, ref.Key)
	}
	if len(b.objects[ref.Key]) == 0 {
		delete(b.objects, ref.Key)
	}
	return nil
}

// PutIfAbsent implements audit.Objects.
func (m *Memory) PutIfAbsent(ctx context.Context, bucket, key string, body []byte, contentType string) (bool, error) {
	_, err := m.Put(ctx, sanitize.PutRequest{Bucket: bucket, Key: key, Body: body, ContentType: contentType, IfNoneMatch: true})
	if errors.Is(err, sanitize.ErrPreconditionFailed) {
		return false, nil
	}
	return err == nil, err
}

// ReadAll implements audit.Objects.
func (m *Memory) ReadAll(ctx context.Context, bucket, key string) ([]byte, error) {
	body, _, err := m.Get(ctx, sanitize.ObjectRef{Bucket: bucket, Key: key})
	if err != nil {
		return nil, err
	}
	return io.ReadAll(body)
}

// List implements audit.Objects: keys whose current version is not a delete marker.
func (m *Memory) List(_ context.Context, bucket, prefix string) ([]string, error) {
	if err := m.fail("list", bucket, prefix); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[bucket]
	if b == nil {
		return nil, m.storageErr("list", sanitize.ObjectRef{Bucket: bucket, Key: prefix}, sanitize.ErrNotFound, "NoSuchBucket")
	}
	var keys []string
	for k, versions := range b.objects {
		if strings.HasPrefix(k, prefix) && !versions[len(versions)-1].deleteMarker {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys, nil
}
