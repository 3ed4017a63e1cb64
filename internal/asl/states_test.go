package asl

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// single wraps one state named S as a whole machine.
func single(state string) string { return `{"StartAt":"S","States":{"S":` + state + `}}` }

func TestDataFlow(t *testing.T) {
	tests := []struct {
		name, state, input, want string
	}{
		{"input path", `{"Type":"Pass","InputPath":"$.a","End":true}`, `{"a":{"b":1}}`, `{"b":1}`},
		{"input path null", `{"Type":"Pass","InputPath":null,"End":true}`, `{"a":1}`, `{}`},
		{"parameters context", `{"Type":"Pass","Parameters":{"n.$":"$$.State.Name","e.$":"$$.Execution.Name","r.$":"$$.State.RetryCount","sm.$":"$$.StateMachine.Name"},"End":true}`, `{}`, `{"n":"S","e":"test","r":0,"sm":"StateMachine"}`},
		{"parameters start time", `{"Type":"Pass","Parameters":{"t.$":"$$.Execution.StartTime"},"End":true}`, `{}`, `{"t":"2024-03-14T01:59:00.000Z"}`},
		{"parameters filter", `{"Type":"Pass","Parameters":{"big.$":"$.a[?(@.n > 1)].n"},"End":true}`, `{"a":[{"n":1},{"n":2},{"n":3}]}`, `{"big":[2,3]}`},
		{"parameters descent", `{"Type":"Pass","Parameters":{"all.$":"$..n"},"End":true}`, `{"a":{"n":1}}`, `{"all":[1]}`},
		{"parameters bracket key", `{"Type":"Pass","Parameters":{"v.$":"$['a b'].c"},"End":true}`, `{"a b":{"c":2}}`, `{"v":2}`},
		{"parameters array of templates", `{"Type":"Pass","Parameters":{"l":[{"x.$":"$.a"},1]},"End":true}`, `{"a":5}`, `{"l":[{"x":5},1]}`},
		{"result path creates parents", `{"Type":"Pass","Result":1,"ResultPath":"$.x.y","End":true}`, `{}`, `{"x":{"y":1}}`},
		{"result path array index", `{"Type":"Pass","Result":9,"ResultPath":"$.a[1]","End":true}`, `{"a":[1,2,3]}`, `{"a":[1,9,3]}`},
		{"output path", `{"Type":"Pass","Result":{"x":{"y":2}},"ResultPath":"$.r","OutputPath":"$.r.x","End":true}`, `{}`, `{"y":2}`},
		{"input unchanged by result path", `{"Type":"Pass","Parameters":{"orig.$":"$"},"ResultPath":"$.copy","End":true}`, `{"a":1}`, `{"a":1,"copy":{"orig":{"a":1}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, _ := testOptions(nil)
			d, _ := run(t, opts, single(tt.state), tt.input)
			expectSucceeded(t, d, tt.want)
		})
	}
}

func TestDataFlowFailures(t *testing.T) {
	tests := []struct {
		name, state, input, want string
	}{
		{"result path into string", `{"Type":"Pass","Result":1,"ResultPath":"$.a.b","End":true}`, `{"a":"s"}`, ErrResultPathMatchFailure},
		{"result path into scalar input", `{"Type":"Pass","Result":1,"ResultPath":"$.a","End":true}`, `"text"`, ErrResultPathMatchFailure},
		{"result path index out of range", `{"Type":"Pass","Result":1,"ResultPath":"$.a[5]","End":true}`, `{"a":[1]}`, ErrResultPathMatchFailure},
		{"output path missing", `{"Type":"Pass","OutputPath":"$.nope","End":true}`, `{}`, ErrRuntime},
		{"parameters missing path", `{"Type":"Pass","Parameters":{"a.$":"$.nope"},"End":true}`, `{}`, ErrRuntime},
		{"undefined variable", `{"Type":"Pass","Parameters":{"a.$":"$nope"},"End":true}`, `{}`, ErrRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, _ := testOptions(nil)
			d, _ := run(t, opts, single(tt.state), tt.input)
			expectFailed(t, d, tt.want)
		})
	}
}

func TestChoice(t *testing.T) {
	def := func(rule string) string {
		return `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[` + rule + `],"Default":"F"},"T":{"Type":"Pass","Result":"T","End":true},"F":{"Type":"Pass","Result":"F","End":true}}}`
	}
	tests := []struct {
		name, rule, input, want string
	}{
		{"and", `{"And":[{"Variable":"$.a","NumericGreaterThanEquals":1},{"Variable":"$.a","NumericLessThan":3}],"Next":"T"}`, `{"a":2}`, "T"},
		{"and false", `{"And":[{"Variable":"$.a","NumericGreaterThanEquals":1},{"Variable":"$.a","NumericLessThan":2}],"Next":"T"}`, `{"a":2}`, "F"},
		{"or", `{"Or":[{"Variable":"$.a","StringEquals":"x"},{"Variable":"$.a","StringEquals":"y"}],"Next":"T"}`, `{"a":"y"}`, "T"},
		{"not", `{"Not":{"Variable":"$.a","BooleanEquals":true},"Next":"T"}`, `{"a":false}`, "T"},
		{"boolean equals path", `{"Variable":"$.a","BooleanEqualsPath":"$.b","Next":"T"}`, `{"a":true,"b":true}`, "T"},
		{"numeric path", `{"Variable":"$.a","NumericLessThanPath":"$.b","Next":"T"}`, `{"a":1,"b":1.5}`, "T"},
		{"string type mismatch is false", `{"Variable":"$.a","StringEquals":"1","Next":"T"}`, `{"a":1}`, "F"},
		{"matches escaped star", `{"Variable":"$.a","StringMatches":"a\\*b","Next":"T"}`, `{"a":"a*b"}`, "T"},
		{"matches escaped star literal only", `{"Variable":"$.a","StringMatches":"a\\*b","Next":"T"}`, `{"a":"axxb"}`, "F"},
		{"matches backslash", `{"Variable":"$.a","StringMatches":"a\\\\*","Next":"T"}`, `{"a":"a\\bc"}`, "T"},
		{"is timestamp false", `{"Variable":"$.a","IsTimestamp":true,"Next":"T"}`, `{"a":"2024-01-01"}`, "F"},
		{"timestamp less than", `{"Variable":"$.a","TimestampLessThan":"2024-01-01T00:00:00Z","Next":"T"}`, `{"a":"2023-12-31T23:59:59.5Z"}`, "T"},
		{"context variable", `{"Variable":"$$.State.Name","StringEquals":"C","Next":"T"}`, `{}`, "T"},
		{"is null false matches missing", `{"Variable":"$.nope","IsNull":false,"Next":"T"}`, `{}`, "T"},
		{"is string true does not match missing", `{"Variable":"$.nope","IsString":true,"Next":"T"}`, `{}`, "F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, _ := testOptions(nil)
			d, _ := run(t, opts, def(tt.rule), tt.input)
			expectSucceeded(t, d, `"`+tt.want+`"`)
		})
	}
	t.Run("missing variable is runtime error", func(t *testing.T) {
		opts, _ := testOptions(nil)
		d, _ := run(t, opts, def(`{"Variable":"$.nope","StringEquals":"x","Next":"T"}`), `{}`)
		expectFailed(t, d, ErrRuntime)
	})
}

func TestWait(t *testing.T) {
	tests := []struct {
		name, state, input string
		slept              time.Duration
	}{
		{"seconds", `{"Type":"Wait","Seconds":90,"End":true}`, `{}`, 90 * time.Second},
		{"timestamp", `{"Type":"Wait","Timestamp":"2024-03-14T02:00:00Z","End":true}`, `{}`, time.Minute},
		{"seconds path", `{"Type":"Wait","SecondsPath":"$.s","End":true}`, `{"s":5}`, 5 * time.Second},
		{"timestamp path with offset", `{"Type":"Wait","TimestampPath":"$.t","End":true}`, `{"t":"2024-03-14T03:00:00+01:00"}`, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, sl := testOptions(nil)
			d, _ := run(t, opts, single(tt.state), tt.input)
			expectSucceeded(t, d, tt.input)
			if len(sl.sleeps) != 1 || sl.sleeps[0] != tt.slept {
				t.Fatalf("slept %v, want [%v]", sl.sleeps, tt.slept)
			}
			if got := d.StopDate.Sub(d.StartDate); got != tt.slept {
				t.Fatalf("execution took %v of virtual time, want %v", got, tt.slept)
			}
		})
	}
	for _, bad := range []string{`{"s":-1}`, `{"s":1.5}`, `{"s":"1"}`, `{}`, `{"s":10000000000}`} {
		opts, _ := testOptions(nil)
		d, _ := run(t, opts, single(`{"Type":"Wait","SecondsPath":"$.s","End":true}`), bad)
		expectFailed(t, d, ErrRuntime)
	}
}

func TestExecutionTimeoutDuringWait(t *testing.T) {
	opts, sl := testOptions(nil)
	d, x := run(t, opts, `{"TimeoutSeconds":10,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}`, `{}`)
	if d.Status != StatusTimedOut {
		t.Fatalf("status %s, want TIMED_OUT", d.Status)
	}
	if sl.sleeps[0] != 10*time.Second {
		t.Fatalf("slept %v, want the 10s up to the deadline", sl.sleeps)
	}
	if got := eventTypes(x); !strings.HasSuffix(got, "WaitStateEntered ExecutionTimedOut") {
		t.Fatalf("history %s", got)
	}
	if str(d.Error) != ErrTimeout {
		t.Fatalf("error %s, want States.Timeout", str(d.Error))
	}
}

func TestFailState(t *testing.T) {
	opts, _ := testOptions(nil)
	d, _ := run(t, opts, single(`{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('bad {}', $.n)"}`), `{"e":"Custom.Err","n":3}`)
	expectFailed(t, d, "Custom.Err")
	if str(d.Cause) != "bad 3" {
		t.Fatalf("cause %s", str(d.Cause))
	}
}

func TestParallelAndMap(t *testing.T) {
	t.Run("parallel parameters and result selector", func(t *testing.T) {
		opts, _ := testOptions(nil)
		d, _ := run(t, opts, single(`{"Type":"Parallel","Parameters":{"v.$":"$.x"},"Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.v","End":true}}},
			{"StartAt":"B","States":{"B":{"Type":"Pass","Result":"b","End":true}}}],
			"ResultSelector":{"a.$":"$[0]","b.$":"$[1]"},"ResultPath":"$.r","End":true}`), `{"x":7}`)
		expectSucceeded(t, d, `{"x":7,"r":{"a":7,"b":"b"}}`)
	})
	t.Run("inline map ignores tolerated failures", func(t *testing.T) {
		// Failure thresholds belong to Distributed Map: an inline Map fails
		// with the first failed iteration's error.
		opts, _ := testOptions(nil)
		for _, field := range []string{`"ToleratedFailureCount":1`, `"ToleratedFailurePercentage":50`} {
			def := single(`{"Type":"Map",` + field + `,"ItemProcessor":{"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$","NumericGreaterThan":1,"Next":"Bad"}],"Default":"Ok"},
			"Bad":{"Type":"Fail","Error":"TooBig","Cause":"c"},"Ok":{"Type":"Pass","End":true}}},"End":true}`)
			d, _ := run(t, opts, def, `[1,2]`)
			expectFailed(t, d, "TooBig")
		}
	})
	t.Run("map max concurrency", func(t *testing.T) {
		var mu = make(chan struct{}, 1)
		running, peak := 0, 0
		runner := runnerFunc(func(ctx context.Context, _ string, in json.RawMessage) (json.RawMessage, error) {
			mu <- struct{}{}
			running++
			peak = max(peak, running)
			<-mu
			time.Sleep(time.Millisecond)
			mu <- struct{}{}
			running--
			<-mu
			return in, nil
		})
		opts, _ := testOptions(runner)
		d, _ := run(t, opts, single(`{"Type":"Map","MaxConcurrency":2,"ItemProcessor":{"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}},"End":true}`), `[1,2,3,4,5,6]`)
		expectSucceeded(t, d, `[1,2,3,4,5,6]`)
		if peak > 2 || peak < 1 {
			t.Fatalf("peak concurrency %d, want at most 2", peak)
		}
	})
	t.Run("variables are scoped to iterations", func(t *testing.T) {
		opts, _ := testOptions(nil)
		d, _ := run(t, opts, `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"outer":"o"},"Next":"M"},
			"M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{
				"I":{"Type":"Pass","Assign":{"inner.$":"$"},"Next":"J"},
				"J":{"Type":"Pass","Parameters":{"o.$":"$outer","i.$":"$inner"},"End":true}}},"Next":"B"},
			"B":{"Type":"Pass","Parameters":{"r.$":"$","o.$":"$outer"},"End":true}}}`, `[1,2]`)
		expectSucceeded(t, d, `{"r":[{"o":"o","i":1},{"o":"o","i":2}],"o":"o"}`)
	})
	t.Run("catch assign sees error output", func(t *testing.T) {
		opts, _ := testOptions(nil)
		d, _ := run(t, opts, `{"StartAt":"P","States":{
			"P":{"Type":"Parallel","Branches":[{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}}],
				"Catch":[{"ErrorEquals":["E"],"ResultPath":null,"Assign":{"err.$":"$.Error"},"Next":"H"}],"End":true},
			"H":{"Type":"Pass","Parameters":{"e.$":"$err","in.$":"$"},"End":true}}}`, `{"k":1}`)
		expectSucceeded(t, d, `{"e":"E","in":{"k":1}}`)
	})
}

// A Choice rule's literal Assign merged with the state's must not change the
// definition: the second execution sees the same values as the first.
func TestAssignDoesNotMutateDefinition(t *testing.T) {
	sm := mustParse(t, `{"StartAt":"C","States":{
		"C":{"Type":"Choice","Assign":{"a":1},"Choices":[{"Variable":"$.x","IsPresent":true,"Assign":{"b":2},"Next":"P"}],"Default":"P"},
		"P":{"Type":"Pass","Parameters":{"a.$":"$a","b.$":"$b"},"End":true}}}`)
	opts, _ := testOptions(nil)
	for range 2 {
		x, _ := New(opts).Start(context.Background(), sm, "a", []byte(`{"x":1}`))
		d, _ := x.Wait(context.Background())
		expectSucceeded(t, d, `{"a":1,"b":2}`)
	}
	if got := toJSON(sm.top.states["C"].assign.root.(tliteral).v); got != `{"a":1}` {
		t.Fatalf("state Assign became %s", got)
	}
}

func TestJSONSizeLimit(t *testing.T) {
	for _, tc := range []struct {
		v    any
		over bool
	}{
		{strings.Repeat("x", MaxPayloadBytes-2), false},
		{strings.Repeat("x", MaxPayloadBytes-1), true},
		{strings.Repeat("\n", MaxPayloadBytes/2), true}, // escapes double it
		{func() any {
			a := make([]any, 100000)
			for i := range a {
				a[i] = int64(1)
			}
			return a
		}(), false},
		{map[string]any{"k": strings.Repeat("é", MaxPayloadBytes/2)}, true},
	} {
		exact := len(appendJSON(nil, tc.v)) > MaxPayloadBytes
		if got := jsonSizeExceeds(tc.v, MaxPayloadBytes); got != tc.over || got != exact {
			t.Errorf("size check %v, want %v (encoded %d bytes)", got, tc.over, len(appendJSON(nil, tc.v)))
		}
	}
	opts, _ := testOptions(nil)
	d, _ := run(t, opts, single(`{"Type":"Pass","Parameters":{"a.$":"States.ArrayRange(1, 1000, 1)","b.$":"States.Format('{}{}{}{}', $.s, $.s, $.s, $.s)"},"End":true}`),
		`{"s":"`+strings.Repeat("y", MaxPayloadBytes/4)+`"}`)
	expectFailed(t, d, ErrDataLimitExceeded)
}

func TestMapItemsNotArray(t *testing.T) {
	opts, _ := testOptions(nil)
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.a","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}],"End":true},"H":{"Type":"Pass","End":true}}}`
	d, x := run(t, opts, def, `{"a":{"k":1}}`)
	expectSucceeded(t, d, `{"Error":"States.QueryEvaluationError","Cause":"Map state input must be an array but was: object"}`)
	if !strings.Contains(eventTypes(x), "MapStateEntered EvaluationFailed MapStateExited PassStateEntered") {
		t.Fatalf("history %s", eventTypes(x))
	}
}
