package asl

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// The history and checkpoint types encode themselves by hand: a host
// persists every event and a checkpoint at each transition, and
// encoding/json spends most of that time reflecting over the structs and
// re-scanning the payloads' text. Each appendJSON writes exactly what
// encoding/json writes for the type (field order, omitempty, its string
// escaping); TestDetailsEncodeAsEncodingJSON holds them to it.

// detailsEncoder is implemented by the *EventDetails types.
type detailsEncoder interface {
	appendJSON(buf []byte) []byte
}

// AppendJSONString appends s as a JSON string escaped as encoding/json
// escapes it (HTML characters, U+2028 and U+2029 as \u escapes, invalid UTF-8
// as \ufffd), for hosts that encode records holding history by hand.
func AppendJSONString(buf []byte, s string) []byte { return appendJSONString(buf, s) }

// AppendJSONTime appends t as encoding/json encodes a time.Time (RFC 3339
// with nanoseconds, quoted); ok is false for a year encoding/json refuses.
func AppendJSONTime(buf []byte, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return buf, false
	}
	buf = append(buf, '"')
	buf = t.AppendFormat(buf, time.RFC3339Nano)
	return append(buf, '"'), true
}

func appendJSONString(buf []byte, s string) []byte { return appendQuoted(buf, s, &htmlSafe) }

// appendJSONStringBytes is appendJSONString for bytes.
func appendJSONStringBytes(buf []byte, s []byte) []byte { return appendQuoted(buf, s, &htmlSafe) }

// appendQuoted appends s as a JSON string. The ASCII bytes safe[c] allows are
// written as they are; other ASCII bytes are escaped; invalid UTF-8 becomes
// \ufffd; U+2028 and U+2029 are escaped when '<' is not safe (encoding/json's
// HTML escaping).
func appendQuoted[S string | []byte](buf []byte, s S, safe *[utf8.RuneSelf]bool) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			buf = appendEscapedByte(buf, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
		case (r == '\u2028' || r == '\u2029') && !safe['<']:
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
	return append(buf, '"')
}

func appendEscapedByte(buf []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(buf, '\\', c)
	case '\b':
		return append(buf, '\\', 'b')
	case '\f':
		return append(buf, '\\', 'f')
	case '\n':
		return append(buf, '\\', 'n')
	case '\r':
		return append(buf, '\\', 'r')
	case '\t':
		return append(buf, '\\', 't')
	}
	return append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// plainSafe holds the ASCII bytes a JSON string may hold as they are;
// htmlSafe those encoding/json writes as they are.
var plainSafe, htmlSafe = func() (plain, html [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		switch c {
		case '"', '\\':
		case '<', '>', '&':
			plain[c] = true
		default:
			plain[c], html[c] = true, true
		}
	}
	return plain, html
}()

// jsonObject appends an object's members, a comma before all but the first.
type jsonObject struct {
	buf   []byte
	first bool
}

func newObject(buf []byte) jsonObject { return jsonObject{buf: append(buf, '{'), first: true} }

func (o *jsonObject) key(k string) {
	if !o.first {
		o.buf = append(o.buf, ',')
	}
	o.first = false
	o.buf = append(o.buf, '"')
	o.buf = append(o.buf, k...)
	o.buf = append(o.buf, '"', ':')
}

func (o *jsonObject) str(k, v string) {
	o.key(k)
	o.buf = appendJSONString(o.buf, v)
}

func (o *jsonObject) optStr(k string, v *string) {
	if v != nil {
		o.str(k, *v)
	}
}

func (o *jsonObject) int(k string, v int64) {
	o.key(k)
	o.buf = strconv.AppendInt(o.buf, v, 10)
}

func (o *jsonObject) payload(k string, p Payload) {
	o.key(k)
	o.buf = p.AppendJSON(o.buf)
}

func (o *jsonObject) details(k string, d PayloadDetails) {
	o.key(k)
	o.buf = d.appendJSON(o.buf)
}

func (o *jsonObject) end() []byte { return append(o.buf, '}') }

func (d PayloadDetails) appendJSON(buf []byte) []byte {
	if d.Truncated {
		return append(buf, `{"truncated":true}`...)
	}
	return append(buf, `{"truncated":false}`...)
}

func (d *ExecutionStartedEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.payload("input", d.Input)
	o.details("inputDetails", d.InputDetails)
	if d.RoleArn != "" {
		o.str("roleArn", d.RoleArn)
	}
	return o.end()
}

func (d *ExecutionSucceededEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.payload("output", d.Output)
	o.details("outputDetails", d.OutputDetails)
	return o.end()
}

func (d *ErrorDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.optStr("error", d.Error)
	o.optStr("cause", d.Cause)
	return o.end()
}

func (d *ExecutionRedrivenEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.int("redriveCount", d.RedriveCount)
	return o.end()
}

func (d *StateEnteredEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.str("name", d.Name)
	o.payload("input", d.Input)
	o.details("inputDetails", d.InputDetails)
	return o.end()
}

func (d *StateExitedEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.str("name", d.Name)
	o.payload("output", d.Output)
	o.details("outputDetails", d.OutputDetails)
	if len(d.AssignedVariables) > 0 {
		o.key("assignedVariables")
		keys := make([]string, 0, len(d.AssignedVariables))
		for k := range d.AssignedVariables {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		vars := newObject(o.buf)
		for _, k := range keys {
			if !vars.first {
				vars.buf = append(vars.buf, ',')
			}
			vars.first = false
			vars.buf = appendJSONString(vars.buf, k)
			vars.buf = append(vars.buf, ':')
			vars.buf = appendJSONString(vars.buf, d.AssignedVariables[k])
		}
		o.buf = vars.end()
	}
	if d.AssignedVariablesDetails != nil {
		o.details("assignedVariablesDetails", *d.AssignedVariablesDetails)
	}
	return o.end()
}

func (d *TaskScheduledEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.str("resourceType", d.ResourceType)
	o.str("resource", d.Resource)
	o.str("region", d.Region)
	o.payload("parameters", d.Parameters)
	if d.TimeoutInSeconds != 0 {
		o.int("timeoutInSeconds", d.TimeoutInSeconds)
	}
	if d.HeartbeatInSeconds != 0 {
		o.int("heartbeatInSeconds", d.HeartbeatInSeconds)
	}
	return o.end()
}

func (d *TaskStartedEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.str("resourceType", d.ResourceType)
	o.str("resource", d.Resource)
	return o.end()
}

func (d *TaskSucceededEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.str("resourceType", d.ResourceType)
	o.str("resource", d.Resource)
	o.payload("output", d.Output)
	o.details("outputDetails", d.OutputDetails)
	return o.end()
}

func (d *TaskFailedEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.str("resourceType", d.ResourceType)
	o.str("resource", d.Resource)
	o.optStr("error", d.Error)
	o.optStr("cause", d.Cause)
	return o.end()
}

func (d *LambdaFunctionScheduledEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.str("resource", d.Resource)
	o.payload("input", d.Input)
	o.details("inputDetails", d.InputDetails)
	if d.TimeoutInSeconds != 0 {
		o.int("timeoutInSeconds", d.TimeoutInSeconds)
	}
	return o.end()
}

func (d *LambdaFunctionSucceededEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.payload("output", d.Output)
	o.details("outputDetails", d.OutputDetails)
	return o.end()
}

func (d *EvaluationFailedEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.optStr("error", d.Error)
	o.optStr("cause", d.Cause)
	if d.Location != "" {
		o.str("location", d.Location)
	}
	o.str("state", d.State)
	return o.end()
}

func (d *MapStateStartedEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.int("length", d.Length)
	return o.end()
}

func (d *MapIterationEventDetails) appendJSON(buf []byte) []byte {
	if d == nil {
		return append(buf, "null"...)
	}
	o := newObject(buf)
	o.str("name", d.Name)
	o.int("index", d.Index)
	return o.end()
}

// MarshalJSON encodes the checkpoint (see AppendJSON).
func (cp Checkpoint) MarshalJSON() ([]byte, error) { return cp.AppendJSON(nil) }

// AppendJSON appends the checkpoint as encoding/json would encode its fields,
// leaving out Input when InputEvent is set and StateInput when
// StateInputEvent is.
func (cp *Checkpoint) AppendJSON(buf []byte) ([]byte, error) {
	start, ok := AppendJSONTime(nil, cp.StartTime)
	redrive := []byte(nil)
	if ok && !cp.RedriveTime.IsZero() {
		redrive, ok = AppendJSONTime(nil, cp.RedriveTime)
	}
	if !ok {
		// A year encoding/json refuses: let it say so.
		_, err := json.Marshal(struct{ T, R time.Time }{cp.StartTime, cp.RedriveTime})
		return nil, err
	}
	o := newObject(buf)
	o.str("executionArn", cp.ExecutionArn)
	o.str("stateMachineArn", cp.StateMachineArn)
	o.str("name", cp.Name)
	if cp.InputEvent == 0 {
		o.payload("input", cp.Input)
	} else {
		o.int("inputEvent", cp.InputEvent)
	}
	o.key("startTime")
	o.buf = append(o.buf, start...)
	o.str("state", cp.State)
	if cp.StateInputEvent == 0 {
		o.payload("stateInput", cp.StateInput)
	} else {
		o.int("stateInputEvent", cp.StateInputEvent)
	}
	if len(cp.Variables) > 0 {
		o.key("variables")
		keys := make([]string, 0, len(cp.Variables))
		for k := range cp.Variables {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		vars := newObject(o.buf)
		for _, k := range keys {
			if !vars.first {
				vars.buf = append(vars.buf, ',')
			}
			vars.first = false
			vars.buf = appendJSONString(vars.buf, k)
			vars.buf = append(vars.buf, ':')
			vars.buf = cp.Variables[k].AppendJSON(vars.buf)
		}
		o.buf = vars.end()
	}
	o.int("lastEventId", cp.LastEventID)
	o.int("redriveCount", cp.RedriveCount)
	if redrive != nil {
		o.key("redriveTime")
		o.buf = append(o.buf, redrive...)
	}
	return o.end(), nil
}
