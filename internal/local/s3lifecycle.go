package local

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
	bolt "go.etcd.io/bbolt"
)

// S3 Lifecycle: PutBucketLifecycleConfiguration, GetBucketLifecycleConfiguration
// and DeleteBucketLifecycle, and the expiry they configure, applied by
// ApplyLifecycle (the stack runs it periodically). Without it a long-running
// local stack keeps every staged copy Strip makes, and the versions A and B
// replace, for ever; on AWS the Terraform's rules expire them. The actions
// that remove data are served: Expiration (Days, Date, ExpiredObjectDeleteMarker),
// NoncurrentVersionExpiration (NoncurrentDays, NewerNoncurrentVersions) and
// AbortIncompleteMultipartUpload. Transitions are kept and returned but do
// nothing: the local store has one storage class. Filters by prefix and object
// size are served; filters by tag are refused, as objects carry no tags here.
//
// Timing is S3's: an object expires at the first midnight UTC at least Days after
// it was written (a noncurrent version, after it became noncurrent), and
// ApplyLifecycle removes what has expired by the time it runs.

var lifecycleKey = []byte("_lifecycle") // bucket name -> lifecycleConfiguration (JSON)

// lifecycleConfiguration is read in any namespace (S3 accepts a document
// without one) and written in S3's (lifecycleDocument).
type lifecycleConfiguration struct {
	XMLName xml.Name        `xml:"LifecycleConfiguration" json:"-"`
	Rules   []lifecycleRule `xml:"Rule"`
}

type lifecycleDocument struct {
	XMLName xml.Name        `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LifecycleConfiguration"`
	Rules   []lifecycleRule `xml:"Rule"`
}

type lifecycleRule struct {
	ID                             string                          `xml:"ID,omitempty"`
	Prefix                         *string                         `xml:"Prefix"` // the deprecated rule-level prefix
	Filter                         *lifecycleFilter                `xml:"Filter"`
	Status                         string                          `xml:"Status"`
	Expiration                     *lifecycleExpiration            `xml:"Expiration"`
	NoncurrentVersionExpiration    *noncurrentVersionExpiration    `xml:"NoncurrentVersionExpiration"`
	AbortIncompleteMultipartUpload *abortIncompleteMultipartUpload `xml:"AbortIncompleteMultipartUpload"`
	Transitions                    []rawElement                    `xml:"Transition"`
	NoncurrentVersionTransitions   []rawElement                    `xml:"NoncurrentVersionTransition"`
}

type lifecycleFilter struct {
	Prefix                *string       `xml:"Prefix"`
	Tag                   *rawElement   `xml:"Tag"`
	ObjectSizeGreaterThan *int64        `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64        `xml:"ObjectSizeLessThan"`
	And                   *lifecycleAnd `xml:"And"`
}

type lifecycleAnd struct {
	Prefix                *string      `xml:"Prefix"`
	Tags                  []rawElement `xml:"Tag"`
	ObjectSizeGreaterThan *int64       `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64       `xml:"ObjectSizeLessThan"`
}

type lifecycleExpiration struct {
	Days                      *int    `xml:"Days"`
	Date                      *string `xml:"Date"`
	ExpiredObjectDeleteMarker *bool   `xml:"ExpiredObjectDeleteMarker"`
}

type noncurrentVersionExpiration struct {
	NoncurrentDays          *int `xml:"NoncurrentDays"`
	NewerNoncurrentVersions *int `xml:"NewerNoncurrentVersions"`
}

type abortIncompleteMultipartUpload struct {
	DaysAfterInitiation *int `xml:"DaysAfterInitiation"`
}

// rawElement keeps an element's content as it came, to be returned as it was.
type rawElement struct {
	Inner string `xml:",innerxml"`
}

// lifecycleError is a refused configuration, with S3's code and words.
type lifecycleError struct{ code, msg string }

func (e *lifecycleError) Error() string { return e.code + ": " + e.msg }

func malformed() error {
	return &lifecycleError{"MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"}
}

func invalidArgument(msg string) error { return &lifecycleError{"InvalidArgument", msg} }

// parseLifecycle reads and checks a LifecycleConfiguration as S3 does.
func parseLifecycle(body []byte) (*lifecycleConfiguration, error) {
	var c lifecycleConfiguration
	if err := xml.Unmarshal(body, &c); err != nil || len(c.Rules) == 0 || len(c.Rules) > 1000 {
		return nil, malformed()
	}
	ids := map[string]bool{}
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.ID == "" {
			r.ID = randomHex(16) // S3 names an unnamed rule
		}
		switch {
		case len(r.ID) > 255:
			return nil, invalidArgument("ID length should not exceed allowed limit of 255")
		case ids[r.ID]:
			return nil, invalidArgument("Rule ID must be unique. Found same ID for more than one rule")
		case r.Status != "Enabled" && r.Status != "Disabled":
			return nil, malformed()
		case (r.Prefix == nil) == (r.Filter == nil):
			return nil, malformed() // one of Filter and the old Prefix, not both
		case r.Expiration == nil && r.NoncurrentVersionExpiration == nil && r.AbortIncompleteMultipartUpload == nil &&
			len(r.Transitions) == 0 && len(r.NoncurrentVersionTransitions) == 0:
			return nil, &lifecycleError{"InvalidRequest", "At least one action needs to be specified in a rule"}
		}
		ids[r.ID] = true
		if err := r.Filter.check(); err != nil {
			return nil, err
		}
		if err := r.checkActions(); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

func (f *lifecycleFilter) check() error {
	if f == nil {
		return nil
	}
	set := 0
	for _, ok := range []bool{f.Prefix != nil, f.Tag != nil, f.ObjectSizeGreaterThan != nil, f.ObjectSizeLessThan != nil, f.And != nil} {
		if ok {
			set++
		}
	}
	if set > 1 {
		return malformed() // several conditions go in <And>
	}
	if f.Tag != nil || f.And != nil && len(f.And.Tags) > 0 {
		return &lifecycleError{"NotImplemented", "Lifecycle rules filtered by object tags are not supported by the local S3 (objects carry no tags here)"}
	}
	gt, lt := f.ObjectSizeGreaterThan, f.ObjectSizeLessThan
	if f.And != nil {
		gt, lt = f.And.ObjectSizeGreaterThan, f.And.ObjectSizeLessThan
	}
	if gt != nil && *gt < 0 || lt != nil && *lt <= 0 {
		return invalidArgument("Object size must be a non-negative integer (ObjectSizeLessThan positive)")
	}
	if gt != nil && lt != nil && *gt >= *lt {
		return invalidArgument("ObjectSizeGreaterThan must be less than ObjectSizeLessThan")
	}
	return nil
}

func (r *lifecycleRule) checkActions() error {
	if e := r.Expiration; e != nil {
		set := 0
		for _, ok := range []bool{e.Days != nil, e.Date != nil, e.ExpiredObjectDeleteMarker != nil} {
			if ok {
				set++
			}
		}
		if set != 1 {
			return malformed()
		}
		if e.Days != nil && *e.Days <= 0 {
			return invalidArgument("'Days' for Expiration action must be a positive integer")
		}
		if e.Date != nil {
			t, err := time.Parse(time.RFC3339, *e.Date)
			if err != nil {
				return invalidArgument("'Date' must be an ISO 8601 date")
			}
			if t = t.UTC(); !t.Equal(t.Truncate(24 * time.Hour)) {
				return invalidArgument("'Date' must be at midnight GMT")
			}
		}
	}
	if n := r.NoncurrentVersionExpiration; n != nil {
		if n.NoncurrentDays == nil || *n.NoncurrentDays <= 0 {
			return invalidArgument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
		}
		if v := n.NewerNoncurrentVersions; v != nil && (*v < 1 || *v > 100) {
			return invalidArgument("'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer up to 100")
		}
	}
	if a := r.AbortIncompleteMultipartUpload; a != nil && (a.DaysAfterInitiation == nil || *a.DaysAfterInitiation <= 0) {
		return invalidArgument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
	}
	return nil
}

// PutBucketLifecycle sets a bucket's lifecycle configuration (S3's XML),
// replacing any it had. A configuration S3 would refuse is refused.
func (s *ObjectStore) PutBucketLifecycle(bucket string, config []byte) error {
	c, err := parseLifecycle(config)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if _, _, err := s.bucketMeta(tx, bucket); err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(lifecycleKey)
		if err != nil {
			return err
		}
		return b.Put([]byte(bucket), raw)
	})
}

// ensureLifecycle sets a bucket's lifecycle configuration unless it has one:
// a configuration put through the API since is kept across restarts.
func (s *ObjectStore) ensureLifecycle(bucket string, config []byte) error {
	c, err := s.bucketLifecycle(bucket)
	if err != nil || c != nil {
		return err
	}
	return s.PutBucketLifecycle(bucket, config)
}

// bucketLifecycle returns a bucket's configuration, nil when it has none.
func (s *ObjectStore) bucketLifecycle(bucket string) (*lifecycleConfiguration, error) {
	var c *lifecycleConfiguration
	err := s.db.View(func(tx *bolt.Tx) error {
		if _, _, err := s.bucketMeta(tx, bucket); err != nil {
			return err
		}
		var err error
		c, err = readLifecycle(tx, bucket)
		return err
	})
	return c, err
}

func readLifecycle(tx *bolt.Tx, bucket string) (*lifecycleConfiguration, error) {
	b := tx.Bucket(lifecycleKey)
	if b == nil {
		return nil, nil
	}
	raw := b.Get([]byte(bucket))
	if raw == nil {
		return nil, nil
	}
	var c lifecycleConfiguration
	return &c, json.Unmarshal(raw, &c)
}

func (s *ObjectStore) deleteBucketLifecycle(bucket string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if _, _, err := s.bucketMeta(tx, bucket); err != nil {
			return err
		}
		if b := tx.Bucket(lifecycleKey); b != nil {
			return b.Delete([]byte(bucket))
		}
		return nil
	})
}

// lifecycle serves ?lifecycle on a bucket.
func (f *s3Front) lifecycle(w http.ResponseWriter, r *http.Request, bucket string) {
	w.Header().Set("x-amz-request-id", newRequestID())
	fail := func(err error) {
		var le *lifecycleError
		switch {
		case errors.As(err, &le) && le.code == "NotImplemented":
			writeS3Error(w, http.StatusNotImplemented, le.code, le.msg)
		case errors.As(err, &le):
			writeS3Error(w, http.StatusBadRequest, le.code, le.msg)
		default:
			writeCopyError(w, r, err)
		}
	}
	switch r.Method {
	case http.MethodGet:
		c, err := f.store.bucketLifecycle(bucket)
		if err != nil {
			fail(err)
			return
		}
		if c == nil {
			writeS3Error(w, http.StatusNotFound, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist")
			return
		}
		raw, _ := xml.Marshal(lifecycleDocument{Rules: c.Rules})
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(xml.Header))
		w.Write(raw)
	case http.MethodPut:
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			fail(malformed())
			return
		}
		if err := f.store.PutBucketLifecycle(bucket, body); err != nil {
			fail(err)
			return
		}
		w.WriteHeader(http.StatusOK)
	case http.MethodDelete:
		if err := f.store.deleteBucketLifecycle(bucket); err != nil {
			fail(err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeS3Error(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	}
}

// LifecycleReport counts what ApplyLifecycle did.
type LifecycleReport struct {
	Expired              int // current versions expired: deleted, or hidden by a delete marker
	NoncurrentRemoved    int // noncurrent versions removed
	DeleteMarkersRemoved int // expired object delete markers removed
	UploadsAborted       int // incomplete multipart uploads aborted
}

// ApplyLifecycle removes what every bucket's lifecycle rules have expired by
// now. Each key is changed in its own transaction, which decides again on the
// key's versions as they are then, so a write racing the pass is never lost.
// Changes to the input bucket become "Object Deleted" events whose reason is
// "Lifecycle Expiration", as S3's are.
func (s *ObjectStore) ApplyLifecycle(ctx context.Context, now time.Time) (LifecycleReport, error) {
	var rep LifecycleReport
	configs := map[string]*lifecycleConfiguration{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(lifecycleKey)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var c lifecycleConfiguration
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			configs[string(k)] = &c
			return nil
		})
	})
	if err != nil {
		return rep, err
	}
	for bucket, c := range configs {
		keys, err := s.expiringKeys(bucket, c, now)
		if err != nil {
			return rep, err
		}
		for _, key := range keys {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			if err := s.expireKey(bucket, key, c, now, &rep); err != nil {
				return rep, err
			}
		}
	}
	return rep, s.abortExpiredUploads(configs, now, &rep)
}

// expiringKeys lists a bucket's keys with something to expire.
func (s *ObjectStore) expiringKeys(bucket string, c *lifecycleConfiguration, now time.Time) ([]string, error) {
	var keys []string
	err := s.db.View(func(tx *bolt.Tx) error {
		m, ob, err := s.bucketMeta(tx, bucket)
		if gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchBucket) {
			return nil // deleted since the configurations were read
		}
		if err != nil {
			return err
		}
		return ob.ForEach(func(k, v []byte) error {
			var rec objectRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if p := c.plan(m, string(k), &rec, now); p.any() {
				keys = append(keys, string(k))
			}
			return nil
		})
	})
	return keys, err
}

// expiry is what lifecycle rules do to one key.
type expiry struct {
	expireCurrent    bool
	removeNoncurrent map[string]bool // version IDs
	removeLoneMarker bool
}

func (e expiry) any() bool {
	return e.expireCurrent || len(e.removeNoncurrent) > 0 || e.removeLoneMarker
}

// plan decides, from a key's versions (newest first), what the enabled rules
// expire at now.
func (c *lifecycleConfiguration) plan(m *bucketMeta, key string, rec *objectRecord, now time.Time) expiry {
	var e expiry
	if len(rec.Versions) == 0 {
		return e
	}
	cur := rec.Versions[0]
	for i := range c.Rules {
		r := &c.Rules[i]
		if !r.applies(key) {
			continue
		}
		if x := r.Expiration; x != nil && !cur.DeleteMarker && r.sizeMatches(cur.Size) {
			switch {
			case x.Days != nil && !now.Before(midnightAfter(cur.Modified, *x.Days)):
				e.expireCurrent = true
			case x.Date != nil:
				if t, err := time.Parse(time.RFC3339, *x.Date); err == nil && !now.Before(t) {
					e.expireCurrent = true
				}
			}
		}
		if n := r.NoncurrentVersionExpiration; n != nil && n.NoncurrentDays != nil && m.Versioning != "" {
			newer := 0 // noncurrent versions newer than this one
			for j := 1; j < len(rec.Versions); j++ {
				v := rec.Versions[j]
				keep := n.NewerNoncurrentVersions != nil && newer < *n.NewerNoncurrentVersions
				newer++
				// A version is noncurrent from the moment the next one was written.
				since := rec.Versions[j-1].Modified
				if keep || !r.sizeMatches(v.Size) && !v.DeleteMarker || now.Before(midnightAfter(since, *n.NoncurrentDays)) {
					continue
				}
				if e.removeNoncurrent == nil {
					e.removeNoncurrent = map[string]bool{}
				}
				e.removeNoncurrent[v.ID] = true
			}
		}
	}
	// A delete marker with no versions behind it once this pass is done.
	if cur.DeleteMarker && len(rec.Versions)-1 == len(e.removeNoncurrent) {
		for i := range c.Rules {
			r := &c.Rules[i]
			if x := r.Expiration; r.applies(key) && x != nil && x.ExpiredObjectDeleteMarker != nil && *x.ExpiredObjectDeleteMarker {
				e.removeLoneMarker = true
			}
		}
	}
	return e
}

// applies reports whether an enabled rule names key (sizes aside).
func (r *lifecycleRule) applies(key string) bool {
	return r.Status == "Enabled" && strings.HasPrefix(key, r.prefix())
}

func (r *lifecycleRule) prefix() string {
	switch {
	case r.Prefix != nil:
		return *r.Prefix
	case r.Filter == nil:
		return ""
	case r.Filter.Prefix != nil:
		return *r.Filter.Prefix
	case r.Filter.And != nil && r.Filter.And.Prefix != nil:
		return *r.Filter.And.Prefix
	}
	return ""
}

func (r *lifecycleRule) sizeMatches(size int64) bool {
	f := r.Filter
	if f == nil {
		return true
	}
	gt, lt := f.ObjectSizeGreaterThan, f.ObjectSizeLessThan
	if f.And != nil {
		gt, lt = f.And.ObjectSizeGreaterThan, f.And.ObjectSizeLessThan
	}
	return (gt == nil || size > *gt) && (lt == nil || size < *lt)
}

// midnightAfter is when something dated t expires after days: S3 adds the
// days and rounds up to the next midnight UTC.
func midnightAfter(t time.Time, days int) time.Time {
	t = t.UTC().AddDate(0, 0, days)
	if d := t.Truncate(24 * time.Hour); !d.Equal(t) {
		return d.Add(24 * time.Hour)
	}
	return t
}

// expireKey applies the rules to one key in one transaction.
func (s *ObjectStore) expireKey(bucket, key string, c *lifecycleConfiguration, now time.Time, rep *LifecycleReport) error {
	var changes []Change
	var blobs []string
	var done LifecycleReport
	err := s.db.Batch(func(tx *bolt.Tx) error {
		changes, blobs, done = nil, nil, LifecycleReport{}
		m, rec, err := s.keyRecord(tx, bucket, key)
		if err != nil {
			return err
		}
		p := c.plan(m, key, rec, now)
		if !p.any() {
			return nil
		}
		at := s.now().UTC()
		kept := rec.Versions[:0]
		for i, v := range rec.Versions {
			remove := i > 0 && p.removeNoncurrent[v.ID] || i == 0 && p.removeLoneMarker
			if !remove {
				kept = append(kept, v)
				continue
			}
			blobs = append(blobs, v.Blob)
			etag := v.MD5
			if v.DeleteMarker {
				etag = emptyMD5
			}
			changes = append(changes, Change{Kind: ChangeDeleted, Bucket: bucket, Key: key, VersionID: string(m.externalID(v.ID)),
				ETag: etag, Sequencer: v.sequencer(), Time: at, Lifecycle: true})
			if i == 0 {
				done.DeleteMarkersRemoved++
			} else {
				done.NoncurrentRemoved++
			}
		}
		rec.Versions = kept
		if p.expireCurrent {
			done.Expired++
			if m.Versioning == "" {
				cur := rec.Versions[0]
				blobs = append(blobs, cur.Blob)
				changes = append(changes, Change{Kind: ChangeDeleted, Bucket: bucket, Key: key, ETag: cur.MD5, Sequencer: cur.sequencer(), Time: at, Lifecycle: true})
				rec.Versions = rec.Versions[1:]
			} else {
				dm, displaced, err := addDeleteMarker(tx, m, rec, at)
				if err != nil {
					return err
				}
				blobs = append(blobs, displaced...)
				changes = append(changes, Change{Kind: ChangeDeleteMarker, Bucket: bucket, Key: key, VersionID: string(m.externalID(dm.ID)),
					ETag: emptyMD5, Sequencer: dm.sequencer(), Time: at, Lifecycle: true})
			}
		}
		return putRecord(tx.Bucket(objectsBucket(bucket)), key, rec)
	})
	if err != nil {
		return fmt.Errorf("lifecycle: %s/%s: %w", bucket, key, err)
	}
	s.removeBlobs(blobs...)
	s.notify(changes...)
	rep.Expired += done.Expired
	rep.NoncurrentRemoved += done.NoncurrentRemoved
	rep.DeleteMarkersRemoved += done.DeleteMarkersRemoved
	return nil
}

// abortExpiredUploads aborts the multipart uploads the rules give up on.
func (s *ObjectStore) abortExpiredUploads(configs map[string]*lifecycleConfiguration, now time.Time, rep *LifecycleReport) error {
	var ids []gofakes3.UploadID
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(uploadsKey).ForEach(func(k, v []byte) error {
			var u multipartUpload
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			c := configs[u.Bucket]
			if c == nil {
				return nil
			}
			for i := range c.Rules {
				r := &c.Rules[i]
				if a := r.AbortIncompleteMultipartUpload; r.applies(u.Key) && a != nil && a.DaysAfterInitiation != nil &&
					!now.Before(midnightAfter(u.Initiated, *a.DaysAfterInitiation)) {
					ids = append(ids, gofakes3.UploadID(k))
					return nil
				}
			}
			return nil
		})
	})
	for _, id := range ids {
		s.endUpload(id)
		rep.UploadsAborted++
	}
	return err
}
