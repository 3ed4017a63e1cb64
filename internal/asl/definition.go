package asl

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// StateMachine is a parsed, validated definition. It is immutable: executions
// keep their own per-run state (retry counters, variables), so one
// StateMachine can run any number of executions at once.
type StateMachine struct {
	Comment        string
	TimeoutSeconds int64
	top            *machine
	source         []byte
	arn            string
	role           string
	// order holds the definition's member orders (payload templates, Pass
	// Results) when the definition can show them (orderSensitive).
	order *memberOrder
}

// Definition returns the definition text the machine was parsed from.
func (sm *StateMachine) Definition() []byte { return sm.source }

// StateNames lists the top-level state names, sorted.
func (sm *StateMachine) StateNames() []string { return append([]string(nil), sm.top.names...) }

// machine is a set of states with a start: the top level, a Parallel branch
// or a Map's ItemProcessor.
type machine struct {
	startAt string
	start   *State
	states  map[string]*State
	names   []string
}

// State is one parsed state. Fields not used by its Type stay zero.
type State struct {
	Name    string
	Type    string
	Comment string
	// jsonata: the state uses the JSONata query language (Arguments,
	// Output, Assign, {% %} values) instead of JSONPath.
	jsonata bool

	enteredEvent, exitedEvent string

	next   string
	nextSt *State
	end    bool

	inputPath, outputPath         *path
	inputPathNull, outputPathNull bool
	parameters, resultSelector    *template
	resultPath                    *path
	resultPathNull                bool
	result                        any
	hasResult                     bool
	assign                        *template
	output                        *template // JSONata Output
	retry                         []*retrier
	catch                         []*catcher

	// Task
	resource                                 string
	timeoutSeconds, heartbeatSeconds         int64
	timeoutSecondsPath, heartbeatSecondsPath *path
	timeoutExpr, heartbeatExpr               *jexpr // JSONata

	// Choice
	choices   []*choiceRule
	defaultTo string
	defaultSt *State

	// Wait
	seconds       int64
	hasSeconds    bool
	timestamp     time.Time
	hasTimestamp  bool
	secondsPath   *path
	timestampPath *path
	secondsExpr   *jexpr // JSONata
	timestampExpr *jexpr

	// Fail
	errorName, cause     string
	hasError, hasCause   bool
	errorPath, causePath tnode

	// Parallel
	branches []*machine

	// Map
	itemsPath          *path
	itemSelector       *template
	iterator           *machine
	maxConcurrency     int64
	maxConcurrencyPath *path
	items              *template // JSONata Items
	maxConcurrencyExpr *jexpr
}

type retrier struct {
	errorEquals     []string
	intervalSeconds int64
	maxAttempts     int64
	backoffRate     float64
	maxDelaySeconds int64
	jitterFull      bool
}

type catcher struct {
	errorEquals    []string
	next           string
	nextSt         *State
	resultPath     *path
	resultPathNull bool
	assign         *template
	output         *template // JSONata Output
}

// diagnostics collects validation problems.
type diagnostics struct{ list []Diagnostic }

func (d *diagnostics) add(code, loc, format string, args ...any) {
	if loc == "" {
		loc = "/"
	}
	d.list = append(d.list, Diagnostic{Severity: severityError, Code: code, Message: fmt.Sprintf(format, args...), Location: loc})
}

// Parse parses and validates a definition. A definition AWS would refuse
// returns a *ValidationError listing every problem found.
func Parse(definition []byte) (*StateMachine, error) {
	d := &diagnostics{}
	raw, err := parseJSON(definition)
	if err != nil {
		d.add(CodeInvalidJSON, "/", "The definition is not valid JSON: %v", err)
		return nil, &ValidationError{Diagnostics: d.list}
	}
	top, ok := raw.(map[string]any)
	if !ok {
		d.add(CodeSchema, "/", "The definition must be a JSON object")
		return nil, &ValidationError{Diagnostics: d.list}
	}
	sm := &StateMachine{source: append([]byte(nil), definition...)}
	if orderSensitive(definition) {
		sm.order = newMemberOrder()
		sm.order.recordJSON(definition, raw)
	}
	checkFields(top, "", "state machine", d, "StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage")
	if c, ok := top["Comment"].(string); ok {
		sm.Comment = c
	}
	if v, ok := top["Version"]; ok {
		if s, ok := v.(string); !ok || s != "1.0" {
			d.add(CodeSchema, "/Version", "The field 'Version' must be \"1.0\"")
		}
	}
	if v, ok := top["TimeoutSeconds"]; ok {
		sm.TimeoutSeconds = atMostSeconds(positiveInt(v, "/TimeoutSeconds", "TimeoutSeconds", d), "/TimeoutSeconds", "TimeoutSeconds", d)
	}
	p := &parser{d: d, names: map[string]string{}, topJSONata: top["QueryLanguage"] == "JSONata"}
	sm.top = p.machine(top, "", false)
	if len(d.list) > 0 {
		return nil, &ValidationError{Diagnostics: d.list}
	}
	return sm, nil
}

type parser struct {
	d     *diagnostics
	names map[string]string // every state name in the definition -> its location
	// topJSONata: the top-level QueryLanguage is JSONata, which every state
	// without its own QueryLanguage inherits.
	topJSONata bool
}

func checkFields(m map[string]any, loc, what string, d *diagnostics, allowed ...string) {
	for k := range m {
		found := false
		for _, a := range allowed {
			if k == a {
				found = true
				break
			}
		}
		if !found {
			d.add(CodeSchema, loc+"/"+pointerEscape(k), "The field '%s' is not supported by %s", k, what)
		}
	}
}

// queryLanguage reports whether m (a state machine, branch, processor or
// state) uses JSONata: its own QueryLanguage, else inherited. A JSONPath
// state machine may hold JSONata states, never the reverse
// (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html).
func queryLanguage(m map[string]any, loc string, inherited bool, d *diagnostics) bool {
	v, ok := m["QueryLanguage"]
	if !ok {
		return inherited
	}
	switch v {
	case "JSONPath":
		if inherited {
			d.add(CodeSchema, loc+"/QueryLanguage", "The QueryLanguage JSONPath cannot be used under the top-level QueryLanguage JSONata; only a JSONPath state machine can mix query languages")
		}
		return false
	case "JSONata":
		return true
	}
	d.add(CodeSchema, loc+"/QueryLanguage", "The field 'QueryLanguage' must be JSONPath or JSONata")
	return inherited
}

func sortedKeys(m map[string]any) []string { return appendSortedKeys(make([]string, 0, len(m)), m) }

// appendSortedKeys appends m's keys to keys, sorted (callers pass a small
// array's slice, so an encoder need not allocate for most objects).
func appendSortedKeys(keys []string, m map[string]any) []string {
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// machine parses a set of states; inherited is the query language of the
// level above (false at the top).
func (p *parser) machine(m map[string]any, loc string, inherited bool) *machine {
	mc := &machine{}
	lang := queryLanguage(m, loc, inherited, p.d)
	start, ok := m["StartAt"].(string)
	if !ok {
		p.d.add(CodeSchema, orRoot(loc), "These fields are required: [StartAt]")
	}
	mc.startAt = start
	states, ok := m["States"].(map[string]any)
	if !ok {
		p.d.add(CodeSchema, orRoot(loc), "These fields are required: [States]")
		return mc
	}
	if len(states) == 0 {
		p.d.add(CodeSchema, loc+"/States", "The field 'States' must contain at least one state")
	}
	mc.states = make(map[string]*State, len(states))
	mc.names = sortedKeys(states)
	for _, name := range mc.names {
		sloc := loc + "/States/" + pointerEscape(name)
		if prev, dup := p.names[name]; dup {
			p.d.add(CodeDuplicateState, sloc, "Duplicate State name: %s (also at %s)", name, prev)
		}
		p.names[name] = sloc
		if len(name) > 80 {
			p.d.add(CodeSchema, sloc, "State names must be at most 80 characters")
		}
		sv, ok := states[name].(map[string]any)
		if !ok {
			p.d.add(CodeSchema, sloc, "A state must be a JSON object")
			continue
		}
		st := p.state(name, sv, sloc, lang)
		if st != nil {
			mc.states[name] = st
		}
	}
	p.link(mc, loc)
	return mc
}

func orRoot(loc string) string {
	if loc == "" {
		return "/"
	}
	return loc
}

// link resolves transitions to state pointers and reports missing targets and
// unreachable states.
func (p *parser) link(mc *machine, loc string) {
	target := func(name, at, field string) *State {
		st, ok := mc.states[name]
		if !ok {
			p.d.add(CodeMissingTarget, at, "Missing '%s' target: %s", field, name)
		}
		return st
	}
	if mc.startAt != "" || len(mc.states) > 0 {
		if st, ok := mc.states[mc.startAt]; ok {
			mc.start = st
		} else {
			p.d.add(CodeMissingTarget, loc+"/StartAt", "Missing 'StartAt' target: %s", mc.startAt)
		}
	}
	for _, name := range mc.names {
		st := mc.states[name]
		if st == nil {
			continue
		}
		sloc := loc + "/States/" + pointerEscape(name)
		if st.next != "" {
			st.nextSt = target(st.next, sloc+"/Next", "Next")
		}
		if st.defaultTo != "" {
			st.defaultSt = target(st.defaultTo, sloc+"/Default", "Default")
		}
		for i, r := range st.choices {
			if r != nil && r.next != "" {
				r.nextSt = target(r.next, fmt.Sprintf("%s/Choices/%d/Next", sloc, i), "Next")
			}
		}
		for i, c := range st.catch {
			if c.next != "" {
				c.nextSt = target(c.next, fmt.Sprintf("%s/Catch/%d/Next", sloc, i), "Next")
			}
		}
	}
	if mc.start == nil {
		return
	}
	seen := map[*State]bool{}
	stack := []*State{mc.start}
	for len(stack) > 0 {
		st := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if st == nil || seen[st] {
			continue
		}
		seen[st] = true
		stack = append(stack, st.nextSt, st.defaultSt)
		for _, r := range st.choices {
			if r != nil {
				stack = append(stack, r.nextSt)
			}
		}
		for _, c := range st.catch {
			stack = append(stack, c.nextSt)
		}
	}
	for _, name := range mc.names {
		if st := mc.states[name]; st != nil && !seen[st] {
			p.d.add(CodeMissingTarget, loc+"/States/"+pointerEscape(name), "State \"%s\" is not reachable.", name)
		}
	}
}

var stateFields = map[string][]string{
	"Pass":     {"Next", "End", "InputPath", "OutputPath", "Parameters", "ResultPath", "Result", "Assign"},
	"Task":     {"Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Assign"},
	"Choice":   {"InputPath", "OutputPath", "Choices", "Default", "Assign"},
	"Wait":     {"Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign"},
	"Succeed":  {"InputPath", "OutputPath"},
	"Fail":     {"Error", "ErrorPath", "Cause", "CausePath"},
	"Parallel": {"Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "Branches", "Assign"},
	"Map": {"Next", "End", "InputPath", "OutputPath", "Parameters", "ItemSelector", "ResultSelector", "ResultPath", "Retry", "Catch",
		"Iterator", "ItemProcessor", "ItemsPath", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount",
		"ToleratedFailurePercentage", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath", "ItemReader",
		"ResultWriter", "ItemBatcher", "Label", "Assign"},
}

// jsonPathFields are the fields JSONata states refuse: Arguments, Output,
// Items and {% %} values do their work there.
var jsonPathFields = []string{"InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Result",
	"TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath", "ErrorPath", "CausePath",
	"ItemsPath", "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath"}

// jsonataFields are the fields only JSONata states have, by state type.
var jsonataFields = map[string][]string{
	"Pass": {"Output"}, "Task": {"Arguments", "Output"}, "Choice": {"Output"}, "Wait": {"Output"},
	"Succeed": {"Output"}, "Parallel": {"Arguments", "Output"}, "Map": {"Items", "Output"},
}

func (p *parser) state(name string, m map[string]any, loc string, lang bool) *State {
	d := p.d
	st := &State{Name: name}
	typ, ok := m["Type"].(string)
	if !ok {
		d.add(CodeSchema, loc, "These fields are required: [Type]")
		return nil
	}
	fields, known := stateFields[typ]
	if !known {
		d.add(CodeSchema, loc+"/Type", "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]")
		return nil
	}
	st.Type = typ
	st.enteredEvent, st.exitedEvent = typ+"StateEntered", typ+"StateExited"
	st.jsonata = queryLanguage(m, loc, lang, d)
	allowed := append([]string{"Type", "Comment", "QueryLanguage"}, fields...)
	if st.jsonata {
		allowed = append(allowed, jsonataFields[typ]...)
		for _, f := range jsonPathFields {
			if _, ok := m[f]; ok && has(fields, f) {
				d.add(CodeSchema, loc+"/"+f, "The field '%s' is only supported with the JSONPath query language", f)
			}
		}
	}
	checkFields(m, loc, "state type '"+typ+"'", d, allowed...)
	for _, jsonata := range []string{"Arguments", "Output", "Items"} {
		if _, ok := m[jsonata]; ok && !st.jsonata {
			d.add(CodeSchema, loc+"/"+jsonata, "The field '%s' is only supported with the JSONata query language", jsonata)
		}
	}
	if c, ok := m["Comment"].(string); ok {
		st.Comment = c
	}

	// Transitions.
	if has(fields, "End") {
		next, hasNext := m["Next"]
		end, hasEnd := m["End"]
		switch {
		case hasNext && hasEnd:
			d.add(CodeSchema, loc, "The fields 'Next' and 'End' are mutually exclusive")
		case hasNext:
			if s, ok := next.(string); ok && s != "" {
				st.next = s
			} else {
				d.add(CodeSchema, loc+"/Next", "The field 'Next' must be a state name")
			}
		case hasEnd:
			if b, ok := end.(bool); !ok || !b {
				d.add(CodeSchema, loc+"/End", "The field 'End' must be true")
			}
			st.end = true
		default:
			d.add(CodeSchema, loc, "These fields are required: [Next or End]")
		}
	}

	// Input and output processing.
	if st.jsonata {
		p.jsonataData(st, m, loc)
	} else {
		p.jsonPathData(st, m, loc, fields)
	}
	if has(fields, "Retry") {
		st.retry = p.retriers(m["Retry"], loc+"/Retry", m["Retry"] != nil)
		st.catch = p.catchers(m["Catch"], loc+"/Catch", m["Catch"] != nil, st.jsonata)
	}

	switch typ {
	case "Task":
		p.task(st, m, loc)
	case "Choice":
		p.choice(st, m, loc)
	case "Wait":
		p.wait(st, m, loc)
	case "Fail":
		p.fail(st, m, loc)
	case "Parallel":
		list, ok := m["Branches"].([]any)
		if !ok || len(list) == 0 {
			d.add(CodeSchema, loc+"/Branches", "The field 'Branches' must be a non-empty array")
		}
		for i, b := range list {
			bloc := fmt.Sprintf("%s/Branches/%d", loc, i)
			bm, ok := b.(map[string]any)
			if !ok {
				d.add(CodeSchema, bloc, "A branch must be an object")
				continue
			}
			checkFields(bm, bloc, "Parallel branches", d, "StartAt", "States", "Comment", "QueryLanguage")
			st.branches = append(st.branches, p.machine(bm, bloc, p.topJSONata))
		}
	case "Map":
		p.mapState(st, m, loc)
	}
	return st
}

// jsonataData compiles a JSONata state's Arguments, Output and Assign.
func (p *parser) jsonataData(st *State, m map[string]any, loc string) {
	if v, ok := m["Arguments"]; ok && has(jsonataFields[st.Type], "Arguments") {
		st.parameters = compileJSONata(v, "Arguments", loc+"/Arguments", p.d)
	}
	if v, ok := m["Output"]; ok && has(jsonataFields[st.Type], "Output") {
		st.output = compileJSONata(v, "Output", loc+"/Output", p.d)
	}
	if v, ok := m["Assign"]; ok {
		st.assign = compileJSONataAssign(v, loc+"/Assign", p.d)
	}
}

// jsonPathData compiles a JSONPath state's paths and payload templates.
func (p *parser) jsonPathData(st *State, m map[string]any, loc string, fields []string) {
	d := p.d
	st.inputPath, st.inputPathNull = p.optPath(m, "InputPath", loc, false)
	st.outputPath, st.outputPathNull = p.optPath(m, "OutputPath", loc, false)
	if has(fields, "ResultPath") {
		st.resultPath, st.resultPathNull = p.optPath(m, "ResultPath", loc, true)
	}
	if v, ok := m["Parameters"]; ok {
		st.parameters = compileTemplate(v, loc+"/Parameters", d)
	}
	if v, ok := m["ResultSelector"]; ok {
		if _, isObj := v.(map[string]any); !isObj {
			d.add(CodeSchema, loc+"/ResultSelector", "The field 'ResultSelector' must be an object")
		}
		st.resultSelector = compileTemplate(v, loc+"/ResultSelector", d)
	}
	if v, ok := m["Result"]; ok {
		st.result, st.hasResult = v, true
	}
	if v, ok := m["Assign"]; ok {
		st.assign = compileAssign(v, loc+"/Assign", d)
	}
}

// exprField compiles v when it is a {% %} string in a JSONata state: there,
// the fields that take a number or a timestamp take an expression instead.
func (p *parser) exprField(st *State, v any, field, loc string) (*jexpr, bool) {
	s, ok := v.(string)
	if !st.jsonata || !ok || !isJSONataExpr(s) {
		return nil, false
	}
	return compileExpr(s, field, loc, p.d), true
}

func has(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// optPath reads an optional path field; null is allowed and reported.
func (p *parser) optPath(m map[string]any, field, loc string, reference bool) (*path, bool) {
	v, ok := m[field]
	if !ok {
		return nil, false
	}
	if v == nil {
		return nil, true
	}
	s, ok := v.(string)
	if !ok {
		p.d.add(CodeSchema, loc+"/"+field, "The field '%s' must be a JSONPath string or null", field)
		return nil, false
	}
	pt, err := compilePath(s, reference)
	if err != nil {
		p.d.add(CodeSchema, loc+"/"+field, "The field '%s' is invalid: %v", field, err)
		return nil, false
	}
	if reference && pt.source != fromInput {
		p.d.add(CodeSchema, loc+"/"+field, "The field '%s' must be a reference path into the state's data ($...)", field)
	}
	return pt, false
}

// reqPath reads a path field that, when present, must be a string path.
func (p *parser) reqPath(m map[string]any, field, loc string) *path {
	v, ok := m[field]
	if !ok {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		p.d.add(CodeSchema, loc+"/"+field, "The field '%s' must be a JSONPath string", field)
		return nil
	}
	pt, err := compilePath(s, true)
	if err != nil {
		p.d.add(CodeSchema, loc+"/"+field, "The field '%s' is invalid: %v", field, err)
		return nil
	}
	return pt
}

func compileAssign(v any, loc string, d *diagnostics) *template {
	m, ok := v.(map[string]any)
	if !ok {
		d.add(CodeSchema, loc, "The field 'Assign' must be an object")
		return nil
	}
	for k := range m {
		name := strings.TrimSuffix(k, ".$")
		if !validVariableName(name) {
			d.add(CodeSchema, loc+"/"+pointerEscape(k), "'%s' is not a valid variable name", name)
		}
	}
	return compileTemplate(m, loc, d)
}

func positiveInt(v any, loc, field string, d *diagnostics) int64 {
	i, ok := v.(int64)
	if !ok || i <= 0 {
		d.add(CodeSchema, loc, "The field '%s' must be a positive integer", field)
		return 0
	}
	return i
}

// atMostSeconds refuses a number of seconds above maxSeconds: beyond about
// 9.2e9 it would overflow a time.Duration and mean no wait or timeout at all.
func atMostSeconds(i int64, loc, field string, d *diagnostics) int64 {
	if i > maxSeconds {
		d.add(CodeSchema, loc, "The field '%s' must be at most %d", field, maxSeconds)
		return 0
	}
	return i
}

func nonNegativeInt(v any, loc, field string, d *diagnostics) int64 {
	i, ok := v.(int64)
	if !ok || i < 0 {
		d.add(CodeSchema, loc, "The field '%s' must be a non-negative integer", field)
		return 0
	}
	return i
}

func (p *parser) errorList(v any, loc string) []string {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		p.d.add(CodeSchema, loc, "The field 'ErrorEquals' must be a non-empty array of error names")
		return nil
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok || s == "" {
			p.d.add(CodeSchema, fmt.Sprintf("%s/%d", loc, i), "Error names must be non-empty strings")
			continue
		}
		if strings.HasPrefix(s, "States.") && !knownErrors[s] {
			p.d.add(CodeSchema, fmt.Sprintf("%s/%d", loc, i), "'%s' is not a predefined error name; names starting with 'States.' are reserved", s)
		}
		if s == ErrAll && len(list) > 1 {
			p.d.add(CodeSchema, loc, "States.ALL must be the only element in ErrorEquals")
		}
		out = append(out, s)
	}
	return out
}

var knownErrors = map[string]bool{
	ErrAll: true, ErrRuntime: true, ErrTaskFailed: true, ErrTimeout: true, ErrHeartbeatTimeout: true,
	ErrNoChoiceMatched: true, ErrIntrinsicFailure: true, ErrResultPathMatchFailure: true,
	ErrParameterPathFailure: true, ErrBranchFailed: true, ErrPermissions: true, ErrDataLimitExceeded: true,
	ErrItemReaderFailed: true, ErrExceedToleratedFailure: true, ErrQueryEvaluationError: true,
	ErrResultWriterFailed: true,
}

func (p *parser) retriers(v any, loc string, present bool) []*retrier {
	if !present {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		p.d.add(CodeSchema, loc, "The field 'Retry' must be an array")
		return nil
	}
	var out []*retrier
	for i, e := range list {
		rloc := fmt.Sprintf("%s/%d", loc, i)
		m, ok := e.(map[string]any)
		if !ok {
			p.d.add(CodeSchema, rloc, "A Retrier must be an object")
			continue
		}
		checkFields(m, rloc, "Retriers", p.d, "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment")
		r := &retrier{intervalSeconds: 1, maxAttempts: 3, backoffRate: 2}
		r.errorEquals = p.errorList(m["ErrorEquals"], rloc+"/ErrorEquals")
		if has(r.errorEquals, ErrAll) && i != len(list)-1 {
			p.d.add(CodeSchema, rloc+"/ErrorEquals", "A Retrier with States.ALL must be the last Retrier")
		}
		if v, ok := m["IntervalSeconds"]; ok {
			r.intervalSeconds = positiveInt(v, rloc+"/IntervalSeconds", "IntervalSeconds", p.d)
			if r.intervalSeconds > 99999999 {
				p.d.add(CodeSchema, rloc+"/IntervalSeconds", "The field 'IntervalSeconds' must be at most 99999999")
			}
		}
		if v, ok := m["MaxAttempts"]; ok {
			r.maxAttempts = nonNegativeInt(v, rloc+"/MaxAttempts", "MaxAttempts", p.d)
			if r.maxAttempts > 99999999 {
				p.d.add(CodeSchema, rloc+"/MaxAttempts", "The field 'MaxAttempts' must be at most 99999999")
			}
		}
		if v, ok := m["BackoffRate"]; ok {
			f, ok := number(v)
			if !ok || f < 1 {
				p.d.add(CodeSchema, rloc+"/BackoffRate", "The field 'BackoffRate' must be a number greater than or equal to 1.0")
			}
			r.backoffRate = f
		}
		if v, ok := m["MaxDelaySeconds"]; ok {
			r.maxDelaySeconds = positiveInt(v, rloc+"/MaxDelaySeconds", "MaxDelaySeconds", p.d)
			// AWS takes 0 < MaxDelaySeconds < 31622401 (a leap year).
			if r.maxDelaySeconds > 31622400 {
				p.d.add(CodeSchema, rloc+"/MaxDelaySeconds", "The field 'MaxDelaySeconds' must be at most 31622400")
			}
		}
		if v, ok := m["JitterStrategy"]; ok {
			switch v {
			case "FULL":
				r.jitterFull = true
			case "NONE":
			default:
				p.d.add(CodeSchema, rloc+"/JitterStrategy", "The field 'JitterStrategy' must be FULL or NONE")
			}
		}
		out = append(out, r)
	}
	return out
}

func (p *parser) catchers(v any, loc string, present, jsonata bool) []*catcher {
	if !present {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		p.d.add(CodeSchema, loc, "The field 'Catch' must be an array")
		return nil
	}
	var out []*catcher
	for i, e := range list {
		cloc := fmt.Sprintf("%s/%d", loc, i)
		m, ok := e.(map[string]any)
		if !ok {
			p.d.add(CodeSchema, cloc, "A Catcher must be an object")
			continue
		}
		c := &catcher{}
		if jsonata {
			checkFields(m, cloc, "Catchers", p.d, "ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment")
			if _, ok := m["ResultPath"]; ok {
				p.d.add(CodeSchema, cloc+"/ResultPath", "The field 'ResultPath' is only supported with the JSONPath query language")
			}
		} else {
			checkFields(m, cloc, "Catchers", p.d, "ErrorEquals", "Next", "ResultPath", "Assign", "Comment")
		}
		c.errorEquals = p.errorList(m["ErrorEquals"], cloc+"/ErrorEquals")
		if has(c.errorEquals, ErrAll) && i != len(list)-1 {
			p.d.add(CodeSchema, cloc+"/ErrorEquals", "A Catcher with States.ALL must be the last Catcher")
		}
		if n, ok := m["Next"].(string); ok && n != "" {
			c.next = n
		} else {
			p.d.add(CodeSchema, cloc, "These fields are required: [Next]")
		}
		switch {
		case jsonata:
			if v, ok := m["Output"]; ok {
				c.output = compileJSONata(v, "Output", cloc+"/Output", p.d)
			}
			if v, ok := m["Assign"]; ok {
				c.assign = compileJSONataAssign(v, cloc+"/Assign", p.d)
			}
		default:
			c.resultPath, c.resultPathNull = p.optPath(m, "ResultPath", cloc, true)
			if v, ok := m["Assign"]; ok {
				c.assign = compileAssign(v, cloc+"/Assign", p.d)
			}
		}
		out = append(out, c)
	}
	return out
}

func (p *parser) task(st *State, m map[string]any, loc string) {
	d := p.d
	res, ok := m["Resource"].(string)
	if !ok || res == "" {
		d.add(CodeSchema, loc, "These fields are required: [Resource]")
	} else if !strings.HasPrefix(res, "arn:") {
		d.add(CodeSchema, loc+"/Resource", "The field 'Resource' must be an ARN, got %q", res)
	}
	st.resource = res
	if v, ok := m["TimeoutSeconds"]; ok {
		var isExpr bool
		if st.timeoutExpr, isExpr = p.exprField(st, v, "TimeoutSeconds", loc+"/TimeoutSeconds"); !isExpr {
			st.timeoutSeconds = atMostSeconds(positiveInt(v, loc+"/TimeoutSeconds", "TimeoutSeconds", d), loc+"/TimeoutSeconds", "TimeoutSeconds", d)
		}
	}
	if v, ok := m["HeartbeatSeconds"]; ok {
		var isExpr bool
		if st.heartbeatExpr, isExpr = p.exprField(st, v, "HeartbeatSeconds", loc+"/HeartbeatSeconds"); !isExpr {
			st.heartbeatSeconds = atMostSeconds(positiveInt(v, loc+"/HeartbeatSeconds", "HeartbeatSeconds", d), loc+"/HeartbeatSeconds", "HeartbeatSeconds", d)
		}
	}
	st.timeoutSecondsPath = p.reqPath(m, "TimeoutSecondsPath", loc)
	st.heartbeatSecondsPath = p.reqPath(m, "HeartbeatSecondsPath", loc)
	if st.timeoutSeconds > 0 && st.timeoutSecondsPath != nil {
		d.add(CodeSchema, loc, "The fields 'TimeoutSeconds' and 'TimeoutSecondsPath' are mutually exclusive")
	}
	if st.heartbeatSeconds > 0 && st.heartbeatSecondsPath != nil {
		d.add(CodeSchema, loc, "The fields 'HeartbeatSeconds' and 'HeartbeatSecondsPath' are mutually exclusive")
	}
	if st.heartbeatSeconds > 0 && st.timeoutSeconds > 0 && st.heartbeatSeconds >= st.timeoutSeconds {
		d.add(CodeSchema, loc+"/HeartbeatSeconds", "The field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'")
	}
}

func (p *parser) choice(st *State, m map[string]any, loc string) {
	list, ok := m["Choices"].([]any)
	if !ok || len(list) == 0 {
		p.d.add(CodeSchema, loc+"/Choices", "The field 'Choices' must be a non-empty array")
	}
	for i, r := range list {
		rloc := fmt.Sprintf("%s/Choices/%d", loc, i)
		if st.jsonata {
			st.choices = append(st.choices, compileCondition(r, rloc, p.d))
		} else {
			st.choices = append(st.choices, compileRule(r, rloc, true, p.d))
		}
	}
	if v, ok := m["Default"]; ok {
		s, ok := v.(string)
		if !ok || s == "" {
			p.d.add(CodeSchema, loc+"/Default", "The field 'Default' must be a state name")
		}
		st.defaultTo = s
	}
}

func (p *parser) wait(st *State, m map[string]any, loc string) {
	n := 0
	if v, ok := m["Seconds"]; ok {
		n++
		var isExpr bool
		if st.secondsExpr, isExpr = p.exprField(st, v, "Seconds", loc+"/Seconds"); !isExpr {
			st.seconds = atMostSeconds(nonNegativeInt(v, loc+"/Seconds", "Seconds", p.d), loc+"/Seconds", "Seconds", p.d)
			st.hasSeconds = true
		}
	}
	if v, ok := m["Timestamp"]; ok {
		n++
		var isExpr bool
		if st.timestampExpr, isExpr = p.exprField(st, v, "Timestamp", loc+"/Timestamp"); !isExpr {
			s, _ := v.(string)
			t, ok := parseTimestamp(s)
			if !ok {
				p.d.add(CodeSchema, loc+"/Timestamp", "The field 'Timestamp' must be an RFC 3339 timestamp")
			}
			st.timestamp, st.hasTimestamp = t, true
		}
	}
	if _, ok := m["SecondsPath"]; ok {
		n++
		st.secondsPath = p.reqPath(m, "SecondsPath", loc)
	}
	if _, ok := m["TimestampPath"]; ok {
		n++
		st.timestampPath = p.reqPath(m, "TimestampPath", loc)
	}
	if n != 1 {
		p.d.add(CodeSchema, loc, "A Wait state must have exactly one of Seconds, Timestamp, SecondsPath and TimestampPath")
	}
}

func (p *parser) fail(st *State, m map[string]any, loc string) {
	read := func(field, pathField string) (string, bool, tnode) {
		v, hasV := m[field]
		pv, hasP := m[pathField]
		if hasV && hasP {
			p.d.add(CodeSchema, loc, "The fields '%s' and '%s' are mutually exclusive", field, pathField)
		}
		if e, isExpr := p.exprField(st, v, field, loc+"/"+field); isExpr {
			if e == nil {
				return "", false, nil
			}
			return "", false, e
		}
		if hasV {
			s, ok := v.(string)
			if !ok {
				p.d.add(CodeSchema, loc+"/"+field, "The field '%s' must be a string", field)
			}
			return s, true, nil
		}
		if hasP {
			s, ok := pv.(string)
			if !ok {
				p.d.add(CodeSchema, loc+"/"+pathField, "The field '%s' must be a JSONPath or an intrinsic function", pathField)
				return "", false, nil
			}
			if isIntrinsic(s) {
				in, err := compileIntrinsic(s)
				if err != nil {
					p.d.add(CodeSchema, loc+"/"+pathField, "%v", err)
					return "", false, nil
				}
				return "", false, tcall{in}
			}
			pt, err := compilePath(s, true)
			if err != nil {
				p.d.add(CodeSchema, loc+"/"+pathField, "%v", err)
				return "", false, nil
			}
			return "", false, &tpath{field: pathField, p: pt}
		}
		return "", false, nil
	}
	st.errorName, st.hasError, st.errorPath = read("Error", "ErrorPath")
	st.cause, st.hasCause, st.causePath = read("Cause", "CausePath")
}

func (p *parser) mapState(st *State, m map[string]any, loc string) {
	d := p.d
	for _, f := range []string{"ItemReader", "ResultWriter", "ItemBatcher"} {
		if _, ok := m[f]; ok {
			d.add(CodeSchema, loc+"/"+f, "The field '%s' belongs to Distributed Map, which this engine does not run; use an inline Map", f)
		}
	}
	_, hasProc := m["ItemProcessor"]
	_, hasIter := m["Iterator"]
	key := "ItemProcessor"
	switch {
	case hasProc && hasIter:
		d.add(CodeSchema, loc, "The fields 'ItemProcessor' and 'Iterator' are mutually exclusive")
	case hasIter:
		key = "Iterator"
	case !hasProc:
		d.add(CodeSchema, loc, "These fields are required: [ItemProcessor]")
	}
	if pm, ok := m[key].(map[string]any); ok {
		ploc := loc + "/" + key
		// AWS refuses QueryLanguage here ("Field 'QueryLanguage' is not
		// supported"): a Map's states take theirs from the state machine.
		checkFields(pm, ploc, key, d, "StartAt", "States", "Comment", "ProcessorConfig")
		if pc, ok := pm["ProcessorConfig"]; ok {
			pcm, ok := pc.(map[string]any)
			if !ok {
				d.add(CodeSchema, ploc+"/ProcessorConfig", "The field 'ProcessorConfig' must be an object")
			} else {
				checkFields(pcm, ploc+"/ProcessorConfig", "ProcessorConfig", d, "Mode", "ExecutionType")
				switch pcm["Mode"] {
				case nil, "INLINE":
				case "DISTRIBUTED":
					d.add(CodeSchema, ploc+"/ProcessorConfig/Mode", "Distributed Map is not supported by this engine; use Mode INLINE")
				default:
					d.add(CodeSchema, ploc+"/ProcessorConfig/Mode", "The field 'Mode' must be INLINE or DISTRIBUTED")
				}
			}
		}
		st.iterator = p.machine(pm, ploc, p.topJSONata)
	} else if hasProc || hasIter {
		d.add(CodeSchema, loc+"/"+key, "The field '%s' must be an object", key)
	}
	if _, ok := m["ItemsPath"]; ok {
		st.itemsPath = p.reqPath(m, "ItemsPath", loc)
	}
	if v, ok := m["Items"]; ok && st.jsonata {
		st.items = compileJSONata(v, "Items", loc+"/Items", d)
	}
	if v, ok := m["ItemSelector"]; ok && st.jsonata {
		st.itemSelector = compileJSONata(v, "ItemSelector", loc+"/ItemSelector", d)
	} else if ok {
		if st.parameters != nil {
			d.add(CodeSchema, loc, "The fields 'ItemSelector' and 'Parameters' are mutually exclusive")
		}
		st.itemSelector = compileTemplate(v, loc+"/ItemSelector", d)
	} else if st.parameters != nil {
		// Legacy: a Map's Parameters is what ItemSelector is now.
		st.itemSelector, st.parameters = st.parameters, nil
	}
	if v, ok := m["MaxConcurrency"]; ok {
		var isExpr bool
		if st.maxConcurrencyExpr, isExpr = p.exprField(st, v, "MaxConcurrency", loc+"/MaxConcurrency"); !isExpr {
			st.maxConcurrency = nonNegativeInt(v, loc+"/MaxConcurrency", "MaxConcurrency", d)
		}
	}
	st.maxConcurrencyPath = p.reqPath(m, "MaxConcurrencyPath", loc)
	// The failure thresholds are checked but not applied: they are Distributed
	// Map settings, and an inline Map fails as soon as any iteration fails
	// (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html,
	// ProcessorConfig: "In this mode, if any iteration fails, the Map state fails").
	// In a JSONata state they may be expressions: compiled, so a syntax
	// error is refused, but never evaluated, as they do not apply.
	if v, ok := m["ToleratedFailureCount"]; ok {
		if _, isExpr := p.exprField(st, v, "ToleratedFailureCount", loc+"/ToleratedFailureCount"); !isExpr {
			nonNegativeInt(v, loc+"/ToleratedFailureCount", "ToleratedFailureCount", d)
		}
	}
	if v, ok := m["ToleratedFailurePercentage"]; ok {
		if _, isExpr := p.exprField(st, v, "ToleratedFailurePercentage", loc+"/ToleratedFailurePercentage"); !isExpr {
			f, ok := number(v)
			if !ok || f < 0 || f > 100 || math.IsNaN(f) {
				d.add(CodeSchema, loc+"/ToleratedFailurePercentage", "The field 'ToleratedFailurePercentage' must be a number between 0 and 100")
			}
		}
	}
	p.reqPath(m, "ToleratedFailureCountPath", loc)
	p.reqPath(m, "ToleratedFailurePercentagePath", loc)
	if st.maxConcurrencyPath != nil && m["MaxConcurrency"] != nil {
		d.add(CodeSchema, loc, "The fields 'MaxConcurrency' and 'MaxConcurrencyPath' are mutually exclusive")
	}
}
