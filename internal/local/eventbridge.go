package local

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/eventpattern"
	bolt "go.etcd.io/bbolt"
)

// TargetInvoker delivers a matched event's input to a rule target by ARN.
type TargetInvoker interface {
	InvokeTarget(ctx context.Context, arn string, input []byte) error
}

// EventBus is the default EventBridge bus: rules with event patterns and
// targets, PutEvents, TestEventPattern. Matching events are delivered
// asynchronously by workers, retried with backoff as EventBridge does.
type EventBus struct {
	db      *stateDB
	account string
	region  string
	log     *slog.Logger
	invoker TargetInvoker

	mu    sync.RWMutex
	rules map[string]*ebRule

	queue   chan delivery
	wg      sync.WaitGroup
	ctx     context.Context
	stopped chan struct{}
	once    sync.Once

	// Retries bounds delivery attempts per target (AWS: 185 over 24 h).
	Retries int

	created time.Time // the default bus's, when the stack's state was first made
}

// Target is a rule target: where matching events go and with what input.
type Target struct {
	ID        string `json:"Id"`
	Arn       string `json:"Arn"`
	Input     string `json:"Input,omitempty"`
	InputPath string `json:"InputPath,omitempty"`
	RoleArn   string `json:"RoleArn,omitempty"`
}

type ebRule struct {
	Name         string   `json:"Name"`
	Arn          string   `json:"Arn"`
	EventPattern string   `json:"EventPattern,omitempty"`
	State        string   `json:"State"`
	Description  string   `json:"Description,omitempty"`
	RoleArn      string   `json:"RoleArn,omitempty"`
	EventBusName string   `json:"EventBusName"`
	Targets      []Target `json:"Targets,omitempty"`

	pattern *eventpattern.Pattern
}

const rulesBucket = "events:rules"

func newEventBus(ctx context.Context, db *stateDB, account, region string, log *slog.Logger) (*EventBus, error) {
	b := &EventBus{db: db, account: account, region: region, log: log, rules: map[string]*ebRule{},
		queue: make(chan delivery, 1024), ctx: ctx, stopped: make(chan struct{}), Retries: 8}
	err := db.db.View(func(tx *bolt.Tx) error {
		return forEachJSON(tx, func(k, v []byte) error {
			var r ebRule
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			p, err := eventpattern.Compile([]byte(r.EventPattern))
			if err != nil {
				return fmt.Errorf("stored rule %s: %w", r.Name, err)
			}
			r.pattern = p
			b.rules[r.Name] = &r
			return nil
		}, rulesBucket)
	})
	if err != nil {
		return nil, err
	}
	err = db.db.Update(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx, "default", &b.created, busesBucket)
		if err != nil || ok {
			return err
		}
		b.created = time.Now().UTC().Truncate(time.Millisecond)
		return putJSON(tx, "default", b.created, busesBucket)
	})
	return b, err
}

// busesBucket holds the default bus's creation time, the one bus attribute
// that is not derived.
const busesBucket = "events:buses"

// start runs n delivery workers until Close, after queueing the durable
// deliveries left pending by the previous run.
func (b *EventBus) start(n int) {
	b.requeuePending()
	for i := 0; i < n; i++ {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			for {
				select {
				case d := <-b.queue:
					if b.invoke(d.Rule, d.Target, d.Input) {
						b.done(d)
					}
				case <-b.stopped:
					return
				}
			}
		}()
	}
}

func (b *EventBus) close() {
	b.once.Do(func() { close(b.stopped) })
	b.wg.Wait()
}

// Emit puts an event (a full EventBridge envelope) on the bus: it is matched
// against the rules as they are now, and each matching target's delivery is
// queued. Emit blocks when the queue is full, which slows the producer instead
// of losing events.
func (b *EventBus) Emit(event []byte) {
	for _, d := range b.route(event) {
		select {
		case b.queue <- d:
		case <-b.stopped:
			return
		}
	}
}

// delivery is one target's share of an event.
type delivery struct {
	Rule   string `json:"rule"`
	Target Target `json:"target"`
	Input  []byte `json:"input"`
	// key names the delivery in the pending bucket when it is durable.
	key []byte
}

const pendingBucket = "events:pending"

// EmitDurable is Emit for events nothing else would recover after a crash
// (PutEvents): the deliveries are committed before it returns and removed once
// made, and the ones still pending are made again at the next start.
func (b *EventBus) EmitDurable(events ...[]byte) error {
	var ds []delivery
	for _, ev := range events {
		ds = append(ds, b.route(ev)...)
	}
	if len(ds) == 0 {
		return nil
	}
	err := b.db.db.Batch(func(tx *bolt.Tx) error {
		pb, err := bucketPath(tx, true, pendingBucket)
		if err != nil {
			return err
		}
		for i := range ds {
			seq, _ := pb.NextSequence()
			ds[i].key = eventKey(int64(seq))
			raw, _ := json.Marshal(ds[i])
			if err := pb.Put(ds[i].key, raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range ds {
		select {
		case b.queue <- d:
		case <-b.stopped:
			return nil
		}
	}
	return nil
}

// requeuePending queues the durable deliveries a previous run did not make.
func (b *EventBus) requeuePending() {
	var ds []delivery
	b.db.db.View(func(tx *bolt.Tx) error {
		return forEachJSON(tx, func(k, v []byte) error {
			var d delivery
			if json.Unmarshal(v, &d) == nil {
				d.key = append([]byte(nil), k...)
				ds = append(ds, d)
			}
			return nil
		}, pendingBucket)
	})
	if len(ds) == 0 {
		return
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for _, d := range ds {
			select {
			case b.queue <- d:
			case <-b.stopped:
				return
			}
		}
	}()
}

func (b *EventBus) done(d delivery) {
	if d.key == nil {
		return
	}
	if err := b.db.db.Batch(func(tx *bolt.Tx) error { return deleteKey(tx, string(d.key), pendingBucket) }); err != nil {
		b.log.Error("eventbridge: forget delivery", "err", err)
	}
}

// route matches an event against the enabled rules and computes each
// matching target's input.
func (b *EventBus) route(event []byte) []delivery {
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		b.log.Error("eventbridge: undeliverable event", "err", err)
		return nil
	}
	b.mu.RLock()
	var matched []*ebRule
	for _, r := range b.rules {
		if r.State == "ENABLED" && r.pattern.MatchValue(ev) {
			matched = append(matched, r)
		}
	}
	b.mu.RUnlock()
	var out []delivery
	for _, r := range matched {
		for _, t := range r.Targets {
			input, err := targetInput(t, event, ev)
			if err != nil {
				b.log.Error("eventbridge: target input", "rule", r.Name, "target", t.ID, "err", err)
				continue
			}
			out = append(out, delivery{Rule: r.Name, Target: t, Input: input})
		}
	}
	return out
}

// invoke delivers with retries; false means the stack is stopping and a
// durable delivery stays pending for the next start.
func (b *EventBus) invoke(rule string, t Target, input []byte) bool {
	delay := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := b.invoker.InvokeTarget(b.ctx, t.Arn, input)
		if err == nil {
			return true
		}
		if b.ctx.Err() != nil {
			return false
		}
		if attempt >= b.Retries {
			b.log.Error("eventbridge: delivery failed, event dropped", "rule", rule, "target", t.Arn, "attempts", attempt, "err", err)
			return true
		}
		select {
		case <-time.After(delay):
		case <-b.stopped:
			return false
		}
		delay = min(delay*2, 5*time.Second)
	}
}

// targetInput applies a target's Input or InputPath (dot-notation JSONPath);
// by default the whole event is the input, as on AWS.
func targetInput(t Target, raw []byte, ev map[string]any) ([]byte, error) {
	switch {
	case t.Input != "":
		return []byte(t.Input), nil
	case t.InputPath != "" && t.InputPath != "$":
		var cur any = ev
		for _, step := range strings.Split(strings.TrimPrefix(t.InputPath, "$."), ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("InputPath %s: no field %s", t.InputPath, step)
			}
			cur = m[step]
		}
		return json.Marshal(cur)
	}
	return raw, nil
}

var ruleName = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)

func (b *EventBus) checkBus(name string) error {
	if name == "" || name == "default" || name == b.busArn() {
		return nil
	}
	return apiErr(http.StatusBadRequest, "ResourceNotFoundException", "Event bus %s does not exist.", name)
}

func (b *EventBus) busArn() string {
	return fmt.Sprintf("arn:aws:events:%s:%s:event-bus/default", b.region, b.account)
}

func (b *EventBus) ops() map[string]jsonOp {
	return map[string]jsonOp{
		"PutRule":               b.putRule,
		"DescribeRule":          b.describeRule,
		"ListRules":             b.listRules,
		"DeleteRule":            b.deleteRule,
		"EnableRule":            func(r *http.Request, body []byte) (any, error) { return b.setState(body, "ENABLED") },
		"DisableRule":           func(r *http.Request, body []byte) (any, error) { return b.setState(body, "DISABLED") },
		"PutTargets":            b.putTargets,
		"ListTargetsByRule":     b.listTargets,
		"ListRuleNamesByTarget": b.listRuleNamesByTarget,
		"RemoveTargets":         b.removeTargets,
		"PutEvents":             b.putEvents,
		"TestEventPattern":      b.testEventPattern,
		"DescribeEventBus":      b.describeEventBus,
		"ListEventBuses":        b.listEventBuses,
	}
}

// busOut describes the default bus, the only one the stack has.
type busOut struct {
	Name             string `json:"Name"`
	Arn              string `json:"Arn"`
	CreationTime     epoch  `json:"CreationTime"`
	LastModifiedTime epoch  `json:"LastModifiedTime"`
}

func (b *EventBus) busOut() busOut {
	return busOut{Name: "default", Arn: b.busArn(), CreationTime: epoch(b.created), LastModifiedTime: epoch(b.created)}
}

func (b *EventBus) describeEventBus(_ *http.Request, body []byte) (any, error) {
	var in struct{ Name string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := b.checkBus(in.Name); err != nil {
		return nil, err
	}
	return b.busOut(), nil
}

func (b *EventBus) listEventBuses(_ *http.Request, body []byte) (any, error) {
	var in struct {
		NamePrefix, NextToken string
		Limit                 int
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if in.Limit < 0 || in.Limit > 100 {
		return nil, apiErr(http.StatusBadRequest, "ValidationException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100", in.Limit)
	}
	out := struct {
		EventBuses []busOut `json:"EventBuses"`
	}{EventBuses: []busOut{}}
	if in.NextToken == "" && strings.HasPrefix("default", in.NamePrefix) {
		out.EventBuses = append(out.EventBuses, b.busOut())
	}
	return out, nil
}

// ServeHTTP answers the AWSEvents JSON 1.1 protocol.
func (b *EventBus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serveJSON(w, r, "AWSEvents", "1.1", b.ops())
}

func (b *EventBus) save(r *ebRule) error {
	return b.db.db.Update(func(tx *bolt.Tx) error { return putJSON(tx, r.Name, r, rulesBucket) })
}

// PutRule creates or updates a rule (also used at start-up to install
// events/rule-pattern.json).
func (b *EventBus) PutRule(name, pattern, description string) (string, error) {
	body, _ := json.Marshal(map[string]string{"Name": name, "EventPattern": pattern, "Description": description})
	out, err := b.putRule(nil, body)
	if err != nil {
		return "", err
	}
	return out.(map[string]string)["RuleArn"], nil
}

func (b *EventBus) putRule(_ *http.Request, body []byte) (any, error) {
	var in struct {
		Name, EventPattern, ScheduleExpression, State, Description, RoleArn, EventBusName string
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if err := b.checkBus(in.EventBusName); err != nil {
		return nil, err
	}
	if !ruleName.MatchString(in.Name) {
		return nil, validationErr("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and length 1-64", in.Name)
	}
	if in.ScheduleExpression != "" {
		return nil, validationErr("ScheduleExpression is not supported by the local stack; use EventPattern.")
	}
	if in.EventPattern == "" {
		return nil, validationErr("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	p, err := eventpattern.Compile([]byte(in.EventPattern))
	if err != nil {
		return nil, apiErr(http.StatusBadRequest, "InvalidEventPatternException", "%v", err)
	}
	switch in.State {
	case "":
		in.State = "ENABLED"
	case "ENABLED", "DISABLED":
	default:
		return nil, validationErr("1 validation error detected: Value '%s' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]", in.State)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r := &ebRule{Name: in.Name, Arn: fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", b.region, b.account, in.Name),
		EventPattern: in.EventPattern, State: in.State, Description: in.Description, RoleArn: in.RoleArn,
		EventBusName: "default", pattern: p}
	if old := b.rules[in.Name]; old != nil {
		r.Targets = old.Targets
	}
	if err := b.save(r); err != nil {
		return nil, err
	}
	b.rules[in.Name] = r
	return map[string]string{"RuleArn": r.Arn}, nil
}

func (b *EventBus) rule(name, bus string) (*ebRule, error) {
	if err := b.checkBus(bus); err != nil {
		return nil, err
	}
	r := b.rules[name]
	if r == nil {
		return nil, apiErr(http.StatusBadRequest, "ResourceNotFoundException", "Rule %s does not exist on EventBus default.", name)
	}
	return r, nil
}

type ruleOut struct {
	Name         string `json:"Name"`
	Arn          string `json:"Arn"`
	EventPattern string `json:"EventPattern,omitempty"`
	State        string `json:"State"`
	Description  string `json:"Description,omitempty"`
	RoleArn      string `json:"RoleArn,omitempty"`
	EventBusName string `json:"EventBusName"`
	CreatedBy    string `json:"CreatedBy,omitempty"`
}

func (b *EventBus) out(r *ebRule) ruleOut {
	return ruleOut{r.Name, r.Arn, r.EventPattern, r.State, r.Description, r.RoleArn, r.EventBusName, b.account}
}

func (b *EventBus) describeRule(_ *http.Request, body []byte) (any, error) {
	var in struct{ Name, EventBusName string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	r, err := b.rule(in.Name, in.EventBusName)
	if err != nil {
		return nil, err
	}
	return b.out(r), nil
}

func (b *EventBus) listRules(_ *http.Request, body []byte) (any, error) {
	var in struct {
		NamePrefix, EventBusName, NextToken string
		Limit                               int
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	limit, after, err := b.rulePage(in.EventBusName, in.Limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	b.mu.RLock()
	names := make([]string, 0, len(b.rules))
	for n := range b.rules {
		if strings.HasPrefix(n, in.NamePrefix) && n > after {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := struct {
		Rules     []ruleOut `json:"Rules"`
		NextToken string    `json:"NextToken,omitempty"`
	}{Rules: []ruleOut{}}
	for _, n := range names {
		if len(out.Rules) == limit {
			out.NextToken = pageToken([]byte(out.Rules[len(out.Rules)-1].Name))
			break
		}
		out.Rules = append(out.Rules, b.out(b.rules[n]))
	}
	b.mu.RUnlock()
	return out, nil
}

// rulePage reads a rule listing's bus, Limit (1 to 100, default 100) and
// NextToken (the name listed last).
func (b *EventBus) rulePage(bus string, limit int, token string) (int, string, error) {
	if err := b.checkBus(bus); err != nil {
		return 0, "", err
	}
	if limit < 0 || limit > 100 {
		return 0, "", validationErr("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100", limit)
	}
	if limit == 0 {
		limit = 100
	}
	if token == "" {
		return limit, "", nil
	}
	cur, err := pageCursor(token, http.StatusBadRequest, "ValidationException")
	return limit, string(cur), err
}

// listRuleNamesByTarget answers which rules send to a target ARN (the state
// machine, a topic), in name order, paged as ListRules is.
func (b *EventBus) listRuleNamesByTarget(_ *http.Request, body []byte) (any, error) {
	var in struct {
		TargetArn, EventBusName, NextToken string
		Limit                              int
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if in.TargetArn == "" {
		return nil, validationErr("1 validation error detected: Value null at 'targetArn' failed to satisfy constraint: Member must not be null")
	}
	limit, after, err := b.rulePage(in.EventBusName, in.Limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	b.mu.RLock()
	var names []string
	for n, r := range b.rules {
		if n <= after {
			continue
		}
		for _, t := range r.Targets {
			if t.Arn == in.TargetArn {
				names = append(names, n)
				break
			}
		}
	}
	b.mu.RUnlock()
	sort.Strings(names)
	out := struct {
		RuleNames []string `json:"RuleNames"`
		NextToken string   `json:"NextToken,omitempty"`
	}{RuleNames: []string{}}
	for _, n := range names {
		if len(out.RuleNames) == limit {
			out.NextToken = pageToken([]byte(out.RuleNames[len(out.RuleNames)-1]))
			break
		}
		out.RuleNames = append(out.RuleNames, n)
	}
	return out, nil
}

func (b *EventBus) deleteRule(_ *http.Request, body []byte) (any, error) {
	var in struct {
		Name, EventBusName string
		Force              bool
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r, err := b.rule(in.Name, in.EventBusName)
	if err != nil {
		var ae *APIError
		if as(err, &ae) && ae.Code == "ResourceNotFoundException" {
			return nil, nil // DeleteRule of a missing rule succeeds on AWS
		}
		return nil, err
	}
	if len(r.Targets) > 0 {
		return nil, validationErr("Rule can't be deleted since it has targets.")
	}
	if err := b.db.db.Update(func(tx *bolt.Tx) error { return deleteKey(tx, in.Name, rulesBucket) }); err != nil {
		return nil, err
	}
	delete(b.rules, in.Name)
	return nil, nil
}

func (b *EventBus) setState(body []byte, state string) (any, error) {
	var in struct{ Name, EventBusName string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	return nil, b.updateRule(in.Name, in.EventBusName, func(c *ebRule) { c.State = state })
}

// updateRule applies change to a copy of the named rule, stores it and swaps it
// in, so that readers holding the old rule never see a half-made change.
func (b *EventBus) updateRule(name, bus string, change func(c *ebRule)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, err := b.rule(name, bus)
	if err != nil {
		return err
	}
	c := *r
	change(&c)
	if err := b.save(&c); err != nil {
		return err
	}
	b.rules[c.Name] = &c
	return nil
}

type failedTarget struct {
	TargetID     string `json:"TargetId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// PutTargets adds or replaces targets (by Id) on a rule.
func (b *EventBus) PutTargets(rule string, targets ...Target) error {
	body, _ := json.Marshal(map[string]any{"Rule": rule, "Targets": targets})
	out, err := b.putTargets(nil, body)
	if err != nil {
		return err
	}
	if f := out.(map[string]any)["FailedEntries"].([]failedTarget); len(f) > 0 {
		return fmt.Errorf("put target %s: %s", f[0].TargetID, f[0].ErrorMessage)
	}
	return nil
}

var targetID = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)

func (b *EventBus) putTargets(_ *http.Request, body []byte) (any, error) {
	var in struct {
		Rule, EventBusName string
		Targets            []Target
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if len(in.Targets) == 0 || len(in.Targets) > 10 {
		return nil, validationErr("1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 10")
	}
	failed := []failedTarget{}
	err := b.updateRule(in.Rule, in.EventBusName, func(c *ebRule) {
		c.Targets = append([]Target(nil), c.Targets...)
		for _, t := range in.Targets {
			switch {
			case !targetID.MatchString(t.ID):
				failed = append(failed, failedTarget{t.ID, "ValidationException", "Target Id is not valid."})
				continue
			case !strings.HasPrefix(t.Arn, "arn:"):
				failed = append(failed, failedTarget{t.ID, "ValidationException", "Parameter " + t.Arn + " is not valid. Reason: Provided Arn is not in correct format."})
				continue
			case t.Input != "" && t.InputPath != "":
				failed = append(failed, failedTarget{t.ID, "ValidationException", "Only one of Input, InputPath, or InputTransformer can be provided."})
				continue
			case t.Input != "" && !json.Valid([]byte(t.Input)):
				failed = append(failed, failedTarget{t.ID, "ValidationException", "Target Input is not valid JSON text."})
				continue
			}
			replaced := false
			for i := range c.Targets {
				if c.Targets[i].ID == t.ID {
					c.Targets[i], replaced = t, true
				}
			}
			if !replaced {
				c.Targets = append(c.Targets, t)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"FailedEntryCount": len(failed), "FailedEntries": failed}, nil
}

func (b *EventBus) listTargets(_ *http.Request, body []byte) (any, error) {
	var in struct{ Rule, EventBusName string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	r, err := b.rule(in.Rule, in.EventBusName)
	if err != nil {
		return nil, err
	}
	ts := append([]Target{}, r.Targets...)
	return map[string]any{"Targets": ts}, nil
}

func (b *EventBus) removeTargets(_ *http.Request, body []byte) (any, error) {
	var in struct {
		Rule, EventBusName string
		Ids                []string
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, id := range in.Ids {
		drop[id] = true
	}
	err := b.updateRule(in.Rule, in.EventBusName, func(c *ebRule) {
		var keep []Target
		for _, t := range c.Targets {
			if !drop[t.ID] {
				keep = append(keep, t)
			}
		}
		c.Targets = keep
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"FailedEntryCount": 0, "FailedEntries": []failedTarget{}}, nil
}

// Envelope builds an EventBridge event envelope around detail.
func (b *EventBus) Envelope(source, detailType string, resources []string, detail json.RawMessage, at time.Time) []byte {
	if resources == nil {
		resources = []string{}
	}
	ev := struct {
		Version    string          `json:"version"`
		ID         string          `json:"id"`
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		Account    string          `json:"account"`
		Time       string          `json:"time"`
		Region     string          `json:"region"`
		Resources  []string        `json:"resources"`
		Detail     json.RawMessage `json:"detail"`
	}{"0", newUUID(), detailType, source, b.account, at.UTC().Format(time.RFC3339), b.region, resources, detail}
	raw, _ := json.Marshal(ev)
	return raw
}

type putEntryOut struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

func (b *EventBus) putEvents(_ *http.Request, body []byte) (any, error) {
	var in struct {
		Entries []struct {
			Time         json.Number
			Source       string
			Resources    []string
			DetailType   string
			Detail       string
			EventBusName string
		}
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if len(in.Entries) == 0 || len(in.Entries) > 10 {
		return nil, validationErr("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10")
	}
	out := struct {
		FailedEntryCount int           `json:"FailedEntryCount"`
		Entries          []putEntryOut `json:"Entries"`
	}{}
	var accepted [][]byte
	for _, e := range in.Entries {
		fail := func(code, msg string) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, putEntryOut{ErrorCode: code, ErrorMessage: msg})
		}
		var detail map[string]any
		switch {
		case e.Source == "":
			fail("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument.")
		case e.DetailType == "":
			fail("InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument.")
		case e.Detail == "":
			fail("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument.")
		case json.Unmarshal([]byte(e.Detail), &detail) != nil || detail == nil:
			fail("MalformedDetail", "Detail is malformed.")
		case strings.HasPrefix(e.Source, "aws."):
			fail("NotAuthorizedForSourceException", "Not authorized for the source.")
		case b.checkBus(e.EventBusName) != nil:
			fail("InvalidArgument", "Event bus "+e.EventBusName+" does not exist.")
		default:
			at := time.Now()
			if e.Time != "" {
				if f, err := strconv.ParseFloat(string(e.Time), 64); err == nil {
					at = time.Unix(0, int64(f*1e9))
				}
			}
			ev := b.Envelope(e.Source, e.DetailType, e.Resources, json.RawMessage(e.Detail), at)
			var id struct {
				ID string `json:"id"`
			}
			json.Unmarshal(ev, &id)
			out.Entries = append(out.Entries, putEntryOut{EventID: id.ID})
			accepted = append(accepted, ev)
		}
	}
	if err := b.EmitDurable(accepted...); err != nil {
		return nil, err
	}
	return out, nil
}

func (b *EventBus) testEventPattern(_ *http.Request, body []byte) (any, error) {
	var in struct{ EventPattern, Event string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	p, err := eventpattern.Compile([]byte(in.EventPattern))
	if err != nil {
		return nil, apiErr(http.StatusBadRequest, "InvalidEventPatternException", "%v", err)
	}
	var ev map[string]any
	d := json.NewDecoder(strings.NewReader(in.Event))
	d.UseNumber()
	if err := d.Decode(&ev); err != nil || ev == nil {
		return nil, validationErr("Parameter Event is not valid.")
	}
	for _, f := range []string{"id", "account", "source", "time", "region", "detail-type"} {
		if _, ok := ev[f].(string); !ok {
			return nil, validationErr("Parameter Event is not valid. Reason: Provided Event is missing required field %s.", f)
		}
	}
	return map[string]bool{"Result": p.MatchValue(ev)}, nil
}
