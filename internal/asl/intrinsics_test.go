package asl

import (
	"regexp"
	"testing"
)

func TestIntrinsics(t *testing.T) {
	tests := []struct {
		expr, input, want string
	}{
		{`States.Format('{} is {} and {}', $.s, $.n, $.o)`, `{"s":"x","n":1.5,"o":{"a":[1,"s",null],"b":{"c":true}}}`, `"x is 1.5 and {a=[1, s, null], b={c=true}}"`},
		{`States.Format('it\'s {}', $.s)`, `{"s":"ok"}`, `"it's ok"`},
		{`States.Format($.t, 'v')`, `{"t":"<{}>"}`, `"<v>"`},
		{`States.StringToJson('[1, {"a": true}]')`, `{}`, `[1,{"a":true}]`},
		{`States.JsonToString($.o)`, `{"o":{"b":"é\n","a":null}}`, `"{\"b\":\"é\\n\",\"a\":null}"`}, // members in input order, as AWS
		{`States.Array()`, `{}`, `[]`},
		{`States.ArrayPartition($.a, 2)`, `{"a":[1,2,3,4,5]}`, `[[1,2],[3,4],[5]]`},
		{`States.ArrayPartition($.a, 4)`, `{"a":[]}`, `[]`},
		{`States.ArrayContains($.a, 2)`, `{"a":[1,2.0]}`, `true`},
		{`States.ArrayContains($.a, 'x')`, `{"a":[1]}`, `false`},
		{`States.ArrayRange(1, 9, 2)`, `{}`, `[1,3,5,7,9]`},
		{`States.ArrayRange(1, 2, 5)`, `{}`, `[1]`},
		{`States.ArrayGetItem($.a, 1)`, `{"a":["x","y"]}`, `"y"`},
		{`States.ArrayUnique($.a)`, `{"a":[{"k":1},{"k":1},[1],[1]]}`, `[{"k":1},[1]]`},
		{`States.Base64Encode('é')`, `{}`, `"w6k="`},
		{`States.Base64Decode('w6k=')`, `{}`, `"é"`},
		{`States.Hash('', 'SHA-256')`, `{}`, `"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"`},
		{`States.JsonMerge($.a, $.b, false)`, `{"a":{"x":1,"y":{"z":1}},"b":{"y":{"w":2}}}`, `{"x":1,"y":{"w":2}}`},
		{`States.MathRandom(10, 20)`, `{}`, `15`},
		{`States.MathRandom(7, 7)`, `{}`, `7`},
		{`States.ArrayRange(0.6, 3.4, 1)`, `{}`, `[1,2,3]`},
		{`States.MathAdd(2147483647, -1)`, `{}`, `2147483646`},
		{`States.MathAdd($.a, 2.5)`, `{"a":-2.5}`, `1`},
		{`States.StringSplit('a,,b', ',')`, `{}`, `["a","b"]`},
		{`States.StringSplit($.s, ' ')`, `{"s":""}`, `[]`},
		{`States.Array(true, null, -1, 2.5, States.UUID() == null)`, `{}`, ``},
		{`States.Format('{}', $$.Execution.Name)`, `{}`, `"test"`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			opts, _ := testOptions(nil)
			def := single(`{"Type":"Pass","Parameters":{"r.$":` + string(appendString(nil, tt.expr)) + `},"End":true}`)
			if tt.want == "" {
				if _, err := Parse([]byte(def)); err == nil {
					t.Fatalf("Parse accepted %s", tt.expr)
				}
				return
			}
			d, _ := run(t, opts, def, tt.input)
			expectSucceeded(t, d, `{"r":`+tt.want+`}`)
		})
	}
}

func TestIntrinsicFailures(t *testing.T) {
	for _, expr := range []string{
		`States.Format('{} {}', 'one')`,
		`States.Format('{}', 'one', 'two')`,
		`States.ArrayPartition($.a, 0)`,
		`States.ArrayRange(0, 2000, 1)`,
		`States.ArrayRange(0, 1, 0)`,
		`States.ArrayGetItem($.a, -1)`,
		`States.ArrayLength($.s)`,
		`States.Base64Decode('%%%')`,
		`States.JsonMerge($.a, $.a, true)`,
		`States.MathRandom(5, 4)`,
		`States.Hash($.a, 'MD5')`,
		`States.MathAdd(2147483648, 0)`,
		`States.StringToJson($.a)`,
	} {
		t.Run(expr, func(t *testing.T) {
			opts, _ := testOptions(nil)
			def := single(`{"Type":"Pass","Parameters":{"r.$":` + string(appendString(nil, expr)) + `},"End":true}`)
			d, _ := run(t, opts, def, `{"a":[1],"s":"x"}`)
			expectFailed(t, d, ErrRuntime)
		})
	}
}

func TestUUIDAndSeededRandom(t *testing.T) {
	opts, _ := testOptions(nil)
	opts.Random = nil // crypto
	d, _ := run(t, opts, single(`{"Type":"Pass","Parameters":{"u.$":"States.UUID()","a.$":"States.MathRandom(0, 1000, 7)","b.$":"States.MathRandom(0, 1000, 7)"},"End":true}`), `{}`)
	out := d.Output.Value().(map[string]any)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(out["u"].(string)) {
		t.Fatalf("UUID %v is not a version 4 UUID", out["u"])
	}
	if out["a"] != out["b"] {
		t.Fatalf("seeded MathRandom differs: %v %v", out["a"], out["b"])
	}
}
