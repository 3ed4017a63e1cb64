package audit

import (
	"encoding/json"
	"fmt"
	"time"
)

// Schema names the record format; it changes only with an incompatible change.
const Schema = "s3-image-sanitizer/audit/v1"

// Outcome says how a step attempt ended.
type Outcome string

const (
	// Succeeded: the step did its work.
	Succeeded Outcome = "succeeded"
	// Skipped: the step found nothing to do, by design: a duplicate delivery whose
	// output already exists, an event older than what bucket B holds, a delete for a
	// key that still exists in bucket A.
	Skipped Outcome = "skipped"
	// Failed: the step returned an error (Error says which).
	Failed Outcome = "failed"
)

// Steps, as they appear in records and object names.
const (
	StepValidate      = "validate"
	StepStrip         = "strip"
	StepWrite         = "write"
	StepVerify        = "verify"
	StepRecordFailure = "record-failure"
	StepUnpublish     = "unpublish"
)

// Object names one version of one S3 object.
type Object struct {
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"versionId,omitempty"`
	ETag      string `json:"etag,omitempty"`
	Sequencer string `json:"sequencer,omitempty"`
	Size      int64  `json:"size,omitempty"`
}

// Removal is one kind of metadata segment that was removed: how many and how many bytes.
type Removal struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
	Bytes int64  `json:"bytes"`
}

// Error is the stable error name (as Step Functions sees it) and a message.
type Error struct {
	Name    string `json:"name"`
	Message string `json:"message,omitempty"`
}

// Record is one step attempt.
type Record struct {
	Schema    string  `json:"schema"`
	Execution string  `json:"execution"`
	Step      string  `json:"step"`
	Attempt   int     `json:"attempt"`
	Outcome   Outcome `json:"outcome"`
	// Reason explains a skip or a rollback in words.
	Reason string `json:"reason,omitempty"`
	// FailedStep is set by record-failure: the state that failed.
	FailedStep string `json:"failedStep,omitempty"`

	Source Object  `json:"source"`
	Output *Object `json:"output,omitempty"`

	SHA256In    string `json:"sha256In,omitempty"`
	SHA256Out   string `json:"sha256Out,omitempty"`
	BytesIn     int64  `json:"bytesIn,omitempty"`
	BytesOut    int64  `json:"bytesOut,omitempty"`
	ImageDigest string `json:"imageDigest,omitempty"`

	Removed       []Removal `json:"removed,omitempty"`
	SensitiveTags []string  `json:"sensitiveTags,omitempty"`
	PolicyVersion string    `json:"policyVersion,omitempty"`
	// Orientation is the source's Exif Orientation and what Strip did with it:
	// none, kept, dropped, invalid, transformed (rotated losslessly, no Exif
	// left) or kept-fallback (not transformable, OrientationReason says why).
	Orientation       int    `json:"orientation,omitempty"`
	OrientationAction string `json:"orientationAction,omitempty"`
	OrientationReason string `json:"orientationReason,omitempty"`

	StartedAt      time.Time `json:"startedAt"`
	FinishedAt     time.Time `json:"finishedAt"`
	DurationMillis int64     `json:"durationMillis"`

	Error *Error `json:"error,omitempty"`
}

// Validate reports the first missing field a reader would need.
func (r *Record) Validate() error {
	switch {
	case r.Execution == "":
		return fmt.Errorf("audit record: execution is empty")
	case r.Step == "":
		return fmt.Errorf("audit record: step is empty")
	case r.Attempt < 1:
		return fmt.Errorf("audit record: attempt %d < 1", r.Attempt)
	case r.Outcome != Succeeded && r.Outcome != Skipped && r.Outcome != Failed:
		return fmt.Errorf("audit record: unknown outcome %q", r.Outcome)
	case r.Outcome == Failed && r.Error == nil:
		return fmt.Errorf("audit record: failed without an error")
	case r.StartedAt.IsZero():
		return fmt.Errorf("audit record: startedAt is zero")
	}
	return nil
}

// Marshal encodes the record, filling Schema and DurationMillis.
func (r Record) Marshal() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	r.Schema = Schema
	if !r.FinishedAt.IsZero() {
		r.DurationMillis = r.FinishedAt.Sub(r.StartedAt).Milliseconds()
	}
	return json.MarshalIndent(r, "", "  ")
}
