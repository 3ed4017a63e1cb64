package asl

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParse: Parse never panics, and what it accepts runs without panicking.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(casesDir, "*.json"))
	jsonataCases, _ := filepath.Glob(filepath.Join(specDir, "jsonata_*.json"))
	for _, file := range append(files, jsonataCases...) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		c, err := parseJSON(b)
		if err != nil {
			f.Fatal(err)
		}
		if def, ok := c.(map[string]any)["definition"]; ok {
			f.Add([]byte(toJSON(def)))
		}
	}
	f.Add([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"States.Format('{}', $.x)"},"End":true}}}`))
	f.Fuzz(func(t *testing.T, def []byte) {
		sm, err := Parse(def)
		if err != nil {
			return
		}
		clock := NewVirtualClock(time.Unix(0, 0))
		x, err := New(Options{Now: clock.Now, Sleep: clock.Sleep, Random: func() float64 { return 0 }}).Start(t.Context(), sm, "f", []byte(`{"a":[1,"x",{"b":null}],"s":"t"}`))
		if err != nil {
			t.Fatal(err)
		}
		// Stop machines that loop forever; either way the execution must end.
		timer := time.AfterFunc(200*time.Millisecond, func() { _ = x.Stop("", "") })
		defer timer.Stop()
		<-x.Done()
	})
}

// FuzzJSONPath: compiling and evaluating any path (and intrinsic) on a fixed
// document never panics.
func FuzzJSONPath(f *testing.F) {
	for _, s := range []string{"$", "$.a[0]", "$.a[-1:]", "$..b", "$.a[?(@ > 1)]", "$$.Execution.Input", "$v.x", "$['a'][*]",
		"States.Format('{}', $.s)", "States.ArrayGetItem(States.StringSplit($.s, ','), 0)"} {
		f.Add(s)
	}
	doc, _ := parseJSON([]byte(`{"a":[1,"x",{"b":null}],"s":"t,u","n":2.5}`))
	f.Fuzz(func(t *testing.T, s string) {
		env := &evalEnv{input: doc, vars: &varScope{vals: map[string]any{"v": doc}}, rnd: func() float64 { return 0 }}
		if p, err := compilePath(s, false); err == nil {
			_, _, _ = p.get(env)
			if p.definite {
				_, _ = setResult(doc, p.steps, 1)
			}
		}
		if in, err := compileIntrinsic(s); err == nil {
			_, _ = in.eval(env)
		}
	})
}
