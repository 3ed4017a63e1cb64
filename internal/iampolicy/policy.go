package iampolicy

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement; absent elements are nil.
type Statement struct {
	Sid          string
	Effect       string // "Allow" or "Deny"
	Principal    *Principals
	NotPrincipal *Principals
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Condition    []Condition
}

// Principals is a Principal element: "*" (All) or identifiers by type (AWS, Service, Federated, CanonicalUser).
type Principals struct {
	All bool
	IDs map[string][]string
}

// Condition is one operator/key pair of a Condition element with its values.
type Condition struct {
	Operator string
	Key      string
	Values   []string
}

type rawStatement struct {
	Sid          string                                `json:"Sid"`
	Effect       string                                `json:"Effect"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Action       stringOrList                          `json:"Action"`
	NotAction    stringOrList                          `json:"NotAction"`
	Resource     stringOrList                          `json:"Resource"`
	NotResource  stringOrList                          `json:"NotResource"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %s", b)
	}
	if many == nil {
		many = []string{}
	}
	*s = many
	return nil
}

// ParseError tells what in a policy document is malformed or outside the supported subset.
type ParseError struct {
	Sid string
	Msg string
}

func (e *ParseError) Error() string {
	if e.Sid != "" {
		return "iampolicy: statement " + e.Sid + ": " + e.Msg
	}
	return "iampolicy: " + e.Msg
}

// Parse parses a policy document (JSON). The statement list may be a single object, as in AWS.
func Parse(doc []byte) (*Policy, error) {
	var raw struct {
		Version   string          `json:"Version"`
		ID        string          `json:"Id"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, &ParseError{Msg: err.Error()}
	}
	if raw.Version != "2012-10-17" {
		return nil, &ParseError{Msg: fmt.Sprintf("Version %q: only 2012-10-17 is supported", raw.Version)}
	}
	var stmts []rawStatement
	if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
		var one rawStatement
		if err2 := json.Unmarshal(raw.Statement, &one); err2 != nil {
			return nil, &ParseError{Msg: "Statement: " + err.Error()}
		}
		stmts = []rawStatement{one}
	}
	p := &Policy{Version: raw.Version, ID: raw.ID}
	for i, rs := range stmts {
		st, err := parseStatement(rs)
		if err != nil {
			if pe, ok := err.(*ParseError); ok && pe.Sid == "" {
				pe.Sid = fmt.Sprintf("#%d", i)
			}
			return nil, err
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

// MustParse is Parse for documents known to be valid, such as test fixtures.
func MustParse(doc string) *Policy {
	p, err := Parse([]byte(doc))
	if err != nil {
		panic(err)
	}
	return p
}

func parseStatement(rs rawStatement) (Statement, error) {
	st := Statement{Sid: rs.Sid, Effect: rs.Effect, Action: rs.Action, NotAction: rs.NotAction, Resource: rs.Resource, NotResource: rs.NotResource}
	fail := func(format string, args ...any) (Statement, error) {
		return Statement{}, &ParseError{Sid: rs.Sid, Msg: fmt.Sprintf(format, args...)}
	}
	if st.Effect != "Allow" && st.Effect != "Deny" {
		return fail("Effect %q must be Allow or Deny", st.Effect)
	}
	if (st.Action == nil) == (st.NotAction == nil) {
		return fail("exactly one of Action and NotAction is required")
	}
	if st.Resource != nil && st.NotResource != nil {
		return fail("Resource and NotResource together")
	}
	if len(rs.Principal) > 0 && len(rs.NotPrincipal) > 0 {
		return fail("Principal and NotPrincipal together")
	}
	for _, list := range [][]string{st.Action, st.NotAction} {
		for _, a := range list {
			if a != "*" && !strings.Contains(a, ":") {
				return fail("action %q has no service prefix", a)
			}
		}
	}
	for _, list := range [][]string{st.Resource, st.NotResource} {
		for _, r := range list {
			if strings.Contains(r, "${") {
				return fail("resource %q uses a policy variable, which is not supported", r)
			}
		}
	}
	var err error
	if st.Principal, err = parsePrincipals(rs.Principal); err != nil {
		return fail("Principal: %v", err)
	}
	if st.NotPrincipal, err = parsePrincipals(rs.NotPrincipal); err != nil {
		return fail("NotPrincipal: %v", err)
	}
	ops := make([]string, 0, len(rs.Condition))
	for op := range rs.Condition {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		if _, err := operatorFor(op); err != nil {
			return fail("%v", err)
		}
		keys := make([]string, 0, len(rs.Condition[op]))
		for k := range rs.Condition[op] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			vals, err := conditionValues(rs.Condition[op][k])
			if err != nil {
				return fail("Condition %s %s: %v", op, k, err)
			}
			for _, v := range vals {
				if strings.Contains(v, "${") {
					return fail("Condition %s %s: policy variables are not supported", op, k)
				}
			}
			st.Condition = append(st.Condition, Condition{Operator: op, Key: k, Values: vals})
		}
	}
	return st, nil
}

func parsePrincipals(raw json.RawMessage) (*Principals, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		if star != "*" {
			return nil, fmt.Errorf("a string principal must be \"*\", got %q", star)
		}
		return &Principals{All: true}, nil
	}
	var m map[string]stringOrList
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	p := &Principals{IDs: map[string][]string{}}
	for typ, ids := range m {
		switch typ {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			return nil, fmt.Errorf("unknown principal type %q", typ)
		}
		p.IDs[typ] = ids
	}
	return p, nil
}

// conditionValues accepts a string, bool or number, or a list of them, as AWS does.
func conditionValues(raw json.RawMessage) ([]string, error) {
	var list []any
	if err := json.Unmarshal(raw, &list); err != nil {
		var one any
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, err
		}
		list = []any{one}
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case bool:
			out = append(out, fmt.Sprint(v))
		case float64:
			out = append(out, fmt.Sprint(v))
		default:
			return nil, fmt.Errorf("unsupported value %v", v)
		}
	}
	return out, nil
}
