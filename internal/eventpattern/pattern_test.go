package eventpattern

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func check(t *testing.T, pattern string, event []byte, want bool) {
	t.Helper()
	p, err := Compile([]byte(pattern))
	if err != nil {
		t.Fatalf("Compile(%s): %v", pattern, err)
	}
	got, err := p.Match(event)
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	if got != want {
		t.Errorf("pattern %s on event %.200s: got %v, want %v", pattern, event, got, want)
	}
}

// The examples of the Event Ruler README and the EventBridge user guide, all
// run against the guide's sample EC2 event.
func TestDocExamplesEC2Event(t *testing.T) {
	ev := mustRead(t, "testdata/ec2-event.json")
	cases := []struct {
		pattern string
		want    bool
	}{
		{`{"detail-type":["EC2 Instance State-change Notification"],"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],"detail":{"state":["initializing","running"]}}`, true},
		{`{"detail":{"state":["initializing","stopped"]}}`, false},
		{`{"time":[{"prefix":"2017-10-02"}]}`, true},
		{`{"time":[{"prefix":"2017-10-03"}]}`, false},
		{`{"source":[{"suffix":"ec2"}]}`, true},
		{`{"source":[{"equals-ignore-case":"AWS.EC2"}]}`, true},
		{`{"detail-type":[{"wildcard":"EC2*State-change*"}]}`, true},
		{`{"detail-type":[{"wildcard":"*Stopped*"}]}`, false},
		{`{"detail":{"state":[{"anything-but":"initializing"}]}}`, true},
		{`{"detail":{"state":[{"anything-but":"running"}]}}`, false},
		{`{"detail":{"x-limit":[{"anything-but":123}]}}`, true},
		{`{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, true},
		{`{"detail":{"x-limit":[{"anything-but":[100,200,300]}]}}`, true},
		{`{"detail":{"x-limit":[{"anything-but":[100,301.8]}]}}`, false},
		{`{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, true},
		{`{"detail":{"state":[{"anything-but":{"prefix":"run"}}]}}`, false},
		{`{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`, true},
		{`{"detail":{"c-count":[{"numeric":[">",5]}]}}`, false},
		{`{"detail":{"c-count":[{"numeric":[">=",5,"<",6]}]}}`, true},
		{`{"detail":{"source-ip":[{"cidr":"10.0.0.0/24"}]}}`, true},
		{`{"detail":{"source-ip":[{"cidr":"10.0.1.0/24"}]}}`, false},
		{`{"detail":{"c-count":[{"exists":true}]}}`, true},
		{`{"detail":{"c-count":[{"exists":false}]}}`, false},
		{`{"detail":{"no-such":[{"exists":false}]}}`, true},
		{`{"time":[{"prefix":"2017-10-02"}],"detail":{"state":[{"anything-but":"initializing"}],"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"anything-but":[100,200,300]}],"source-ip":[{"cidr":"10.0.0.0/8"}]}}`, true},
		// $or examples from the Event Ruler README.
		{`{"source":["aws.ec2"],"$or":[{"detail":{"state":["stopped"]}},{"detail":{"c-count":[5]}}]}`, true},
		{`{"source":["aws.ec2"],"$or":[{"detail":{"state":["stopped"]}},{"detail":{"c-count":[6]}}]}`, false},
		{`{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]},{"x-limit":[{"numeric":["=",3.018e2]}]}]}}`, true},
		{`{"source":["aws.ec2"],"$or":[{"region":["eu-west-1"]},{"detail":{"state":["stopped"],"$or":[{"detail-type":["x"]},{"account":["012345679012"]}]}}]}`, false},
		// Numbers compare by value.
		{`{"detail":{"c-count":[5.0]}}`, true},
		{`{"detail":{"c-count":["5"]}}`, false},
		// Account IDs are matched as strings.
		{`{"account":["012345679012"]}`, true},
	}
	for _, c := range cases {
		check(t, c.pattern, ev, c.want)
	}
}

// The S3 rule of this project and the operator page's key examples.
func TestS3ObjectCreated(t *testing.T) {
	ev := mustRead(t, "testdata/s3-object-created.json")
	rule := `{"source":["aws.s3"],"detail-type":["Object Created"],
 "detail":{"bucket":{"name":["DOC-EXAMPLE-BUCKET1"]},
           "object":{"key":[{"suffix":{"equals-ignore-case":".jpg"}},{"suffix":{"equals-ignore-case":".jpeg"}}]}}}`
	check(t, rule, ev, true)
	check(t, strings.Replace(rule, "DOC-EXAMPLE-BUCKET1", "other", 1), ev, false)
	check(t, `{"detail":{"object":{"key":[{"suffix":".jpg"}]}}}`, ev, false) // case matters without ignore-case
	check(t, `{"detail":{"object":{"key":[{"prefix":{"equals-ignore-case":"PHOTOS/"}}]}}}`, ev, true)
	check(t, `{"detail":{"object":{"key":[{"wildcard":"photos/*/IMG_*.JPG"}]}}}`, ev, true)
	check(t, `{"detail":{"object":{"key":[{"wildcard":"photos/*/IMG_*.PNG"}]}}}`, ev, false)
	check(t, `{"detail":{"object":{"key":[{"anything-but":{"wildcard":"*/lib/*"}}]}}}`, ev, true)
	check(t, `{"detail":{"object":{"key":[{"anything-but":{"wildcard":["*/Holiday*","x"]}}]}}}`, ev, false)
	check(t, `{"detail":{"object":{"key":[{"anything-but":{"suffix":".png"}}]}}}`, ev, true)
	check(t, `{"detail":{"object":{"key":[{"anything-but":{"suffix":".JPG"}}]}}}`, ev, false)
	check(t, `{"detail":{"reason":[{"anything-but":{"equals-ignore-case":["putobject","copyobject"]}}]}}`, ev, false)
	check(t, `{"detail":{"reason":[{"anything-but":{"equals-ignore-case":"copyobject"}}]}}`, ev, true)
	check(t, `{"detail":{"object":{"size":[{"numeric":[">",0]}]}}}`, ev, true)
	check(t, `{"source":[{"anything-but":{"prefix":"aws."}}]}`, ev, false)
	check(t, `{"detail":{"deletion-type":[{"exists":false}]}}`, ev, true)
	check(t, `{"detail":{"source-ip-address":[{"cidr":"1.2.0.0/16"}]}}`, ev, true)
}

func TestNullEmptyArraysAndNesting(t *testing.T) {
	ev := []byte(`{"source":"aws.autoscaling","resources":[],"detail":{"eventVersion":"","responseElements":null,
	  "list":["a","b",{"c":1}],"objs":[{"k":"x","v":1},{"k":"y","v":2}],"c-count":{"c1":100},
	  "ip6":"2001:db8::7","nested":[[1,2],[3]]}}`)
	check(t, `{"detail":{"eventVersion":[""]}}`, ev, true)
	check(t, `{"detail":{"eventVersion":[null]}}`, ev, false)
	check(t, `{"detail":{"responseElements":[null]}}`, ev, true)
	check(t, `{"detail":{"responseElements":[""]}}`, ev, false)
	check(t, `{"detail":{"responseElements":[{"exists":true}]}}`, ev, true)
	check(t, `{"detail":{"list":["b"]}}`, ev, true)
	check(t, `{"detail":{"list":{"c":[1]}}}`, ev, true)
	check(t, `{"detail":{"nested":[3]}}`, ev, true)
	// Fields of one array element are never combined with another's.
	check(t, `{"detail":{"objs":{"k":["x"],"v":[1]}}}`, ev, true)
	check(t, `{"detail":{"objs":{"k":["x"],"v":[2]}}}`, ev, false)
	// exists only applies to leaves: an object counts as absent.
	check(t, `{"detail":{"c-count":[{"exists":false}]}}`, ev, true)
	check(t, `{"detail":{"c-count":[{"exists":true}]}}`, ev, false)
	check(t, `{"resources":[{"exists":false}]}`, ev, true)
	check(t, `{"missing":{"deeper":[{"exists":false}]}}`, ev, true)
	check(t, `{"missing":{"deeper":[{"exists":true}]}}`, ev, false)
	check(t, `{"detail":{"ip6":[{"cidr":"2001:db8::/32"}]}}`, ev, true)
	check(t, `{"detail":{"ip6":[{"cidr":"2001:db9::/32"}]}}`, ev, false)
	// anything-but needs a value to be present.
	check(t, `{"detail":{"absent":[{"anything-but":"x"}]}}`, ev, false)
	// "$or" with a match expression inside is a plain field name.
	check(t, `{"$or":[{"prefix":"a"},{"prefix":"b"}]}`, []byte(`{"$or":"abc"}`), true)
}

func TestWildcard(t *testing.T) {
	cases := []struct {
		w, s string
		want bool
	}{
		{"*", "", true}, {"*", "anything", true}, {"a*", "a", true}, {"*a", "ba", true},
		{"a*a", "a", false}, {"a*a", "aa", true}, {"a*b*c", "abc", true}, {"a*b*c", "acb", false},
		{`a\*b`, "a*b", true}, {`a\*b`, "axb", false}, {`a\\*`, `a\zz`, true}, {"ab", "ab", true}, {"ab", "abc", false},
	}
	for _, c := range cases {
		m, err := compileWildcard(c.w)
		if err != nil {
			t.Fatalf("%q: %v", c.w, err)
		}
		if got := m.match(c.s); got != c.want {
			t.Errorf("wildcard %q on %q: got %v", c.w, c.s, got)
		}
	}
}

func TestInvalidPatterns(t *testing.T) {
	cases := map[string]string{
		`[1]`:                                                 "Filter is not an object",
		`{}`:                                                  "Empty objects are not allowed",
		`{"a":"x"}`:                                           `"a" must be an object or an array`,
		`{"a":[]}`:                                            "Empty arrays are not allowed",
		`{"a":[[1]]}`:                                         "Match value must be String",
		`{"a":[{"nope":1}]}`:                                  "Unrecognized match type nope",
		`{"a":[{"prefix":1}]}`:                                "prefix match pattern must be a string",
		`{"a":[{"prefix":"x","suffix":"y"}]}`:                 "Only one key allowed",
		`{"a":[{"numeric":5}]}`:                               "Value of numeric must be an array",
		`{"a":[{"numeric":["<",1,">",0]}]}`:                   "Too many elements",
		`{"a":[{"numeric":[">",1,">",0]}]}`:                   "Bad numeric range operator",
		`{"a":[{"numeric":["!",1]}]}`:                         "Unrecognized numeric range operator",
		`{"a":[{"numeric":[">","1"]}]}`:                       "must be numeric",
		`{"a":[{"numeric":[">",6e9]}]}`:                       "out of the range",
		`{"a":[{"numeric":[">",5,"<",1]}]}`:                   "Bottom must be less than top",
		`{"a":[{"exists":"yes"}]}`:                            "exists match pattern must be either true or false",
		`{"a":[{"cidr":"10.0.0.0/33"}]}`:                      "Nonstandard IP address",
		`{"a":[{"wildcard":"a**b"}]}`:                         "Consecutive wildcard characters",
		`{"a":[{"wildcard":"a\\b"}]}`:                         "Invalid escape character",
		`{"a":[{"anything-but":["x",1]}]}`:                    "mixed type is not supported",
		`{"a":[{"anything-but":[null]}]}`:                     "start|null|boolean is not supported",
		`{"a":[{"anything-but":true}]}`:                       "must be an array or single string/number value",
		`{"a":[{"anything-but":{"prefix":""}}]}`:              "Null prefix/suffix not allowed",
		`{"a":[{"anything-but":{"numeric":[1]}}]}`:            "Unsupported anything-but pattern: numeric",
		`{"a":[{"anything-but":{"equals-ignore-case":[1]}}]}`: "number|start|null|boolean is not supported",
		`{"a":[1]`:                                            "",
	}
	for pattern, want := range cases {
		_, err := Compile([]byte(pattern))
		var ip *InvalidPatternError
		if !errors.As(err, &ip) {
			t.Errorf("Compile(%s): got %v, want InvalidPatternError", pattern, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "Event pattern is not valid. Reason: ") || !strings.Contains(ip.Reason, want) {
			t.Errorf("Compile(%s): %q, want reason containing %q", pattern, err, want)
		}
	}
}

func TestEventNotObject(t *testing.T) {
	p := MustCompile(`{"a":["b"]}`)
	if _, err := p.Match([]byte(`[1]`)); err == nil {
		t.Error("array event: want error")
	}
	if _, err := p.Match([]byte(`{`)); err == nil {
		t.Error("broken event: want error")
	}
}

func FuzzCompileMatch(f *testing.F) {
	f.Add([]byte(`{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}]}}`), []byte(`{"detail":{"c-count":5}}`))
	f.Add([]byte(`{"a":[{"wildcard":"x*y\\*"}],"$or":[{"b":[1]},{"c":[null]}]}`), []byte(`{"a":"xzzy*","c":null}`))
	f.Fuzz(func(t *testing.T, pattern, event []byte) {
		p, err := Compile(pattern)
		if err != nil {
			return
		}
		_, _ = p.Match(event)
	})
}
