package asl

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRejects(t *testing.T) {
	pass := `"P":{"Type":"Pass","End":true}`
	tests := []struct {
		name, def, code, loc string
	}{
		{"not json", `{`, CodeInvalidJSON, "/"},
		{"no StartAt", `{"States":{` + pass + `}}`, CodeSchema, "/"},
		{"unknown top field", `{"StartAt":"P","Foo":1,"States":{` + pass + `}}`, CodeSchema, "/Foo"},
		{"next and end", `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"P","End":true}}}`, CodeSchema, "/States/P"},
		{"neither next nor end", `{"StartAt":"P","States":{"P":{"Type":"Pass"}}}`, CodeSchema, "/States/P"},
		{"missing next target", `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"Q"}}}`, CodeMissingTarget, "/States/P/Next"},
		{"retry on pass", `{"StartAt":"P","States":{"P":{"Type":"Pass","Retry":[],"End":true}}}`, CodeSchema, "/States/P/Retry"},
		{"result selector on pass", `{"StartAt":"P","States":{"P":{"Type":"Pass","ResultSelector":{},"End":true}}}`, CodeSchema, "/States/P/ResultSelector"},
		{"unknown type", `{"StartAt":"P","States":{"P":{"Type":"Nope","End":true}}}`, CodeSchema, "/States/P/Type"},
		{"bad input path", `{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"a.b","End":true}}}`, CodeSchema, "/States/P/InputPath"},
		{"result path wildcard", `{"StartAt":"P","States":{"P":{"Type":"Pass","ResultPath":"$.a[*]","End":true}}}`, CodeSchema, "/States/P/ResultPath"},
		{"parameters path not string", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":["$.x"]},"End":true}}}`, CodeSchema, "/States/P/Parameters/a.$"},
		{"parameters bad path", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"x"},"End":true}}}`, CodeSchema, "/States/P/Parameters/a.$"},
		{"field given twice", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a":1,"a.$":"$.x"},"End":true}}}`, CodeSchema, "/States/P/Parameters/a.$"},
		{"unknown intrinsic", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"States.Nope(1)"},"End":true}}}`, CodeSchema, "/States/P/Parameters/a.$"},
		{"intrinsic arity", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"States.ArrayLength(1, 2)"},"End":true}}}`, CodeSchema, "/States/P/Parameters/a.$"},
		{"unreachable", `{"StartAt":"P","States":{` + pass + `,"Q":{"Type":"Pass","End":true}}}`, CodeMissingTarget, "/States/Q"},
		{"unknown start", `{"StartAt":"X","States":{` + pass + `}}`, CodeMissingTarget, "/StartAt"},
		{"duplicate in branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"P","States":{` + pass + `}}]}}}`, CodeDuplicateState, "/States/P/Branches/0/States/P"},
		{"states.all not last", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","End":true,"Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}]}}}`, CodeSchema, "/States/T/Retry/0/ErrorEquals"},
		{"states.all not alone", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","End":true,"Retry":[{"ErrorEquals":["States.ALL","X"]}]}}}`, CodeSchema, "/States/T/Retry/0/ErrorEquals"},
		{"reserved error name", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","End":true,"Retry":[{"ErrorEquals":["States.Custom"]}]}}}`, CodeSchema, "/States/T/Retry/0/ErrorEquals/0"},
		{"backoff below one", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","End":true,"Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}]}}}`, CodeSchema, "/States/T/Retry/0/BackoffRate"},
		{"bad jitter", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","End":true,"Retry":[{"ErrorEquals":["X"],"JitterStrategy":"HALF"}]}}}`, CodeSchema, "/States/T/Retry/0/JitterStrategy"},
		{"catch without next", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","End":true,"Catch":[{"ErrorEquals":["X"]}]}}}`, CodeSchema, "/States/T/Catch/0"},
		{"task without resource", `{"StartAt":"T","States":{"T":{"Type":"Task","End":true}}}`, CodeSchema, "/States/T"},
		{"heartbeat not below timeout", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","TimeoutSeconds":5,"HeartbeatSeconds":5,"End":true}}}`, CodeSchema, "/States/T/HeartbeatSeconds"},
		{"wait two fields", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`, CodeSchema, "/States/W"},
		{"wait bad timestamp", `{"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"yesterday","End":true}}}`, CodeSchema, "/States/W/Timestamp"},
		{"fail error and path", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","ErrorPath":"$.e"}}}`, CodeSchema, "/States/F"},
		{"choice without choices", `{"StartAt":"C","States":{"C":{"Type":"Choice","Default":"P"},` + pass + `}}`, CodeSchema, "/States/C/Choices"},
		{"choice rule without next", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true}],"Default":"P"},` + pass + `}}`, CodeSchema, "/States/C/Choices/0"},
		{"choice two operators", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"IsNull":true,"Next":"P"}]},` + pass + `}}`, CodeSchema, "/States/C/Choices/0"},
		{"choice wrong operand type", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":"1","Next":"P"}]},` + pass + `}}`, CodeSchema, "/States/C/Choices/0/NumericEquals"},
		{"nested rule with next", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.a","IsPresent":true,"Next":"P"},"Next":"P"}]},` + pass + `}}`, CodeSchema, "/States/C/Choices/0/Not/Next"},
		{"unknown query language", `{"QueryLanguage":"XPath","StartAt":"P","States":{` + pass + `}}`, CodeSchema, "/QueryLanguage"},
		{"distributed map", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{` + pass + `}}}}}`, CodeSchema, "/States/M/ItemProcessor/ProcessorConfig/Mode"},
		{"map without processor", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true}}}`, CodeSchema, "/States/M"},
		{"map selector and parameters", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"Parameters":{},"ItemSelector":{},"ItemProcessor":{"StartAt":"P","States":{` + pass + `}}}}}`, CodeSchema, "/States/M"},
		{"tolerated percent range", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ToleratedFailurePercentage":101,"ItemProcessor":{"StartAt":"P","States":{` + pass + `}}}}}`, CodeSchema, "/States/M/ToleratedFailurePercentage"},
		{"max delay over a year", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"Q","States":{"Q":{"Type":"Pass","End":true}}}],"Retry":[{"ErrorEquals":["X"],"MaxDelaySeconds":31622401}],"End":true}}}`, CodeSchema, "/States/P/Retry/0/MaxDelaySeconds"},
		{"timeout not positive", `{"StartAt":"P","TimeoutSeconds":0,"States":{` + pass + `}}`, CodeSchema, "/TimeoutSeconds"},
		// Past 99999999 seconds; past about 9.2e9 a duration overflows and means no wait at all.
		{"timeout too long", `{"StartAt":"P","TimeoutSeconds":10000000000,"States":{` + pass + `}}`, CodeSchema, "/TimeoutSeconds"},
		{"wait too long", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100000000,"End":true}}}`, CodeSchema, "/States/W/Seconds"},
		{"task timeout too long", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","TimeoutSeconds":10000000000,"End":true}}}`, CodeSchema, "/States/T/TimeoutSeconds"},
		{"heartbeat too long", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","HeartbeatSeconds":100000000,"End":true}}}`, CodeSchema, "/States/T/HeartbeatSeconds"},
		{"bad variable name", `{"StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"1x":1},"End":true}}}`, CodeSchema, "/States/P/Assign/1x"},
		{"parallel no branches", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[],"End":true}}}`, CodeSchema, "/States/P/Branches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { expectRejected(t, tt.def, tt.code, tt.loc) })
	}
}

// expectRejected checks that Parse refuses def with a code diagnostic at loc.
func expectRejected(t *testing.T, def, code, loc string) {
	t.Helper()
	_, err := Parse([]byte(def))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse error %v, want *ValidationError", err)
	}
	for _, d := range ve.Diagnostics {
		if d.Code == code && d.Location == loc {
			if !strings.Contains(ve.Error(), code) {
				t.Errorf("Error() %q lacks the code", ve.Error())
			}
			return
		}
	}
	t.Fatalf("no %s diagnostic at %s; got %v", code, loc, ve.Diagnostics)
}

func TestParseAccepts(t *testing.T) {
	defs := []string{
		`{"Comment":"c","Version":"1.0","TimeoutSeconds":10,"QueryLanguage":"JSONPath","StartAt":"P","States":{"P":{"Type":"Pass","Comment":"x","End":true}}}`,
		// Legacy Map fields: Iterator and Parameters.
		`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.a","Parameters":{"v.$":"$$.Map.Item.Value"},"Iterator":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
		// A loop is fine as long as every state is reachable.
		`{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":0,"Next":"B"}],"Default":"C"},"B":{"Type":"Pass","Next":"A"},"C":{"Type":"Succeed"}}}`,
		// Catch targets make states reachable.
		`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},"Catch":[{"ErrorEquals":["States.ALL"],"Next":"F","ResultPath":"$.err"}],"End":true},"F":{"Type":"Fail","ErrorPath":"$.err.Error","CausePath":"States.Format('x {}', $.err.Cause)"}}}`,
		// The longest waits and timeouts there are.
		`{"StartAt":"W","TimeoutSeconds":99999999,"States":{"W":{"Type":"Wait","Seconds":99999999,"Next":"T"},"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","TimeoutSeconds":99999999,"HeartbeatSeconds":99999998,"End":true}}}`,
	}
	for _, d := range defs {
		if _, err := Parse([]byte(d)); err != nil {
			t.Errorf("Parse(%s): %v", d, err)
		}
	}
}
