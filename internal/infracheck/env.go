package infracheck

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/iampolicy"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/tfconfig"
)

// Account and Region are the facts an offline evaluation assumes.
const (
	Account   = "111122223333"
	Region    = "eu-west-1"
	Partition = "aws"
)

// Env is one evaluated environment (infra/envs/<name>).
type Env struct {
	Name string
	Plan *tfconfig.Plan
}

// Load evaluates infra/envs/<name> under infraDir with the given root variables (nil: the defaults).
func Load(infraDir, name string, vars map[string]cty.Value) (*Env, error) {
	p, err := tfconfig.Evaluate(infraDir+"/envs/"+name, tfconfig.Options{AccountID: Account, Region: Region, Partition: Partition, Variables: vars})
	if err != nil {
		return nil, err
	}
	return &Env{Name: name, Plan: p}, nil
}

// Resources returns the instances of a resource type (data sources are "data.<type>").
func (e *Env) Resources(typ string) []*tfconfig.Resource {
	mode := "managed"
	if strings.HasPrefix(typ, "data.") {
		mode, typ = "data", strings.TrimPrefix(typ, "data.")
	}
	var out []*tfconfig.Resource
	for _, r := range e.Plan.Resources {
		if r.Type == typ && r.Mode == mode {
			out = append(out, r)
		}
	}
	return out
}

// Output returns a root output as a string ("" when it is not a known string).
func (e *Env) Output(name string) string {
	v, ok := e.Plan.Outputs[name]
	if !ok || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

// Go converts an evaluated value to plain Go values (map[string]any, []any, string, float64, bool, nil);
// unknown values become nil.
func Go(v cty.Value) any {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f
	case t == cty.Bool:
		return v.True()
	case t.IsObjectType() || t.IsMapType():
		m := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			m[k.AsString()] = Go(e)
		}
		return m
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		var l []any
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			l = append(l, Go(e))
		}
		return l
	}
	return nil
}

// Attr returns an attribute of a resource as plain Go (nil when absent or unknown).
func Attr(r *tfconfig.Resource, path ...any) any {
	var cur any = Go(r.Value)
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[p]
		case int:
			l, ok := cur.([]any)
			if !ok || p >= len(l) {
				return nil
			}
			cur = l[p]
		}
	}
	return cur
}

// Str returns a string attribute ("" when absent).
func Str(r *tfconfig.Resource, path ...any) string {
	s, _ := Attr(r, path...).(string)
	return s
}

// Identity is an IAM user or role with its policies.
type Identity struct {
	Kind     string // "user" or "role"
	Name     string
	ARN      string
	Policies []*iampolicy.Policy
	Trust    *iampolicy.Policy // roles only
	// Documents are the policies' JSON, as deployed.
	Documents []string
}

// Identities returns every IAM user and role by name, with their inline policies. Managed policy
// attachments and groups are refused: the checks would not see what they grant.
func (e *Env) Identities() (map[string]*Identity, error) {
	out := map[string]*Identity{}
	for _, typ := range []string{"aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_policy", "aws_iam_group", "aws_iam_group_policy", "aws_iam_access_key"} {
		if rs := e.Resources(typ); len(rs) > 0 {
			return nil, fmt.Errorf("infracheck: %s is not expected (%s)", typ, rs[0].Address())
		}
	}
	for _, r := range e.Resources("aws_iam_role") {
		trust, err := iampolicy.Parse([]byte(Str(r, "assume_role_policy")))
		if err != nil {
			return nil, fmt.Errorf("%s trust policy: %w", r.Address(), err)
		}
		if _, ok := Attr(r, "inline_policy").([]any); ok {
			return nil, fmt.Errorf("%s: inline_policy blocks are not expected", r.Address())
		}
		out[Str(r, "name")] = &Identity{Kind: "role", Name: Str(r, "name"), ARN: Str(r, "arn"), Trust: trust}
	}
	for _, r := range e.Resources("aws_iam_user") {
		out[Str(r, "name")] = &Identity{Kind: "user", Name: Str(r, "name"), ARN: Str(r, "arn")}
	}
	attach := func(typ, field string) error {
		for _, r := range e.Resources(typ) {
			id, ok := out[Str(r, field)]
			if !ok {
				return fmt.Errorf("%s: no %s named %q", r.Address(), field, Str(r, field))
			}
			p, err := iampolicy.Parse([]byte(Str(r, "policy")))
			if err != nil {
				return fmt.Errorf("%s: %w", r.Address(), err)
			}
			id.Policies = append(id.Policies, p)
			id.Documents = append(id.Documents, Str(r, "policy"))
		}
		return nil
	}
	if err := attach("aws_iam_role_policy", "role"); err != nil {
		return nil, err
	}
	if err := attach("aws_iam_user_policy", "user"); err != nil {
		return nil, err
	}
	return out, nil
}

// resourcePolicies maps resource ARNs to their policies (parsed, and as JSON): buckets, topics, queues, keys.
func (e *Env) resourcePolicies() (map[string]*iampolicy.Policy, map[string]string, error) {
	out := map[string]*iampolicy.Policy{}
	docs := map[string]string{}
	add := func(arn, doc, addr string) error {
		docs[arn] = doc
		if _, dup := out[arn]; dup {
			return fmt.Errorf("%s: second policy for %s", addr, arn)
		}
		p, err := iampolicy.Parse([]byte(doc))
		if err != nil {
			return fmt.Errorf("%s: %w", addr, err)
		}
		out[arn] = p
		return nil
	}
	for _, r := range e.Resources("aws_s3_bucket_policy") {
		if err := add("arn:aws:s3:::"+Str(r, "bucket"), Str(r, "policy"), r.Address()); err != nil {
			return nil, nil, err
		}
	}
	for _, r := range e.Resources("aws_sns_topic_policy") {
		if err := add(Str(r, "arn"), Str(r, "policy"), r.Address()); err != nil {
			return nil, nil, err
		}
	}
	queues := map[string]string{}
	for _, q := range e.Resources("aws_sqs_queue") {
		queues[Str(q, "url")] = Str(q, "arn")
	}
	for _, r := range e.Resources("aws_sqs_queue_policy") {
		arn, ok := queues[Str(r, "queue_url")]
		if !ok {
			return nil, nil, fmt.Errorf("%s: unknown queue %s", r.Address(), Str(r, "queue_url"))
		}
		if err := add(arn, Str(r, "policy"), r.Address()); err != nil {
			return nil, nil, err
		}
	}
	for _, r := range e.Resources("aws_kms_key") {
		if err := add(Str(r, "arn"), Str(r, "policy"), r.Address()); err != nil {
			return nil, nil, err
		}
	}
	return out, docs, nil
}

// Authorizer decides requests against every policy of an environment.
type Authorizer struct {
	identities map[string]*Identity
	byARN      map[string]*Identity
	resources  map[string]*iampolicy.Policy
	documents  map[string]string
}

// Authorizer gathers the environment's policies.
func (e *Env) Authorizer() (*Authorizer, error) {
	ids, err := e.Identities()
	if err != nil {
		return nil, err
	}
	rps, docs, err := e.resourcePolicies()
	if err != nil {
		return nil, err
	}
	a := &Authorizer{identities: ids, byARN: map[string]*Identity{}, resources: rps, documents: docs}
	for _, id := range ids {
		a.byARN[id.ARN] = id
	}
	return a, nil
}

// IdentityOnly returns an authorizer that ignores bucket, topic and queue policies (key and trust policies
// stay, as they must allow): what the principals' own policies grant, before any resource policy's deny.
func (a *Authorizer) IdentityOnly() *Authorizer {
	b := &Authorizer{identities: a.identities, byARN: a.byARN, resources: map[string]*iampolicy.Policy{}, documents: a.documents}
	for arn, p := range a.resources {
		if strings.HasPrefix(arn, "arn:aws:kms:") {
			b.resources[arn] = p
		}
	}
	return b
}

// Identity returns a user or role by name.
func (a *Authorizer) Identity(name string) *Identity { return a.identities[name] }

// IdentityNames lists every user and role.
func (a *Authorizer) IdentityNames() []string {
	var names []string
	for n := range a.identities {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Documents returns the JSON of the policies that apply to a request: the principal's identity policies and
// the resource's policy ("" when it has none).
func (a *Authorizer) Documents(principal, resource string) (identity []string, resourcePolicy string) {
	if id, ok := a.byARN[principal]; ok {
		identity = id.Documents
	}
	if strings.HasPrefix(resource, "arn:aws:s3:::") {
		bucket, _, _ := strings.Cut(strings.TrimPrefix(resource, "arn:aws:s3:::"), "/")
		resource = "arn:aws:s3:::" + bucket
	}
	if _, ok := a.resources[resource]; ok {
		resourcePolicy = a.documents[resource]
	}
	return identity, resourcePolicy
}

// Decide evaluates one request. principal is a user or role ARN, or a service name (events.amazonaws.com).
// extra adds identity policies the principal does not have, to show that a resource policy's deny holds
// whatever the principal's own policies say.
func (a *Authorizer) Decide(principal, action, resource string, ctx map[string][]string, extra ...*iampolicy.Policy) iampolicy.Result {
	var pr iampolicy.Principal
	var identity []*iampolicy.Policy
	if strings.HasPrefix(principal, "arn:") {
		pr = iampolicy.Role(principal)
		if id, ok := a.byARN[principal]; ok {
			identity = append(identity, id.Policies...)
		}
		identity = append(identity, extra...)
	} else {
		pr = iampolicy.Service(principal)
	}
	ps := iampolicy.Policies{Identity: identity, ResourceAccount: Account}
	switch {
	case strings.HasPrefix(resource, "arn:aws:s3:::"):
		bucket, _, _ := strings.Cut(strings.TrimPrefix(resource, "arn:aws:s3:::"), "/")
		ps.Resource = a.resources["arn:aws:s3:::"+bucket]
	case strings.HasPrefix(resource, "arn:aws:kms:"):
		ps.Resource, ps.Kind = a.resources[resource], iampolicy.KeyPolicy
		if ps.Resource == nil {
			return iampolicy.Result{Decision: iampolicy.ImplicitDeny, Reason: "no such key"}
		}
	case strings.HasPrefix(resource, "arn:aws:iam:") && action == "sts:AssumeRole":
		id, ok := a.byARN[resource]
		if !ok || id.Trust == nil {
			return iampolicy.Result{Decision: iampolicy.ImplicitDeny, Reason: "no such role"}
		}
		ps.Resource, ps.Kind = id.Trust, iampolicy.KeyPolicy
		// A trust policy has no Resource element: it is about this role.
		resource = "*"
	default:
		ps.Resource = a.resources[resource]
	}
	return iampolicy.Decide(iampolicy.Request{Principal: pr, Action: action, Resource: resource, Context: ctx}, ps)
}
