package console

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func nodeMap(g *graph) map[string]gnode {
	m := map[string]gnode{}
	for _, n := range g.Nodes {
		m[n.Name] = n
	}
	return m
}

func TestLayoutPipelineShape(t *testing.T) {
	g, err := layoutGraph(testDefinition, map[string]string{"Validate": "caught", "RecordFailure": "succeeded"})
	if err != nil {
		t.Fatal(err)
	}
	n := nodeMap(g)
	if len(n) != 8 {
		t.Fatalf("nodes %d, want 8", len(n))
	}
	// The success path runs down in order; the failure path starts below every task
	// that can fail into it.
	order := []string{"Validate", "Strip", "Write", "Verify", "Done"}
	for i := 1; i < len(order); i++ {
		if n[order[i]].Y <= n[order[i-1]].Y {
			t.Errorf("%s not below %s", order[i], order[i-1])
		}
	}
	if n["RecordFailure"].Y != n["Done"].Y || n["Done"].X >= n["RecordFailure"].X {
		t.Errorf("Done %v and RecordFailure %v: want one layer, Done first", n["Done"], n["RecordFailure"])
	}
	if n["Failed"].Y <= n["NotifyFailure"].Y {
		t.Error("Failed not below NotifyFailure")
	}
	if n["Validate"].Status != "caught" || n["Strip"].Status != "notrun" {
		t.Errorf("statuses: %v %v", n["Validate"].Status, n["Strip"].Status)
	}
	catch := 0
	for _, e := range g.Edges {
		if e.Catch {
			catch++
		}
	}
	if len(g.Edges) != 10 || catch != 4 {
		t.Errorf("edges %d (catch %d), want 10 (4)", len(g.Edges), catch)
	}
	assertNoOverlap(t, g)
}

func assertNoOverlap(t *testing.T, g *graph) {
	t.Helper()
	for i, a := range g.Nodes {
		if a.X < 0 || a.Y < 0 || a.X+a.W > g.Width || a.Y+a.H > g.Height {
			t.Errorf("%s outside the canvas", a.Name)
		}
		for _, b := range g.Nodes[i+1:] {
			if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
				t.Errorf("%s and %s overlap", a.Name, b.Name)
			}
		}
	}
}

func TestLayoutLoopTerminates(t *testing.T) {
	def := `{"StartAt":"Wait","States":{
	  "Wait":{"Type":"Wait","Seconds":1,"Next":"Check"},
	  "Check":{"Type":"Choice","Choices":[{"Variable":"$.done","BooleanEquals":false,"Next":"Wait"}],"Default":"End"},
	  "End":{"Type":"Succeed"},
	  "Orphan":{"Type":"Pass","End":true}}}`
	g, err := layoutGraph(def, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := nodeMap(g)
	if !(n["Wait"].Y < n["Check"].Y && n["Check"].Y < n["End"].Y) {
		t.Errorf("loop layering: %+v", n)
	}
	if _, ok := n["Orphan"]; !ok {
		t.Error("unreachable state not drawn")
	}
	// The edge back up from Check to Wait leaves Check on its right side.
	back := fmt.Sprintf("M%d %d ", n["Check"].X+n["Check"].W, n["Check"].Y+n["Check"].H/2)
	found := false
	for _, e := range g.Edges {
		found = found || strings.HasPrefix(e.Path, back)
	}
	if !found {
		t.Errorf("no back edge from Check's right side (%q) in %+v", back, g.Edges)
	}
	if len(g.Edges) != 3 {
		t.Errorf("edges %d, want 3", len(g.Edges))
	}
	assertNoOverlap(t, g)
}

func TestLayoutRejectsBrokenDefinitions(t *testing.T) {
	for _, def := range []string{`not json`, `{"StartAt":"X","States":{}}`} {
		if _, err := layoutGraph(def, nil); err == nil {
			t.Errorf("%s: no error", def)
		}
	}
}

// The project's real state machine, when the pipeline's definition is in the tree.
func TestLayoutProjectStateMachine(t *testing.T) {
	def, err := os.ReadFile("../../statemachine/sanitizer.asl.json")
	if err != nil {
		t.Skip("statemachine/sanitizer.asl.json not found")
	}
	g, err := layoutGraph(string(def), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) < 8 {
		t.Errorf("only %d states drawn", len(g.Nodes))
	}
	assertNoOverlap(t, g)
}
