package lambdafn

import (
	"encoding/json"
	"fmt"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// Event is an EventBridge event from S3 (source "aws.s3") or from the reprocess
// command (source "s3-image-sanitizer.reprocess"), which sends the same detail shape.
type Event struct {
	Version    string      `json:"version"`
	ID         string      `json:"id"`
	DetailType string      `json:"detail-type"`
	Source     string      `json:"source"`
	Account    string      `json:"account"`
	Time       string      `json:"time"`
	Region     string      `json:"region"`
	Resources  []string    `json:"resources"`
	Detail     EventDetail `json:"detail"`
}

// EventDetail is the detail of S3's Object Created and Object Deleted events. Size,
// etag, version-id and sequencer may be absent (unversioned buckets, deletes,
// reprocess events).
type EventDetail struct {
	Version string `json:"version"`
	Bucket  struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size,omitempty"`
		ETag      string `json:"etag,omitempty"`
		VersionID string `json:"version-id,omitempty"`
		Sequencer string `json:"sequencer,omitempty"`
	} `json:"object"`
	RequestID       string `json:"request-id,omitempty"`
	Requester       string `json:"requester,omitempty"`
	SourceIPAddress string `json:"source-ip-address,omitempty"`
	Reason          string `json:"reason,omitempty"`
	DeletionType    string `json:"deletion-type,omitempty"`
}

// Detail-types the pipeline handles.
const (
	ObjectCreated = "Object Created"
	ObjectDeleted = "Object Deleted"
)

// ParseEvent decodes an EventBridge event and checks it names an object.
func ParseEvent(b []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return Event{}, &sanitize.InvalidInputError{Msg: "event: " + err.Error()}
	}
	if _, err := e.Job(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// Job starts a job from the event. The key is used exactly as the event carries it:
// EventBridge does not URL-encode keys, so decoding would corrupt "+", "%" and spaces.
func (e Event) Job() (sanitize.Job, error) {
	if e.DetailType != ObjectCreated && e.DetailType != ObjectDeleted {
		return sanitize.Job{}, &sanitize.InvalidInputError{Msg: fmt.Sprintf("detail-type %q", e.DetailType)}
	}
	o := e.Detail.Object
	if e.Detail.Bucket.Name == "" || o.Key == "" {
		return sanitize.Job{}, &sanitize.InvalidInputError{Msg: "event names no bucket or key"}
	}
	return sanitize.Job{
		DetailType: e.DetailType, EventSource: e.Source, EventID: e.ID, EventTime: e.Time, Reason: e.Detail.Reason,
		Source: sanitize.Source{Bucket: e.Detail.Bucket.Name, Key: o.Key, VersionID: o.VersionID,
			ETag: sanitize.NormalizeETag(o.ETag), Size: o.Size, Sequencer: o.Sequencer},
	}, nil
}

// EventRequest is the payload of validate and unpublish.
type EventRequest struct {
	ExecutionID string `json:"executionId"`
	RetryCount  int    `json:"retryCount"`
	Event       Event  `json:"event"`
}

// JobRequest is the payload of strip, write and verify.
type JobRequest struct {
	ExecutionID string       `json:"executionId"`
	RetryCount  int          `json:"retryCount"`
	Job         sanitize.Job `json:"job"`
}

// StepError is Step Functions' error output, as a Catch with ResultPath "$.error" adds it.
type StepError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// FailedState is the state a Catch saw, plus its error: the job for a failure after
// Validate, the event (its fields inline) for Validate and Unpublish.
type FailedState struct {
	Job   *sanitize.Job `json:"job,omitempty"`
	Error StepError     `json:"error"`
	Event
}

// FailureRequest is the payload of record-failure.
type FailureRequest struct {
	ExecutionID string      `json:"executionId"`
	RetryCount  int         `json:"retryCount"`
	FailedStep  string      `json:"failedStep"`
	State       FailedState `json:"state"`
}

// source is what the failed execution knew about the object.
func (s FailedState) source() sanitize.Source {
	if s.Job != nil {
		return s.Job.Source
	}
	o := s.Detail.Object
	return sanitize.Source{Bucket: s.Detail.Bucket.Name, Key: o.Key, VersionID: o.VersionID,
		ETag: sanitize.NormalizeETag(o.ETag), Size: o.Size, Sequencer: o.Sequencer}
}
