package iampolicy

import (
	"fmt"
	"strconv"
	"strings"
)

// wildcardMatch matches s against a pattern where * is any run of characters and ? any one character.
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchAction matches an action name case-insensitively, as IAM does.
func matchAction(pattern, action string) bool {
	return wildcardMatch(strings.ToLower(pattern), strings.ToLower(action))
}

// matchARN matches an ARN pattern the way IAM matches Resource elements and the Arn condition operators:
// each of the six colon-separated parts separately (the last part keeps its own colons); "*" alone matches
// every resource.
func matchARN(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return wildcardMatch(pattern, arn)
	}
	for i := range pp {
		if !wildcardMatch(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// operator is a condition operator reduced to its base test and modifiers.
type operator struct {
	base     string
	ifExists bool
	set      string // "", "ForAnyValue" or "ForAllValues"
}

var baseOperators = map[string]bool{
	"StringEquals": true, "StringNotEquals": true, "StringEqualsIgnoreCase": true, "StringNotEqualsIgnoreCase": true,
	"StringLike": true, "StringNotLike": true,
	"ArnEquals": true, "ArnLike": true, "ArnNotEquals": true, "ArnNotLike": true,
	"Bool": true, "Null": true,
	"NumericEquals": true, "NumericNotEquals": true, "NumericLessThan": true, "NumericLessThanEquals": true,
	"NumericGreaterThan": true, "NumericGreaterThanEquals": true,
}

func operatorFor(name string) (operator, error) {
	op := operator{base: name}
	if set, rest, ok := strings.Cut(op.base, ":"); ok {
		if set != "ForAnyValue" && set != "ForAllValues" {
			return op, fmt.Errorf("condition operator %q: unknown set operator", name)
		}
		op.set, op.base = set, rest
	}
	if strings.HasSuffix(op.base, "IfExists") && op.base != "Null" {
		op.ifExists = true
		op.base = strings.TrimSuffix(op.base, "IfExists")
	}
	if !baseOperators[op.base] {
		return op, fmt.Errorf("condition operator %q is not supported", name)
	}
	return op, nil
}

func (op operator) negated() bool {
	return strings.Contains(op.base, "Not")
}

// test compares one request value with one policy value, for a positive operator (negation is applied by
// the caller).
func (op operator) test(policy, request string) bool {
	switch strings.Replace(op.base, "Not", "", 1) {
	case "StringEquals":
		return policy == request
	case "StringEqualsIgnoreCase":
		return strings.EqualFold(policy, request)
	case "StringLike":
		return wildcardMatch(policy, request)
	case "ArnEquals", "ArnLike":
		return matchARN(policy, request)
	case "Bool":
		return strings.EqualFold(policy, request)
	case "NumericEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals":
		p, err1 := strconv.ParseFloat(policy, 64)
		r, err2 := strconv.ParseFloat(request, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		switch strings.Replace(op.base, "Not", "", 1) {
		case "NumericEquals":
			return r == p
		case "NumericLessThan":
			return r < p
		case "NumericLessThanEquals":
			return r <= p
		case "NumericGreaterThan":
			return r > p
		default:
			return r >= p
		}
	}
	return false
}

// evalCondition decides one condition against the request context (keys compared case-insensitively).
func evalCondition(c Condition, ctx map[string][]string) bool {
	op, err := operatorFor(c.Operator)
	if err != nil {
		return false // Parse rejects these; a hand-built Condition fails closed for Allow
	}
	vals, present := lookup(ctx, c.Key)
	if op.base == "Null" {
		wantAbsent := len(c.Values) > 0 && strings.EqualFold(c.Values[0], "true")
		return wantAbsent == !present
	}
	if !present {
		if op.ifExists {
			return true
		}
		if op.set == "ForAllValues" {
			return true // vacuously true for an absent (empty) set, as AWS documents
		}
		return op.negated()
	}
	anyMatch := func(rv string) bool {
		for _, pv := range c.Values {
			if op.test(pv, rv) {
				return true
			}
		}
		return false
	}
	switch op.set {
	case "ForAllValues":
		for _, rv := range vals {
			if anyMatch(rv) == op.negated() {
				return false
			}
		}
		return true
	default: // single-valued keys and ForAnyValue: one request value must match
		matched := false
		for _, rv := range vals {
			if anyMatch(rv) {
				matched = true
				break
			}
		}
		if op.negated() {
			return !matched
		}
		return matched
	}
}

func lookup(ctx map[string][]string, key string) ([]string, bool) {
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}
