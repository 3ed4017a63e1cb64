package asl

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jsonata"
)

// jsonataMachine wraps states as a JSONata state machine starting at S.
func jsonataMachine(states string) string {
	return `{"QueryLanguage":"JSONata","StartAt":"S","States":{` + states + `}}`
}

const echoTask = `"Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo"`

// recordingRunner echoes its input and keeps every payload as received.
type recordingRunner struct {
	mu     sync.Mutex
	inputs []string
}

func (r *recordingRunner) RunTask(_ context.Context, _ string, in json.RawMessage) (json.RawMessage, error) {
	r.mu.Lock()
	r.inputs = append(r.inputs, string(in))
	r.mu.Unlock()
	return in, nil
}

func TestJSONataParseRejects(t *testing.T) {
	pass := `"P":{"Type":"Pass","End":true}`
	task := `"Type":"Task",` + echoTask
	mapOf := func(fields string) string {
		return `"S":{"Type":"Map",` + fields + `"ItemProcessor":{"StartAt":"P","States":{` + pass + `}},"End":true}`
	}
	tests := []struct {
		name, def, loc string
	}{
		{"jsonpath state under jsonata top", jsonataMachine(`"S":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}`), "/States/S/QueryLanguage"},
		{"query language on a map's processor", `{"StartAt":"S","States":{"S":{"Type":"Map","ItemProcessor":{"QueryLanguage":"JSONata","StartAt":"P","States":{` + pass + `}},"End":true}}}`, "/States/S/ItemProcessor/QueryLanguage"},
		{"jsonpath branch under jsonata top", jsonataMachine(`"S":{"Type":"Parallel","Branches":[{"QueryLanguage":"JSONPath","StartAt":"P","States":{` + pass + `}}],"End":true}`), "/States/S/Branches/0/QueryLanguage"},
		{"parameters", jsonataMachine(`"S":{"Type":"Pass","Parameters":{},"End":true}`), "/States/S/Parameters"},
		{"input path", jsonataMachine(`"S":{"Type":"Pass","InputPath":"$.a","End":true}`), "/States/S/InputPath"},
		{"output path", jsonataMachine(`"S":{"Type":"Succeed","OutputPath":"$.a"}`), "/States/S/OutputPath"},
		{"result path", jsonataMachine(`"S":{` + task + `,"ResultPath":"$.r","End":true}`), "/States/S/ResultPath"},
		{"result selector", jsonataMachine(`"S":{` + task + `,"ResultSelector":{},"End":true}`), "/States/S/ResultSelector"},
		{"pass result", jsonataMachine(`"S":{"Type":"Pass","Result":1,"End":true}`), "/States/S/Result"},
		{"timeout seconds path", jsonataMachine(`"S":{` + task + `,"TimeoutSecondsPath":"$.t","End":true}`), "/States/S/TimeoutSecondsPath"},
		{"seconds path", jsonataMachine(`"S":{"Type":"Wait","SecondsPath":"$.s","End":true}`), "/States/S/SecondsPath"},
		{"error path", jsonataMachine(`"S":{"Type":"Fail","ErrorPath":"$.e"}`), "/States/S/ErrorPath"},
		{"items path", jsonataMachine(mapOf(`"ItemsPath":"$.a",`)), "/States/S/ItemsPath"},
		{"catch result path", jsonataMachine(`"S":{` + task + `,"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.e","Next":"P"}],"End":true},` + pass), "/States/S/Catch/0/ResultPath"},
		{"choice variable", jsonataMachine(`"S":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"P"}]},` + pass), "/States/S/Choices/0/Variable"},
		{"choice comparator", jsonataMachine(`"S":{"Type":"Choice","Choices":[{"Condition":true,"StringEquals":"x","Next":"P"}]},` + pass), "/States/S/Choices/0/StringEquals"},
		{"choice and", jsonataMachine(`"S":{"Type":"Choice","Choices":[{"And":[],"Next":"P"}]},` + pass), "/States/S/Choices/0/And"},
		{"choice without condition", jsonataMachine(`"S":{"Type":"Choice","Choices":[{"Next":"P"}]},` + pass), "/States/S/Choices/0"},
		{"choice condition literal string", jsonataMachine(`"S":{"Type":"Choice","Choices":[{"Condition":"true","Next":"P"}]},` + pass), "/States/S/Choices/0/Condition"},
		{"dollar key", jsonataMachine(`"S":{` + task + `,"Arguments":{"a.$":"$.a"},"End":true}`), "/States/S/Arguments/a.$"},
		{"arguments on pass", jsonataMachine(`"S":{"Type":"Pass","Arguments":{},"End":true}`), "/States/S/Arguments"},
		{"output on fail", jsonataMachine(`"S":{"Type":"Fail","Output":{}}`), "/States/S/Output"},
		{"syntax error", jsonataMachine(`"S":{"Type":"Pass","Output":"{% $states.input. + %}","End":true}`), "/States/S/Output"},
		{"nested syntax error", jsonataMachine(`"S":{"Type":"Pass","Output":{"a":[1,"{% ( %}"]},"End":true}`), "/States/S/Output/a/1"},
		{"syntax error in condition", jsonataMachine(`"S":{"Type":"Choice","Choices":[{"Condition":"{% $a = %}","Next":"P"}]},` + pass), "/States/S/Choices/0/Condition"},
		{"syntax error in timeout", jsonataMachine(`"S":{` + task + `,"TimeoutSeconds":"{% + %}","End":true}`), "/States/S/TimeoutSeconds"},
		{"timeout seconds plain string", jsonataMachine(`"S":{` + task + `,"TimeoutSeconds":"10","End":true}`), "/States/S/TimeoutSeconds"},
		{"bad variable name", jsonataMachine(`"S":{"Type":"Pass","Assign":{"a.$":"{% 1 %}"},"End":true}`), "/States/S/Assign/a.$"},
		{"reserved variable name", jsonataMachine(`"S":{"Type":"Pass","Assign":{"states":1},"End":true}`), "/States/S/Assign/states"},
		{"catch output in jsonpath", `{"StartAt":"S","States":{"S":{` + task + `,"Catch":[{"ErrorEquals":["States.ALL"],"Output":{},"Next":"P"}],"End":true},` + pass + `}}`, "/States/S/Catch/0/Output"},
		{"output in jsonpath", `{"StartAt":"S","States":{"S":{"Type":"Pass","Output":1,"End":true}}}`, "/States/S/Output"},
		{"items in jsonpath", `{"StartAt":"S","States":{` + mapOf(`"Items":[1],`) + `}}`, "/States/S/Items"},
		{"condition in jsonpath", `{"StartAt":"S","States":{"S":{"Type":"Choice","Choices":[{"Condition":true,"Next":"P"}]},` + pass + `}}`, "/States/S/Choices/0/Condition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { expectRejected(t, tt.def, CodeSchema, tt.loc) })
	}
}

func TestJSONataParseAccepts(t *testing.T) {
	defs := []string{
		// A JSONPath machine may hold JSONata states.
		`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"$.a"},"Next":"B"},"B":{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% $states.input.x %}","End":true}}}`,
		// Number and timestamp fields take expressions; strings not in {% %} are literals.
		jsonataMachine(`"S":{"Type":"Task",` + echoTask + `,"TimeoutSeconds":"{% 10 %}","HeartbeatSeconds":"{% 5 %}","Arguments":{"s":"$.a"},"Next":"W"},"W":{"Type":"Wait","Timestamp":"{% $states.input.t %}","End":true}`),
		jsonataMachine(`"S":{"Type":"Map","Items":"{% $states.input.a %}","MaxConcurrency":"{% 2 %}","ToleratedFailureCount":"{% 1 %}","ToleratedFailurePercentage":"{% 5 %}","ItemSelector":{"v":"{% $states.context.Map.Item.Value %}"},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`),
		jsonataMachine(`"S":{"Type":"Fail","Error":"{% 'E' %}","Cause":"plain"}`),
	}
	for _, d := range defs {
		if _, err := Parse([]byte(d)); err != nil {
			t.Errorf("Parse(%s): %v", d, err)
		}
	}
}

func TestJSONataDataFlow(t *testing.T) {
	tests := []struct {
		name, states, input, want string
	}{
		{"pass output default is input", `"S":{"Type":"Pass","End":true}`, `{"a":1}`, `{"a":1}`},
		{"pass output expression", `"S":{"Type":"Pass","Output":"{% $states.input.a + 1 %}","End":true}`, `{"a":1}`, `2`},
		{"nested expressions and literals", `"S":{"Type":"Pass","Output":{"a":"{% $states.input.x + 1 %}","l":[1,"{% $states.input.x %}","lit"],"s":"$states.input","t":" {% 1 %}"},"End":true}`, `{"x":2}`, `{"a":3,"l":[1,2,"lit"],"s":"$states.input","t":" {% 1 %}"}`},
		{"literal output", `"S":{"Type":"Pass","Output":[true,null,{"k":"v"}],"End":true}`, `{}`, `[true,null,{"k":"v"}]`},
		{"context object", `"S":{"Type":"Pass","Output":{"state":"{% $states.context.State.Name %}","exec":"{% $states.context.Execution.Name %}","in":"{% $states.context.Execution.Input.a %}"},"End":true}`, `{"a":7}`, `{"state":"S","exec":"test","in":7}`},
		{"context through whole $states", `"S":{"Type":"Pass","Output":{"a":"{% $states.input.a %}","n":"{% $lookup($states, 'context').State.Name %}"},"End":true}`, `{"a":1}`, `{"a":1,"n":"S"}`},
		{"succeed output", `"S":{"Type":"Succeed","Output":{"done":"{% $states.input.a %}"}}`, `{"a":"x"}`, `{"done":"x"}`},
		{"wait output", `"S":{"Type":"Wait","Seconds":"{% $states.input.s %}","Output":"{% $states.input.s * 2 %}","End":true}`, `{"s":3}`, `6`},
		{"task arguments and default output", `"S":{"Type":"Task",` + echoTask + `,"Arguments":{"v":"{% $states.input.a %}"},"End":true}`, `{"a":5}`, `{"v":5}`},
		{"task output sees result and input", `"S":{"Type":"Task",` + echoTask + `,"Arguments":{"v":"{% $states.input.a %}"},"Output":{"r":"{% $states.result.v %}","i":"{% $states.input.a %}"},"End":true}`, `{"a":5}`, `{"r":5,"i":5}`},
		{"parallel", `"S":{"Type":"Parallel","Arguments":{"n":"{% $states.input.a %}"},"Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input.n + 1 %}","End":true}}},{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],"Output":{"all":"{% $states.result %}"},"End":true}`, `{"a":1}`, `{"all":[2,{"n":1}]}`},
		{"map items and item selector", `"S":{"Type":"Map","Items":"{% $states.input.list %}","MaxConcurrency":"{% 1 %}","ItemSelector":{"i":"{% $states.context.Map.Item.Index %}","v":"{% $states.context.Map.Item.Value %}","k":"{% $states.input.k %}"},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input.v * 10 + $states.input.i %}","End":true}}},"End":true}`, `{"list":[1,2],"k":"x"}`, `[10,21]`},
		{"map items literal array", `"S":{"Type":"Map","Items":[1,"{% $states.input.a %}"],"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`, `{"a":2}`, `[1,2]`},
		{"map items default is input", `"S":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`, `[3,4]`, `[3,4]`},
		{"choice condition and output", `"S":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 3 %}","Next":"Big"}],"Default":"Small","Output":{"m":"{% $states.input.n %}"}},"Big":{"Type":"Pass","Output":{"big":"{% $states.input.m %}"},"End":true},"Small":{"Type":"Pass","Output":"small","End":true}`, `{"n":5}`, `{"big":5}`},
		{"choice default", `"S":{"Type":"Choice","Choices":[{"Condition":false,"Next":"Big"}],"Default":"Small"},"Big":{"Type":"Pass","Output":"big","End":true},"Small":{"Type":"Pass","Output":"small","End":true}`, `{}`, `"small"`},
		{"mixed with jsonpath", `"S":{"Type":"Pass","QueryLanguage":"JSONata","Output":{"b":"{% $states.input.a %}"},"Next":"T"},"T":{"Type":"Pass","Parameters":{"c.$":"$.b"},"End":true}`, `{"a":1}`, `{"c":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, _ := testOptions(&recordingRunner{})
			def := jsonataMachine(tt.states)
			if tt.name == "mixed with jsonpath" {
				def = `{"StartAt":"S","States":{` + tt.states + `}}`
			}
			d, _ := run(t, opts, def, tt.input)
			expectSucceeded(t, d, tt.want)
		})
	}
}

func TestJSONataVariables(t *testing.T) {
	tests := []struct {
		name, states, input, want string
	}{
		{"assign then read", `"S":{"Type":"Pass","Assign":{"count":"{% $states.input.n * 2 %}"},"Next":"B"},"B":{"Type":"Pass","Output":{"c":"{% $count %}"},"End":true}`, `{"n":4}`, `{"c":8}`},
		// Assign and Output both see the values from before the state.
		{"assign and output see old values", `"S":{"Type":"Pass","Assign":{"x":1},"Next":"B"},"B":{"Type":"Pass","Assign":{"x":"{% $x + 1 %}","y":"{% $x %}"},"Output":{"x":"{% $x %}"},"Next":"C"},"C":{"Type":"Pass","Output":{"before":"{% $states.input.x %}","x":"{% $x %}","y":"{% $y %}"},"End":true}`, `{}`, `{"before":1,"x":2,"y":1}`},
		{"task assign sees result", `"S":{"Type":"Task",` + echoTask + `,"Arguments":{"v":3},"Assign":{"r":"{% $states.result.v %}"},"Output":"{% $states.input %}","Next":"B"},"B":{"Type":"Pass","Output":{"r":"{% $r %}","in":"{% $states.input %}"},"End":true}`, `{"a":1}`, `{"r":3,"in":{"a":1}}`},
		{"choice rule and state assign", `"S":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n = 1 %}","Assign":{"rule":"one"},"Next":"B"}],"Assign":{"state":"{% $states.input.n %}"}},"B":{"Type":"Pass","Output":{"rule":"{% $rule %}","state":"{% $state %}"},"End":true}`, `{"n":1}`, `{"rule":"one","state":1}`},
		{"outer variable in branch, branch assignments stay inside", `"S":{"Type":"Pass","Assign":{"v":"outer"},"Next":"P"},"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"v":"inner"},"Output":"{% $v %}","Next":"B"},"B":{"Type":"Pass","Output":"{% $v %}","End":true}}}],"Output":{"branch":"{% $states.result[0] %}","after":"{% $v %}"},"End":true}`, `{}`, `{"branch":"inner","after":"outer"}`},
		{"variables in map iterations", `"S":{"Type":"Pass","Assign":{"k":10},"Next":"M"},"M":{"Type":"Map","Items":[1,2],"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input * $k %}","End":true}}},"End":true}`, `{}`, `[10,20]`},
		{"jsonpath state reads jsonata variable", `"S":{"Type":"Pass","QueryLanguage":"JSONata","Assign":{"v":{"a":"{% $states.input.a %}"}},"Next":"B"},"B":{"Type":"Pass","Parameters":{"v.$":"$v.a"},"End":true}`, `{"a":4}`, `{"v":4}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, _ := testOptions(&recordingRunner{})
			def := jsonataMachine(tt.states)
			if strings.HasPrefix(tt.name, "jsonpath") {
				def = `{"StartAt":"S","States":{` + tt.states + `}}`
			}
			d, _ := run(t, opts, def, tt.input)
			expectSucceeded(t, d, tt.want)
		})
	}
}

func TestJSONataNumberFields(t *testing.T) {
	t.Run("task timeouts", func(t *testing.T) {
		opts, _ := testOptions(&recordingRunner{})
		_, x := run(t, opts, jsonataMachine(`"S":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","TimeoutSeconds":"{% $states.input.t %}","HeartbeatSeconds":"{% $states.input.t - 1 %}","End":true}`), `{"t":30}`)
		for _, e := range x.History() {
			if d, ok := e.Details.(*TaskScheduledEventDetails); ok {
				if d.TimeoutInSeconds != 30 || d.HeartbeatInSeconds != 29 {
					t.Fatalf("timeouts %d/%d, want 30/29", d.TimeoutInSeconds, d.HeartbeatInSeconds)
				}
				return
			}
		}
		t.Fatalf("no TaskScheduled event: %s", eventTypes(x))
	})
	t.Run("wait seconds and timestamp", func(t *testing.T) {
		opts, sl := testOptions(nil)
		d, _ := run(t, opts, jsonataMachine(`"S":{"Type":"Wait","Seconds":"{% $states.input.s %}","Next":"T"},"T":{"Type":"Wait","Timestamp":"{% $states.input.at %}","End":true}`), `{"s":5,"at":"2024-03-14T02:00:05Z"}`)
		expectSucceeded(t, d, `{"s":5,"at":"2024-03-14T02:00:05Z"}`)
		if len(sl.sleeps) != 2 || sl.sleeps[0].Seconds() != 5 || sl.sleeps[1].Seconds() != 60 {
			t.Fatalf("sleeps %v, want [5s 1m0s]", sl.sleeps)
		}
	})
	t.Run("fail error and cause", func(t *testing.T) {
		opts, _ := testOptions(nil)
		d, _ := run(t, opts, jsonataMachine(`"S":{"Type":"Fail","Error":"{% 'Custom.' & $states.input.kind %}","Cause":"{% 'bad ' & $states.input.id %}"}`), `{"kind":"Bad","id":"7"}`)
		expectFailed(t, d, "Custom.Bad")
		if str(d.Cause) != "bad 7" {
			t.Fatalf("cause %s, want bad 7", str(d.Cause))
		}
	})
	t.Run("fail literal error", func(t *testing.T) {
		opts, _ := testOptions(nil)
		d, _ := run(t, opts, jsonataMachine(`"S":{"Type":"Fail","Error":"E","Cause":"$states.input"}`), `{}`)
		expectFailed(t, d, "E")
		if str(d.Cause) != "$states.input" {
			t.Fatalf("cause %s", str(d.Cause))
		}
	})
}

func TestJSONataErrors(t *testing.T) {
	prefix := "An error occurred while executing the state 'S' (entered at the event id #2). "
	tests := []struct {
		name, state, input, cause string
	}{
		{"undefined output", `{"Type":"Pass","Output":"{% $states.input.missing %}","End":true}`, `{}`, "The JSONata expression '$states.input.missing' specified for the field 'Output' returned nothing (undefined)."},
		{"undefined nested argument", `{"Type":"Task",` + echoTask + `,"Arguments":{"Input":{"loc":"{% $states.input.loc %}"}},"End":true}`, `{}`, "The JSONata expression '$states.input.loc' specified for the field 'Arguments/Input/loc' returned nothing (undefined)."},
		{"undefined variable", `{"Type":"Pass","Output":{"a":["{% $nope %}"]},"End":true}`, `{}`, "The JSONata expression '$nope' specified for the field 'Output/a[0]' returned nothing (undefined)."},
		{"evaluation error", `{"Type":"Pass","Output":"{% $states.input.s + 1 %}","End":true}`, `{"s":"x"}`, ""},
		{"function value", `{"Type":"Pass","Output":"{% function($x){$x} %}","End":true}`, `{}`, "The JSONata expression 'function($x){$x}' specified for the field 'Output' returned an unsupported result type."},
		{"eval refused", `{"Type":"Pass","Output":"{% $eval('1') %}","End":true}`, `{}`, ""},
		{"timeout not a number", `{"Type":"Task",` + echoTask + `,"TimeoutSeconds":"{% 'ten' %}","End":true}`, `{}`, ""},
		{"timeout zero", `{"Type":"Task",` + echoTask + `,"TimeoutSeconds":"{% 0 %}","End":true}`, `{}`, ""},
		{"wait seconds fraction", `{"Type":"Wait","Seconds":"{% 1.5 %}","End":true}`, `{}`, ""},
		{"wait seconds too many", `{"Type":"Wait","Seconds":"{% 1e10 %}","End":true}`, `{}`, ""},
		{"timeout too long", `{"Type":"Task",` + echoTask + `,"TimeoutSeconds":"{% 100000000 %}","End":true}`, `{}`, ""},
		{"wait timestamp not a timestamp", `{"Type":"Wait","Timestamp":"{% 'soon' %}","End":true}`, `{}`, ""},
		{"map items not array", `{"Type":"Map","Items":"{% $states.input %}","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`, `{"a":1}`, ""},
		{"map max concurrency negative", `{"Type":"Map","Items":[1],"MaxConcurrency":"{% -1 %}","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`, `{}`, ""},
		{"choice condition not boolean", `{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n %}","Next":"T"}]},"T":{"Type":"Succeed"}`, `{"n":1}`, ""},
		{"fail error not string", `{"Type":"Fail","Error":"{% 1 %}"}`, `{}`, ""},
		{"assign undefined", `{"Type":"Pass","Assign":{"v":"{% $states.input.nope %}"},"End":true}`, `{}`, "The JSONata expression '$states.input.nope' specified for the field 'Assign/v' returned nothing (undefined)."},
		{"result not visible in pass", `{"Type":"Pass","Output":"{% $states.result %}","End":true}`, `{}`, ""},
		// Definitions and inputs come from users: an expression's work is bounded.
		{"too much work", `{"Type":"Pass","Output":"{% $sum($map([1..900000], function($x){$x*2})) %}","End":true}`, `{}`, ""},
		{"runaway recursion", `{"Type":"Pass","Output":"{% ($f := function($s){$f($s & $s)}; $f('x')) %}","End":true}`, `{}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, _ := testOptions(&recordingRunner{})
			d, x := run(t, opts, jsonataMachine(`"S":`+tt.state), tt.input)
			expectFailed(t, d, ErrQueryEvaluationError)
			if !strings.HasPrefix(str(d.Cause), prefix) {
				t.Fatalf("cause %q lacks AWS's prefix", str(d.Cause))
			}
			if tt.cause != "" && str(d.Cause) != prefix+tt.cause {
				t.Fatalf("cause %q, want %q", str(d.Cause), prefix+tt.cause)
			}
			if !strings.Contains(eventTypes(x), "EvaluationFailed") {
				t.Fatalf("no EvaluationFailed event: %s", eventTypes(x))
			}
		})
	}
}

func TestJSONataRetryAndCatch(t *testing.T) {
	t.Run("retried then caught", func(t *testing.T) {
		opts, sl := testOptions(&recordingRunner{})
		d, _ := run(t, opts, jsonataMachine(`"S":{"Type":"Task",`+echoTask+`,"Arguments":"{% $states.input.missing %}",
			"Retry":[{"ErrorEquals":["States.QueryEvaluationError"],"MaxAttempts":2,"IntervalSeconds":1}],
			"Catch":[{"ErrorEquals":["States.ALL"],"Output":{"error":"{% $states.errorOutput.Error %}","in":"{% $states.input.a %}"},"Assign":{"cause":"{% $states.errorOutput.Cause %}"},"Next":"H"}],"End":true},
			"H":{"Type":"Pass","Output":{"error":"{% $states.input.error %}","in":"{% $states.input.in %}","cause":"{% $cause %}"},"End":true}`), `{"a":1}`)
		expectSucceeded(t, d, `{"error":"States.QueryEvaluationError","in":1,"cause":"An error occurred while executing the state 'S' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Arguments' returned nothing (undefined)."}`)
		if len(sl.sleeps) != 2 {
			t.Fatalf("retries slept %v, want 2 sleeps", sl.sleeps)
		}
	})
	t.Run("catch output defaults to error output", func(t *testing.T) {
		opts, _ := testOptions(runnerFunc(func(context.Context, string, json.RawMessage) (json.RawMessage, error) {
			return nil, &TaskError{Name: "Boom", Cause: "c"}
		}))
		d, _ := run(t, opts, jsonataMachine(`"S":{"Type":"Task",`+echoTask+`,"Catch":[{"ErrorEquals":["Boom"],"Next":"H"}],"End":true},"H":{"Type":"Pass","End":true}`), `{}`)
		expectSucceeded(t, d, `{"Error":"Boom","Cause":"c"}`)
	})
	t.Run("output error caught", func(t *testing.T) {
		opts, _ := testOptions(&recordingRunner{})
		d, _ := run(t, opts, jsonataMachine(`"S":{"Type":"Task",`+echoTask+`,"Output":"{% $states.result.nope %}","Catch":[{"ErrorEquals":["States.QueryEvaluationError"],"Output":"{% $states.errorOutput.Error %}","Next":"H"}],"End":true},"H":{"Type":"Succeed"}`), `{}`)
		expectSucceeded(t, d, `"States.QueryEvaluationError"`)
	})
}

func TestJSONataFunctions(t *testing.T) {
	tests := []struct {
		name, expr, want string
	}{
		{"partition", `$partition([1,2,3,4,5], 2)`, `[[1,2],[3,4],[5]]`},
		{"range", `$range(0, 10, 5)`, `[0,5,10]`},
		{"hash", `$hash('input data', 'SHA-256')`, `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`},
		{"random seeded is stable", `$random(42) = $random(42)`, `true`},
		// java.util.Random's nextDouble for these seeds, as AWS gives them.
		{"random seeded as java.util.Random", `[$random(42), $random(0)]`, `[0.7275636800328681,0.730967787376657]`},
		{"random below one", `$random() < 1`, `true`},
		{"uuid", `$uuid()`, `"80808080-8080-4080-8080-808080808080"`},
		{"parse", `$parse('{"a":[1,true]}').a`, `[1,true]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, _ := testOptions(nil)
			out, _ := json.Marshal(map[string]any{"Type": "Pass", "Output": "{% " + tt.expr + " %}", "End": true})
			d, _ := run(t, opts, jsonataMachine(`"S":`+string(out)), `{}`)
			expectSucceeded(t, d, tt.want)
		})
	}
}

func TestJSONataMemberOrder(t *testing.T) {
	r := &recordingRunner{}
	opts, _ := testOptions(r)
	_, x := run(t, opts, jsonataMachine(`"S":{"Type":"Task",`+echoTask+`,"Arguments":{"z":"{% $states.input.z %}","built":"{% {'b': 1, 'a': 2} %}","keys":"{% $keys($states.input) %}","a":1},"End":true}`), `{"z":1,"y":2}`)
	want := `{"z":1,"built":{"b":1,"a":2},"keys":["z","y"],"a":1}`
	if len(r.inputs) != 1 || r.inputs[0] != want {
		t.Fatalf("task received %v, want %s (%s)", r.inputs, want, eventTypes(x))
	}
}

// TestJSONataCompiledOnce checks that expressions are compiled with the
// definition: every one in a parsed machine is ready to evaluate.
func TestJSONataCompiledOnce(t *testing.T) {
	sm := mustParse(t, jsonataMachine(`"S":{"Type":"Pass","Output":{"a":"{% 1 %}","b":["{% 2 %}"]},"End":true}`))
	obj, ok := sm.top.states["S"].output.root.(*tobject)
	if !ok {
		t.Fatalf("Output compiled to %T", sm.top.states["S"].output.root)
	}
	if e, ok := obj.nodes[0].(*jexpr); !ok || e.e == nil || e.field != "Output/a" {
		t.Fatalf("Output/a compiled to %#v", obj.nodes[0])
	}
	if !regexp.MustCompile(`^Output/b\[0\]$`).MatchString(obj.nodes[1].(*tarray).nodes[0].(*jexpr).field) {
		t.Fatalf("Output/b[0] field name wrong")
	}
}

// A panic inside an evaluation (an evaluator bug, or a host function's) is an
// error, not the end of the process that runs the engine.
func TestJSONataPanicIsAnError(t *testing.T) {
	e, err := jsonata.Compile(`$boom()`)
	if err != nil {
		t.Fatal(err)
	}
	boom := func([]any) (any, bool, error) { panic("boom") }
	_, _, err = safeEval(e, jsonata.Env{Functions: map[string]jsonata.Function{"boom": boom}})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %v", err)
	}
}
