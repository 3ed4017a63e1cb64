package asl

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// HistoryEvent is one entry of an execution's history, in the shape of the
// Step Functions API (GetExecutionHistory): MarshalJSON writes AWS's field
// names, the timestamp as epoch seconds, and payloads as JSON text strings.
type HistoryEvent struct {
	Timestamp       time.Time
	Type            string
	ID              int64
	PreviousEventID int64
	// Details is one of the *EventDetails types below, or nil.
	Details any
}

// Payload is a JSON value carried by an event (an input or output). It keeps
// the value and encodes it only when the event is marshalled, as a string of
// JSON text, as the Step Functions API does.
type Payload struct {
	v any
	// text, when set, is shared by every event and checkpoint an execution
	// made for this same value (see Execution.payload), so that the value is
	// encoded once however many of them carry it.
	text *payloadText
}

// payloadText is a value's encoding as a JSON string, made once.
type payloadText struct {
	once   sync.Once
	quoted []byte
}

// NewPayload wraps a JSON value (the generic form: maps, slices, strings...).
func NewPayload(v any) Payload { return Payload{v: v} }

// Value returns the JSON value.
func (p Payload) Value() any { return p.v }

// String returns the JSON text.
func (p Payload) String() string { return toJSON(p.v) }

// MarshalJSON encodes the payload as a JSON string holding the JSON text.
func (p Payload) MarshalJSON() ([]byte, error) {
	return p.AppendJSON(nil), nil
}

// AppendJSON appends the payload as MarshalJSON encodes it: a JSON string
// holding the JSON text, escaped as encoding/json escapes strings.
func (p Payload) AppendJSON(buf []byte) []byte {
	if p.text == nil {
		return appendQuotedJSON(buf, p.v)
	}
	p.text.once.Do(func() {
		// Sized for the text and a few escapes: it is kept as long as the
		// execution's history, and growing it would copy it over and over.
		n := jsonSizeAtLeast(p.v, MaxPayloadBytes)
		p.text.quoted = appendQuotedJSON(make([]byte, 0, n+n/8+16), p.v)
	})
	return append(buf, p.text.quoted...)
}

// appendQuotedJSON appends v's JSON text (toJSON's) as a JSON string escaped
// as encoding/json escapes strings, in one pass: the text itself is never
// built.
func appendQuotedJSON(buf []byte, v any) []byte {
	buf = append(buf, '"')
	buf = appendQuotedValue(buf, v)
	return append(buf, '"')
}

// appendQuotedValue appends the inside of appendQuotedJSON's string for v.
func appendQuotedValue(buf []byte, v any) []byte {
	switch t := v.(type) {
	case string:
		return appendDoubleQuoted(buf, t)
	case []any:
		buf = append(buf, '[')
		for i, e := range t {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendQuotedValue(buf, e)
		}
		return append(buf, ']')
	case map[string]any:
		buf = append(buf, '{')
		var small [16]string
		for i, k := range appendSortedKeys(small[:0], t) {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendDoubleQuoted(buf, k)
			buf = append(buf, ':')
			buf = appendQuotedValue(buf, t[k])
		}
		return append(buf, '}')
	case nil, bool, int64, int, float64:
		// Their text is ASCII letters, digits, '-', '+' and '.': nothing to escape.
		return appendJSON(buf, t)
	}
	text := appendJSON(nil, v)
	quoted := appendJSONStringBytes(nil, text)
	return append(buf, quoted[1:len(quoted)-1]...)
}

// appendDoubleQuoted appends s as a JSON string (appendString's), itself
// escaped as the inside of a JSON string (appendJSONString's).
func appendDoubleQuoted(buf []byte, s string) []byte {
	buf = append(buf, '\\', '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			if plainSafe[c] { // '<', '>', '&': only the outer string escapes them
				buf = appendEscapedByte(buf, c)
			} else {
				var inner [6]byte
				for _, e := range appendEscapedByte(inner[:0], c) {
					if htmlSafe[e] {
						buf = append(buf, e)
					} else {
						buf = appendEscapedByte(buf, e)
					}
				}
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '\\', '"')
}

// UnmarshalJSON decodes a JSON string holding JSON text (a stored event).
func (p *Payload) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := parseJSON([]byte(s))
	if err != nil {
		return err
	}
	p.v, p.text = v, nil
	return nil
}

// PayloadDetails is the truncation flag AWS attaches to payloads.
type PayloadDetails struct {
	Truncated bool `json:"truncated"`
}

type (
	ExecutionStartedEventDetails struct {
		Input        Payload        `json:"input"`
		InputDetails PayloadDetails `json:"inputDetails"`
		RoleArn      string         `json:"roleArn,omitempty"`
	}
	ExecutionSucceededEventDetails struct {
		Output        Payload        `json:"output"`
		OutputDetails PayloadDetails `json:"outputDetails"`
	}
	// ErrorDetails carries error and cause; AWS omits either when absent.
	ErrorDetails struct {
		Error *string `json:"error,omitempty"`
		Cause *string `json:"cause,omitempty"`
	}
	ExecutionRedrivenEventDetails struct {
		RedriveCount int64 `json:"redriveCount"`
	}
	StateEnteredEventDetails struct {
		Name         string         `json:"name"`
		Input        Payload        `json:"input"`
		InputDetails PayloadDetails `json:"inputDetails"`
	}
	StateExitedEventDetails struct {
		Name          string         `json:"name"`
		Output        Payload        `json:"output"`
		OutputDetails PayloadDetails `json:"outputDetails"`
		// AssignedVariables maps each variable the state assigned to its JSON text.
		AssignedVariables        map[string]string `json:"assignedVariables,omitempty"`
		AssignedVariablesDetails *PayloadDetails   `json:"assignedVariablesDetails,omitempty"`
	}
	TaskScheduledEventDetails struct {
		ResourceType       string  `json:"resourceType"`
		Resource           string  `json:"resource"`
		Region             string  `json:"region"`
		Parameters         Payload `json:"parameters"`
		TimeoutInSeconds   int64   `json:"timeoutInSeconds,omitempty"`
		HeartbeatInSeconds int64   `json:"heartbeatInSeconds,omitempty"`
	}
	TaskStartedEventDetails struct {
		ResourceType string `json:"resourceType"`
		Resource     string `json:"resource"`
	}
	TaskSucceededEventDetails struct {
		ResourceType  string         `json:"resourceType"`
		Resource      string         `json:"resource"`
		Output        Payload        `json:"output"`
		OutputDetails PayloadDetails `json:"outputDetails"`
	}
	TaskFailedEventDetails struct {
		ResourceType string  `json:"resourceType"`
		Resource     string  `json:"resource"`
		Error        *string `json:"error,omitempty"`
		Cause        *string `json:"cause,omitempty"`
	}
	LambdaFunctionScheduledEventDetails struct {
		Resource         string         `json:"resource"`
		Input            Payload        `json:"input"`
		InputDetails     PayloadDetails `json:"inputDetails"`
		TimeoutInSeconds int64          `json:"timeoutInSeconds,omitempty"`
	}
	LambdaFunctionSucceededEventDetails struct {
		Output        Payload        `json:"output"`
		OutputDetails PayloadDetails `json:"outputDetails"`
	}
	EvaluationFailedEventDetails struct {
		Error    *string `json:"error,omitempty"`
		Cause    *string `json:"cause,omitempty"`
		Location string  `json:"location,omitempty"`
		State    string  `json:"state"`
	}
	MapStateStartedEventDetails struct {
		Length int64 `json:"length"`
	}
	MapIterationEventDetails struct {
		Name  string `json:"name"`
		Index int64  `json:"index"`
	}
)

// detailsField names the JSON field AWS uses for an event type's details.
var detailsField = map[string]string{
	"ExecutionStarted":        "executionStartedEventDetails",
	"ExecutionSucceeded":      "executionSucceededEventDetails",
	"ExecutionFailed":         "executionFailedEventDetails",
	"ExecutionAborted":        "executionAbortedEventDetails",
	"ExecutionTimedOut":       "executionTimedOutEventDetails",
	"ExecutionRedriven":       "executionRedrivenEventDetails",
	"TaskScheduled":           "taskScheduledEventDetails",
	"TaskStarted":             "taskStartedEventDetails",
	"TaskSucceeded":           "taskSucceededEventDetails",
	"TaskFailed":              "taskFailedEventDetails",
	"TaskTimedOut":            "taskTimedOutEventDetails",
	"LambdaFunctionScheduled": "lambdaFunctionScheduledEventDetails",
	"LambdaFunctionSucceeded": "lambdaFunctionSucceededEventDetails",
	"LambdaFunctionFailed":    "lambdaFunctionFailedEventDetails",
	"LambdaFunctionTimedOut":  "lambdaFunctionTimedOutEventDetails",
	"MapStateStarted":         "mapStateStartedEventDetails",
	"MapIterationStarted":     "mapIterationStartedEventDetails",
	"MapIterationSucceeded":   "mapIterationSucceededEventDetails",
	"MapIterationFailed":      "mapIterationFailedEventDetails",
	"MapIterationAborted":     "mapIterationAbortedEventDetails",
}

func detailsFieldFor(typ string) string {
	if f, ok := detailsField[typ]; ok {
		return f
	}
	n := len(typ)
	switch {
	case n > 7 && typ[n-7:] == "Entered":
		return "stateEnteredEventDetails"
	case n > 6 && typ[n-6:] == "Exited":
		return "stateExitedEventDetails"
	}
	return ""
}

// MarshalJSON writes the event as the Step Functions API does.
func (e HistoryEvent) MarshalJSON() ([]byte, error) {
	return e.AppendJSON(nil)
}

// AppendJSON appends the event as MarshalJSON writes it. The details are
// encoded by hand, byte for byte as encoding/json would encode them
// (TestDetailsEncodeAsEncodingJSON), without its reflection and without
// re-scanning the payloads it would get from their MarshalJSON.
func (e HistoryEvent) AppendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, `{"timestamp":`...)
	buf = strconv.AppendFloat(buf, float64(e.Timestamp.UnixNano())/1e9, 'f', 3, 64)
	buf = append(buf, `,"type":`...)
	buf = appendString(buf, e.Type)
	buf = append(buf, `,"id":`...)
	buf = strconv.AppendInt(buf, e.ID, 10)
	buf = append(buf, `,"previousEventId":`...)
	buf = strconv.AppendInt(buf, e.PreviousEventID, 10)
	if e.Details != nil {
		if f := detailsFieldFor(e.Type); f != "" {
			buf = append(buf, ',')
			buf = appendString(buf, f)
			buf = append(buf, ':')
			if d, ok := e.Details.(detailsEncoder); ok {
				buf = d.appendJSON(buf)
			} else {
				d, err := json.Marshal(e.Details)
				if err != nil {
					return nil, err
				}
				buf = append(buf, d...)
			}
		}
	}
	return append(buf, '}'), nil
}

// UnmarshalJSON reads an event written by MarshalJSON (a persisted history).
func (e *HistoryEvent) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	var ts float64
	if err := json.Unmarshal(raw["timestamp"], &ts); err != nil {
		return err
	}
	sec := int64(ts)
	e.Timestamp = time.Unix(sec, int64((ts-float64(sec))*1e9+0.5)/1e6*1e6).UTC()
	if err := json.Unmarshal(raw["type"], &e.Type); err != nil {
		return err
	}
	if err := json.Unmarshal(raw["id"], &e.ID); err != nil {
		return err
	}
	if p, ok := raw["previousEventId"]; ok {
		if err := json.Unmarshal(p, &e.PreviousEventID); err != nil {
			return err
		}
	}
	f := detailsFieldFor(e.Type)
	d, ok := raw[f]
	if !ok || f == "" {
		return nil
	}
	var target any
	switch f {
	case "executionStartedEventDetails":
		target = &ExecutionStartedEventDetails{}
	case "executionSucceededEventDetails":
		target = &ExecutionSucceededEventDetails{}
	case "executionFailedEventDetails", "executionAbortedEventDetails", "executionTimedOutEventDetails",
		"lambdaFunctionFailedEventDetails", "lambdaFunctionTimedOutEventDetails":
		target = &ErrorDetails{}
	case "executionRedrivenEventDetails":
		target = &ExecutionRedrivenEventDetails{}
	case "stateEnteredEventDetails":
		target = &StateEnteredEventDetails{}
	case "stateExitedEventDetails":
		target = &StateExitedEventDetails{}
	case "taskScheduledEventDetails":
		target = &TaskScheduledEventDetails{}
	case "taskStartedEventDetails":
		target = &TaskStartedEventDetails{}
	case "taskSucceededEventDetails":
		target = &TaskSucceededEventDetails{}
	case "taskFailedEventDetails", "taskTimedOutEventDetails":
		target = &TaskFailedEventDetails{}
	case "lambdaFunctionScheduledEventDetails":
		target = &LambdaFunctionScheduledEventDetails{}
	case "lambdaFunctionSucceededEventDetails":
		target = &LambdaFunctionSucceededEventDetails{}
	case "evaluationFailedEventDetails":
		target = &EvaluationFailedEventDetails{}
	case "mapStateStartedEventDetails":
		target = &MapStateStartedEventDetails{}
	default:
		target = &MapIterationEventDetails{}
	}
	if err := json.Unmarshal(d, target); err != nil {
		return err
	}
	e.Details = target
	return nil
}

func errorDetails(f *Failure) *ErrorDetails {
	d := &ErrorDetails{}
	if f.HasError {
		s := f.Error
		d.Error = &s
	}
	if f.HasCause {
		s := f.Cause
		d.Cause = &s
	}
	return d
}
