package sanitize

import "github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"

// Job is what one execution knows about its object; each step adds its result and
// the state machine passes it on. It is the "job" field of every step payload (see
// internal/lambdafn), so every field is bounded: the whole payload stays far below
// Step Functions' 256 KB whatever the image.
type Job struct {
	// From the event.
	DetailType  string `json:"detailType"`
	EventSource string `json:"eventSource"`
	EventID     string `json:"eventId,omitempty"`
	EventTime   string `json:"eventTime,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Source      Source `json:"source"`

	Validation *Validation `json:"validation,omitempty"`
	Stripped   *Stripped   `json:"stripped,omitempty"`
	Staged     *Staged     `json:"staged,omitempty"`
	Published  *Published  `json:"published,omitempty"`
	Verified   *Verified   `json:"verified,omitempty"`
	Unpublish  *Unpublish  `json:"unpublish,omitempty"`
}

// Source is the input object version the event is about. Key is exactly as the event
// carries it (EventBridge does not URL-encode keys). VersionID (versioned buckets) or
// ETag pins the bytes every step reads; Sequencer orders events for one key.
type Source struct {
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"versionId,omitempty"`
	ETag      string `json:"etag,omitempty"`
	Size      int64  `json:"size,omitempty"`
	Sequencer string `json:"sequencer,omitempty"`
	// LastModified (RFC 3339) of the version read; orders outputs when an event has no sequencer.
	LastModified string `json:"lastModified,omitempty"`
}

// Ref is the exact-version reference to the source.
func (s Source) Ref() ObjectRef {
	return ObjectRef{Bucket: s.Bucket, Key: s.Key, VersionID: s.VersionID, ETag: s.ETag}
}

func (s Source) audit() audit.Object {
	return audit.Object{Bucket: s.Bucket, Key: s.Key, VersionID: s.VersionID, ETag: s.ETag, Sequencer: s.Sequencer, Size: s.Size}
}

// Validation is what Validate learned about the source.
type Validation struct {
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int64  `json:"bytes"`
	SHA256      string `json:"sha256"`
	ImageDigest string `json:"imageDigest"`
	// Decode is how the image data was decoded: "ok", or "skipped: <why>" for a
	// coding process the decoder does not handle (arithmetic, 12-bit, lossless).
	Decode      string `json:"decode,omitempty"`
	Orientation int    `json:"orientation,omitempty"`
	// SensitiveTags names (never values) privacy-relevant tags found, at most MaxNames.
	SensitiveTags []string `json:"sensitiveTags,omitempty"`
}

// Stripped is what Strip removed and produced.
type Stripped struct {
	PolicyVersion string `json:"policyVersion"`
	BytesIn       int64  `json:"bytesIn"`
	BytesOut      int64  `json:"bytesOut"`
	SHA256In      string `json:"sha256In"`
	SHA256Out     string `json:"sha256Out"`
	// ImageDigest is the output's image digest: the source's (SourceImageDigest),
	// except for an image the transform mode rotated, whose coefficients Strip
	// proved equal to the rotated source's.
	ImageDigest       string          `json:"imageDigest"`
	SourceImageDigest string          `json:"sourceImageDigest"`
	Removed           []audit.Removal `json:"removed,omitempty"`
	SensitiveTags     []string        `json:"sensitiveTags,omitempty"`
	Orientation       int             `json:"orientation,omitempty"`
	OrientationAction string          `json:"orientationAction,omitempty"`
}

// Staged is the sanitized object in the staging bucket.
type Staged struct {
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"versionId,omitempty"`
	ETag      string `json:"etag"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
}

// Write outcomes.
const (
	// Written: this execution's output is now the current object in the output bucket.
	Written = "written"
	// Unchanged: the output bucket already held exactly this output (a duplicate delivery).
	Unchanged = "unchanged"
	// Skipped: the output bucket holds a newer upload's output; nothing was written.
	Skipped = "skipped"
)

// Published is the object in the output bucket this execution wrote or found.
type Published struct {
	Outcome   string `json:"outcome"`
	Reason    string `json:"reason,omitempty"`
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"versionId,omitempty"`
	ETag      string `json:"etag,omitempty"`
	Size      int64  `json:"size,omitempty"`
	SHA256    string `json:"sha256,omitempty"`
}

// Verified is what Verify proved about the published object.
type Verified struct {
	// Superseded: the published version was replaced (a newer upload) or removed
	// (a delete) before Verify read it; the newer execution verifies its own output.
	Superseded  bool   `json:"superseded,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
	ImageDigest string `json:"imageDigest,omitempty"`
	Clean       bool   `json:"clean"`
}

// Unpublish is what Unpublish did.
type Unpublish struct {
	Outcome string `json:"outcome"` // "deleted" or "skipped"
	Reason  string `json:"reason,omitempty"`
	// Removed names the output object deleted (when there was one).
	Removed *ObjectRef `json:"removed,omitempty"`
}

// MaxNames bounds lists of tag names and segment kinds carried in a Job.
const MaxNames = 64

// maxNameLen bounds each name in those lists.
const maxNameLen = 64

func boundNames(names []string) []string {
	if len(names) > MaxNames {
		names = names[:MaxNames]
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if len(n) > maxNameLen {
			n = n[:maxNameLen]
		}
		out = append(out, n)
	}
	return out
}
