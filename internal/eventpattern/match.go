package eventpattern

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
)

// Match reports whether the JSON event matches the pattern. The error is non-nil
// only when the event is not a JSON object.
func (p *Pattern) Match(event []byte) (bool, error) {
	v, err := decode(event)
	if err != nil {
		return false, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false, &InvalidEventError{Reason: "event is not a JSON object"}
	}
	return p.root.match(m), nil
}

// MatchValue matches an already decoded event (numbers as json.Number or float64).
func (p *Pattern) MatchValue(event map[string]any) bool { return p.root.match(event) }

// InvalidEventError reports an event that cannot be matched (not JSON, not an object).
type InvalidEventError struct{ Reason string }

func (e *InvalidEventError) Error() string { return "Event is not valid. Reason: " + e.Reason }

// match tests an object level against an event object; ev is nil when the
// whole subtree is absent from the event.
func (o *object) match(ev map[string]any) bool {
	for _, f := range o.fields {
		v, present := ev[f.name]
		if f.obj != nil {
			if !f.obj.matchValue(v, present) {
				return false
			}
			continue
		}
		var vals []any
		if present {
			vals = leaves(v, nil)
		}
		if !matchLeaf(f.leaf, vals) {
			return false
		}
	}
	for _, group := range o.ors {
		ok := false
		for _, alt := range group {
			if alt.match(ev) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchValue matches a nested pattern object against whatever the event holds
// at that name: an object, an array (any object element may match), or nothing
// object-shaped (its leaves are then absent).
func (o *object) matchValue(v any, present bool) bool {
	if !present {
		return o.match(nil)
	}
	objs := objects(v, nil)
	if len(objs) == 0 {
		return o.match(nil)
	}
	for _, m := range objs {
		if o.match(m) {
			return true
		}
	}
	return false
}

func objects(v any, out []map[string]any) []map[string]any {
	switch v := v.(type) {
	case map[string]any:
		out = append(out, v)
	case []any:
		for _, e := range v {
			out = objects(e, out)
		}
	}
	return out
}

// leaves flattens arrays into their scalar elements; objects are not leaves.
func leaves(v any, out []any) []any {
	switch v := v.(type) {
	case map[string]any:
	case []any:
		for _, e := range v {
			out = leaves(e, out)
		}
	default:
		out = append(out, v)
	}
	return out
}

func matchLeaf(ms []matcher, vals []any) bool {
	for _, m := range ms {
		if e, ok := m.(exists); ok {
			if bool(e) == (len(vals) > 0) {
				return true
			}
			continue
		}
		for _, v := range vals {
			if m.match(v) {
				return true
			}
		}
	}
	return false
}

// exact matches a string, boolean or null literally.
type exact struct{ v any }

func (e exact) match(v any) bool { return v == e.v }

// number matches a JSON number by value (5 equals 5.0) or by its exact text
// (numbers too large for a float, such as account IDs).
type number struct {
	text string
	f    float64
}

func (n number) match(v any) bool {
	f, text, ok := asNumber(v)
	return ok && (text == n.text || f == n.f)
}

func asNumber(v any) (float64, string, bool) {
	switch v := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		return f, string(v), err == nil
	case float64:
		return v, strconv.FormatFloat(v, 'g', -1, 64), true
	}
	return 0, "", false
}

type affix struct {
	suffix bool
	fold   bool
	s      string
}

func (a affix) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if a.fold {
		s = fold(s)
	}
	if a.suffix {
		return strings.HasSuffix(s, a.s)
	}
	return strings.HasPrefix(s, a.s)
}

type equalsFold struct{ s string }

func (e equalsFold) match(v any) bool {
	s, ok := v.(string)
	return ok && fold(s) == e.s
}

// wildcard holds the literal segments between stars: segs[0] is a required
// prefix, the last a required suffix, the rest must appear in order between.
type wildcard struct{ segs []string }

func (w wildcard) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if len(w.segs) == 1 {
		return s == w.segs[0]
	}
	first, last := w.segs[0], w.segs[len(w.segs)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	rest := s[len(first) : len(s)-len(last)]
	for _, seg := range w.segs[1 : len(w.segs)-1] {
		i := strings.Index(rest, seg)
		if i < 0 {
			return false
		}
		rest = rest[i+len(seg):]
	}
	return true
}

type numeric struct {
	eq             bool
	hasLo, hasHi   bool
	loOpen, hiOpen bool
	lo, hi         float64
}

func (r numeric) match(v any) bool {
	f, _, ok := asNumber(v)
	if !ok {
		return false
	}
	if r.hasLo && (f < r.lo || (r.loOpen && f == r.lo)) {
		return false
	}
	if r.hasHi && (f > r.hi || (r.hiOpen && f == r.hi)) {
		return false
	}
	return true
}

type cidr struct{ p netip.Prefix }

func (c cidr) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	return c.p.Contains(a.Unmap())
}

// exists is handled by matchLeaf, which sees whether any leaf value is present.
type exists bool

func (exists) match(any) bool { return false }

// not is anything-but: a present value the inner matcher rejects.
type not struct{ m matcher }

func (n not) match(v any) bool { return !n.m.match(v) }

type anyOf []matcher

func (a anyOf) match(v any) bool {
	for _, m := range a {
		if m.match(v) {
			return true
		}
	}
	return false
}
