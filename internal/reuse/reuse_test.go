package reuse

import "testing"

// TestListBudget: the list never holds more than its budget and
// hands out a slice large enough.
func TestListBudget(t *testing.T) {
	f := List[int16]{Budget: 1000}
	for _, n := range []int{100, 600, 300, 2000, 50, 400} {
		f.Put(make([]int16, n))
		held := 0
		for _, s := range f.free {
			held += cap(s)
		}
		if held != f.held || held > f.Budget {
			t.Fatalf("after put(%d): holds %d, counts %d, budget %d", n, held, f.held, f.Budget)
		}
	}
	for _, n := range []int{10, 350, 900, 0} {
		if s, _ := f.Get(n); len(s) != n {
			t.Fatalf("get(%d) has length %d", n, len(s))
		}
	}
	// A new slice is zero; a reused one says so.
	g := List[int16]{Budget: 100}
	s, reused := g.Get(50)
	if reused {
		t.Fatal("get from an empty list says reused")
	}
	for i := range s {
		s[i] = 7
	}
	g.Put(s)
	if s2, reused := g.Get(40); !reused || len(s2) != 40 || s2[0] != 7 {
		t.Fatalf("get after put: reused %v, length %d", reused, len(s2))
	}
	if s3, reused := g.Get(40); reused || s3[0] != 0 {
		t.Fatal("the list handed out a slice twice, or a new one not zero")
	}
}
