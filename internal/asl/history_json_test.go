package asl

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"
)

// genString returns strings heavy in what JSON escapes: quotes, backslashes,
// control characters, HTML characters, U+2028/U+2029, other non-ASCII
// and invalid UTF-8.
func genString(r *rand.Rand) string {
	pieces := []string{"a", "Z", "0", " ", `"`, `\`, "/", "<", ">", "&", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"é", "日本", "\u2028", "\u2029", "\U0001F600", "\xff", "\xc3", "\xe2\x80", "{", "}", "$", "%", "+"}
	n := r.Intn(12)
	var b []byte
	for range n {
		b = append(b, pieces[r.Intn(len(pieces))]...)
	}
	return string(b)
}

func genValue(r *rand.Rand, depth int) any {
	k := r.Intn(9)
	if depth > 3 && k >= 6 {
		k = r.Intn(6)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return r.Intn(2) == 0
	case 2:
		return int64(r.Intn(2000000) - 1000000)
	case 3:
		return []float64{0.5, -1.25e-7, 3e21, 1.0, 123456.789}[r.Intn(5)]
	case 4, 5:
		return genString(r)
	case 6:
		s := make([]any, r.Intn(4))
		for i := range s {
			s[i] = genValue(r, depth+1)
		}
		return s
	default:
		m := map[string]any{}
		for range r.Intn(5) {
			m[genString(r)] = genValue(r, depth+1)
		}
		return m
	}
}

func genPtr(r *rand.Rand) *string {
	if r.Intn(3) == 0 {
		return nil
	}
	s := genString(r)
	return &s
}

func genInt(r *rand.Rand) int64 {
	if r.Intn(2) == 0 {
		return 0
	}
	return int64(r.Intn(100000))
}

// genDetails returns one of each details type with random fields.
func genDetails(r *rand.Rand) []any {
	p := func() Payload { return Payload{v: genValue(r, 0)} }
	vars := map[string]string(nil)
	if r.Intn(2) == 0 {
		vars = map[string]string{}
		for range r.Intn(4) {
			vars[genString(r)] = genString(r)
		}
	}
	var varsDetails *PayloadDetails
	if r.Intn(2) == 0 {
		varsDetails = &PayloadDetails{Truncated: r.Intn(2) == 0}
	}
	return []any{
		&ExecutionStartedEventDetails{Input: p(), InputDetails: PayloadDetails{r.Intn(2) == 0}, RoleArn: genString(r)},
		&ExecutionSucceededEventDetails{Output: p()},
		&ErrorDetails{Error: genPtr(r), Cause: genPtr(r)},
		&ExecutionRedrivenEventDetails{RedriveCount: genInt(r)},
		&StateEnteredEventDetails{Name: genString(r), Input: p()},
		&StateExitedEventDetails{Name: genString(r), Output: p(), AssignedVariables: vars, AssignedVariablesDetails: varsDetails},
		&TaskScheduledEventDetails{ResourceType: genString(r), Resource: genString(r), Region: genString(r), Parameters: p(),
			TimeoutInSeconds: genInt(r), HeartbeatInSeconds: genInt(r)},
		&TaskStartedEventDetails{ResourceType: genString(r), Resource: genString(r)},
		&TaskSucceededEventDetails{ResourceType: genString(r), Resource: genString(r), Output: p()},
		&TaskFailedEventDetails{ResourceType: genString(r), Resource: genString(r), Error: genPtr(r), Cause: genPtr(r)},
		&LambdaFunctionScheduledEventDetails{Resource: genString(r), Input: p(), TimeoutInSeconds: genInt(r)},
		&LambdaFunctionSucceededEventDetails{Output: p()},
		&EvaluationFailedEventDetails{Error: genPtr(r), Cause: genPtr(r), Location: genString(r), State: genString(r)},
		&MapStateStartedEventDetails{Length: genInt(r)},
		&MapIterationEventDetails{Name: genString(r), Index: genInt(r)},
	}
}

// oldPayload is how a payload was encoded before the hand-written encoders:
// asl's string encoding of its JSON text, which json.Marshal then compacts.
type oldPayload struct{ v any }

func (p oldPayload) MarshalJSON() ([]byte, error) { return appendString(nil, toJSON(p.v)), nil }

func TestPayloadEncodesAsBefore(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := range 20000 {
		v := genValue(r, 0)
		want, err := json.Marshal(oldPayload{v})
		if err != nil {
			t.Fatal(err)
		}
		shared := Payload{v: v, text: &payloadText{}}
		for _, got := range [][]byte{Payload{v: v}.AppendJSON(nil), shared.AppendJSON(nil), shared.AppendJSON([]byte("x"))[1:]} {
			if !bytes.Equal(got, want) {
				t.Fatalf("value %d %#v:\n got %s\nwant %s", i, v, got, want)
			}
		}
	}
}

func TestDetailsEncodeAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := range 3000 {
		for _, d := range genDetails(r) {
			want, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			got := d.(detailsEncoder).appendJSON(nil)
			if !bytes.Equal(got, want) {
				t.Fatalf("%d %T:\n got %s\nwant %s", i, d, got, want)
			}
		}
	}
	for _, d := range []detailsEncoder{(*ErrorDetails)(nil), (*StateEnteredEventDetails)(nil)} {
		want, _ := json.Marshal(d)
		if got := d.appendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("%T nil: got %s, want %s", d, got, want)
		}
	}
}

// oldEventJSON is HistoryEvent.MarshalJSON before the details encoded
// themselves: json.Marshal of the details.
func oldEventJSON(e HistoryEvent) ([]byte, error) {
	buf := []byte(`{"timestamp":`)
	buf = strconv.AppendFloat(buf, float64(e.Timestamp.UnixNano())/1e9, 'f', 3, 64)
	buf = append(buf, `,"type":`...)
	buf = appendString(buf, e.Type)
	buf = append(buf, `,"id":`...)
	buf = strconv.AppendInt(buf, e.ID, 10)
	buf = append(buf, `,"previousEventId":`...)
	buf = strconv.AppendInt(buf, e.PreviousEventID, 10)
	if e.Details != nil {
		if f := detailsFieldFor(e.Type); f != "" {
			d, err := json.Marshal(e.Details)
			if err != nil {
				return nil, err
			}
			buf = append(buf, ',')
			buf = appendString(buf, f)
			buf = append(buf, ':')
			buf = append(buf, d...)
		}
	}
	return append(buf, '}'), nil
}

func TestEventsEncodeAsBefore(t *testing.T) {
	types := map[string]string{}
	for typ, f := range detailsField {
		types[f] = typ
	}
	types["stateEnteredEventDetails"], types["stateExitedEventDetails"] = "TaskStateEntered", "ChoiceStateExited"
	types["evaluationFailedEventDetails"] = "EvaluationFailed"
	r := rand.New(rand.NewSource(3))
	for i := range 2000 {
		for _, d := range genDetails(r) {
			var typ string
			switch d.(type) {
			case *ExecutionStartedEventDetails:
				typ = "ExecutionStarted"
			case *ExecutionSucceededEventDetails:
				typ = "ExecutionSucceeded"
			case *ErrorDetails:
				typ = []string{"ExecutionFailed", "ExecutionAborted", "LambdaFunctionFailed"}[r.Intn(3)]
			case *StateEnteredEventDetails:
				typ = "PassStateEntered"
			case *StateExitedEventDetails:
				typ = "TaskStateExited"
			default:
				typ = []string{"ExecutionRedriven", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskFailed",
					"LambdaFunctionScheduled", "LambdaFunctionSucceeded", "MapStateStarted", "MapIterationStarted", "EvaluationFailed"}[r.Intn(10)]
			}
			e := HistoryEvent{Timestamp: time.Unix(1700000000, int64(r.Intn(1e9))), Type: typ, ID: int64(i + 1), PreviousEventID: int64(i), Details: d}
			want, err := oldEventJSON(e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s:\n got %s\nwant %s", typ, got, want)
			}
		}
	}
}

func TestCheckpointEncodesAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for i := range 3000 {
		cp := Checkpoint{ExecutionArn: genString(r), StateMachineArn: genString(r), Name: genString(r), Input: Payload{v: genValue(r, 0)},
			StartTime: time.Unix(int64(r.Intn(2e9)), int64(r.Intn(1e9))).UTC(), State: genString(r), StateInput: Payload{v: genValue(r, 0), text: &payloadText{}},
			LastEventID: genInt(r), RedriveCount: genInt(r)}
		if r.Intn(2) == 0 {
			cp.RedriveTime = time.Unix(int64(r.Intn(2e9)), 0).In(time.FixedZone("x", 3600))
		}
		if r.Intn(2) == 0 {
			cp.Variables = map[string]Payload{}
			for range r.Intn(4) {
				cp.Variables[genString(r)] = Payload{v: genValue(r, 0)}
			}
		}
		if r.Intn(2) == 0 {
			cp.InputEvent = int64(1 + r.Intn(3))
		}
		if r.Intn(2) == 0 {
			cp.StateInputEvent = int64(1 + r.Intn(30))
		}
		// encoding/json's encoding of the fields, but for a value an event carries.
		type mirror struct {
			ExecutionArn    string             `json:"executionArn"`
			StateMachineArn string             `json:"stateMachineArn"`
			Name            string             `json:"name"`
			Input           *Payload           `json:"input,omitempty"`
			InputEvent      int64              `json:"inputEvent,omitempty"`
			StartTime       time.Time          `json:"startTime"`
			State           string             `json:"state"`
			StateInput      *Payload           `json:"stateInput,omitempty"`
			StateInputEvent int64              `json:"stateInputEvent,omitempty"`
			Variables       map[string]Payload `json:"variables,omitempty"`
			LastEventID     int64              `json:"lastEventId"`
			RedriveCount    int64              `json:"redriveCount"`
			RedriveTime     time.Time          `json:"redriveTime,omitzero"`
		}
		m := mirror{cp.ExecutionArn, cp.StateMachineArn, cp.Name, &cp.Input, cp.InputEvent, cp.StartTime, cp.State, &cp.StateInput,
			cp.StateInputEvent, cp.Variables, cp.LastEventID, cp.RedriveCount, cp.RedriveTime}
		if cp.InputEvent != 0 {
			m.Input = nil
		}
		if cp.StateInputEvent != 0 {
			m.StateInput = nil
		}
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cp.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// BenchmarkPayloadAppendJSON encodes a job of a few KB as history holds it.
func BenchmarkPayloadAppendJSON(b *testing.B) {
	report := map[string]any{"outcome": "written", "sha256": strings.Repeat("ab", 32), "bytes": int64(1048576),
		"removed": []any{map[string]any{"kind": "APP1 Exif", "bytes": int64(23456)}, map[string]any{"kind": "COM", "bytes": int64(40)}},
		"tags":    []any{"GPSLatitude", "GPSLongitude", "Make", "Model"}, "note": "a <note> with \"quotes\" & é"}
	job := map[string]any{"source": map[string]any{"bucket": "uploads", "key": "photos/a b+c.jpg", "versionId": "v1"}}
	for _, k := range []string{"validation", "stripped", "published", "verified"} {
		job[k] = report
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = Payload{v: job}.AppendJSON(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}
