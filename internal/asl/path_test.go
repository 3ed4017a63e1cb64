package asl

import (
	"runtime"
	"strings"
	"testing"
)

// A deep scan of a deeply nested document must not locate every match: the
// locations grow with nodes × depth (about 370 MB for 3,000 levels).
func TestDeepScanOfDeepDocumentIsBounded(t *testing.T) {
	const depth = 3000
	v, err := parseJSON([]byte(strings.Repeat(`{"a":`, depth) + `1` + strings.Repeat(`}`, depth)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := compilePath("$..a", false)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, _ := p.eval(v)
	runtime.ReadMemStats(&after)
	if n := len(res.([]any)); n != depth {
		t.Errorf("%d matches, want %d", n, depth)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("the scan allocated %d MB", alloc>>20)
	}
	// Within the bound, matches come in document order: outermost first.
	small, _ := parseJSON([]byte(`{"a":{"a":{"a":1}}}`))
	got, _ := p.eval(small)
	if s := toJSON(got); s != `[{"a":{"a":1}},{"a":1},1]` {
		t.Errorf("$..a = %s", s)
	}
}
