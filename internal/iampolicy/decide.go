package iampolicy

import (
	"fmt"
	"strings"
)

// Principal is who makes a request.
type Principal struct {
	// Type is "AWS" for IAM users and roles, "Service" for AWS service principals.
	Type string
	// ARN is the user or role ARN for AWS principals, the service name (events.amazonaws.com) for services.
	ARN string
	// Account is the principal's account id (empty for service principals).
	Account string
}

// Role returns the principal of an IAM role (or user) ARN.
func Role(arn string) Principal {
	parts := strings.SplitN(arn, ":", 6)
	account := ""
	if len(parts) == 6 {
		account = parts[4]
	}
	return Principal{Type: "AWS", ARN: arn, Account: account}
}

// Service returns the principal of an AWS service.
func Service(name string) Principal { return Principal{Type: "Service", ARN: name} }

// Request is one API call to authorize.
type Request struct {
	Principal Principal
	Action    string
	Resource  string
	// Context holds condition keys and their values. aws:PrincipalArn, aws:PrincipalAccount,
	// aws:PrincipalServiceName and aws:SecureTransport ("true") are filled in when absent.
	Context map[string][]string
}

// Kind tells how a resource policy takes part in a decision.
type Kind int

const (
	// ResourcePolicy is a policy such as a bucket, topic or queue policy: optional within one account.
	ResourcePolicy Kind = iota
	// KeyPolicy is a KMS key policy or a role trust policy: it must allow the request itself.
	KeyPolicy
)

// Decision is the outcome of an evaluation.
type Decision int

const (
	ImplicitDeny Decision = iota
	Allow
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "allow"
	case ExplicitDeny:
		return "explicit deny"
	default:
		return "implicit deny"
	}
}

// Result is a decision with the statements that produced it.
type Result struct {
	Decision Decision
	Reason   string
}

// Allowed tells whether the request is allowed.
func (r Result) Allowed() bool { return r.Decision == Allow }

// Policies are the policies that apply to one request: the principal's identity policies, and the policy of
// the resource (nil when it has none) with its kind. ResourceAccount is the account that owns the resource.
type Policies struct {
	Identity        []*Policy
	Resource        *Policy
	Kind            Kind
	ResourceAccount string
}

// Decide evaluates a request within one account.
func Decide(req Request, ps Policies) Result {
	req = withDefaults(req)
	if req.Principal.Type == "AWS" && ps.ResourceAccount != "" && req.Principal.Account != ps.ResourceAccount {
		return Result{ImplicitDeny, "cross-account requests are not evaluated here"}
	}
	var identityAllow, resourceAllow, delegated string
	if req.Principal.Type == "AWS" {
		for _, p := range ps.Identity {
			for _, st := range p.Statements {
				if !st.matches(req, false) {
					continue
				}
				if st.Effect == "Deny" {
					return Result{ExplicitDeny, "identity policy statement " + st.name() + " denies"}
				}
				if identityAllow == "" {
					identityAllow = st.name()
				}
			}
		}
	}
	if ps.Resource != nil {
		for _, st := range ps.Resource.Statements {
			if !st.matches(req, true) {
				continue
			}
			direct := st.namesPrincipalDirectly(req.Principal)
			if st.Effect == "Deny" {
				return Result{ExplicitDeny, "resource policy statement " + st.name() + " denies"}
			}
			if direct {
				if resourceAllow == "" {
					resourceAllow = st.name()
				}
			} else if delegated == "" {
				delegated = st.name()
			}
		}
	}
	switch ps.Kind {
	case KeyPolicy:
		if resourceAllow != "" {
			return Result{Allow, "key policy statement " + resourceAllow + " allows"}
		}
		if delegated != "" && identityAllow != "" {
			return Result{Allow, fmt.Sprintf("key policy statement %s delegates to the account and identity statement %s allows", delegated, identityAllow)}
		}
		return Result{ImplicitDeny, "the key or trust policy does not allow it"}
	default:
		if resourceAllow != "" {
			return Result{Allow, "resource policy statement " + resourceAllow + " allows"}
		}
		if identityAllow != "" {
			return Result{Allow, "identity policy statement " + identityAllow + " allows"}
		}
		return Result{ImplicitDeny, "no statement allows it"}
	}
}

func withDefaults(req Request) Request {
	ctx := map[string][]string{}
	for k, v := range req.Context {
		ctx[k] = v
	}
	set := func(k, v string) {
		if _, ok := lookup(ctx, k); !ok && v != "" {
			ctx[k] = []string{v}
		}
	}
	if req.Principal.Type == "AWS" {
		set("aws:PrincipalArn", req.Principal.ARN)
		set("aws:PrincipalAccount", req.Principal.Account)
	} else {
		set("aws:PrincipalServiceName", req.Principal.ARN)
	}
	set("aws:SecureTransport", "true")
	req.Context = ctx
	return req
}

func (st Statement) name() string {
	if st.Sid != "" {
		return st.Sid
	}
	return "(no Sid)"
}

// matches tells whether the statement applies to the request: principal (for resource policies), action,
// resource and conditions.
func (st Statement) matches(req Request, resourcePolicy bool) bool {
	if resourcePolicy {
		switch {
		case st.Principal != nil:
			if !st.Principal.matches(req.Principal) {
				return false
			}
		case st.NotPrincipal != nil:
			if st.NotPrincipal.matches(req.Principal) {
				return false
			}
		default:
			return false // a resource policy statement without a principal applies to nobody
		}
	}
	if st.Action != nil && !anyMatch(st.Action, req.Action, matchAction) {
		return false
	}
	if st.NotAction != nil && anyMatch(st.NotAction, req.Action, matchAction) {
		return false
	}
	switch {
	case st.Resource != nil:
		if !anyMatch(st.Resource, req.Resource, matchARN) {
			return false
		}
	case st.NotResource != nil:
		if anyMatch(st.NotResource, req.Resource, matchARN) {
			return false
		}
	case !resourcePolicy:
		return false // identity policies must name resources
	}
	for _, c := range st.Condition {
		if !evalCondition(c, req.Context) {
			return false
		}
	}
	return true
}

func anyMatch(patterns []string, s string, match func(p, s string) bool) bool {
	for _, p := range patterns {
		if match(p, s) {
			return true
		}
	}
	return false
}

// matches tells whether a Principal element covers the principal, directly or through its account.
func (p *Principals) matches(pr Principal) bool {
	if p.All {
		return true
	}
	switch pr.Type {
	case "AWS":
		for _, id := range p.IDs["AWS"] {
			if id == "*" || id == pr.ARN || id == pr.Account || id == accountRoot(pr) {
				return true
			}
		}
	case "Service":
		for _, id := range p.IDs["Service"] {
			if id == pr.ARN {
				return true
			}
		}
	}
	return false
}

// namesPrincipalDirectly tells whether the statement grants to the principal itself (its ARN, a service name,
// or everyone) rather than to its account as a whole.
func (st Statement) namesPrincipalDirectly(pr Principal) bool {
	if st.Principal == nil {
		return st.NotPrincipal != nil
	}
	if st.Principal.All {
		return true
	}
	ids := st.Principal.IDs[pr.Type]
	for _, id := range ids {
		if id == pr.ARN || id == "*" {
			return true
		}
	}
	return false
}

func accountRoot(pr Principal) string {
	parts := strings.SplitN(pr.ARN, ":", 6)
	if len(parts) != 6 {
		return ""
	}
	return "arn:" + parts[1] + ":iam::" + pr.Account + ":root"
}
