// Package iampolicy parses AWS IAM policy documents and evaluates requests against them, for the subset of
// the policy language this project's Terraform uses: Allow and Deny; Action and NotAction, Resource and
// NotResource with * and ? wildcards (ARNs matched segment by segment); Principal and NotPrincipal (AWS
// accounts, roles and users, services, "*"); and the String, Arn, Bool, Null and Numeric condition operators
// with IfExists and ForAnyValue/ForAllValues. Anything else (policy variables, unknown operators) is
// rejected when parsing, so an evaluation never silently skips a part of a policy.
//
// Decide follows AWS's evaluation logic for a request within one account: an explicit Deny in any policy
// wins; otherwise an Allow in the identity's policies or a resource policy statement naming the principal
// allows; otherwise the request is implicitly denied. Key policies (KMS) and role trust policies are
// different: they must allow the request themselves, either naming the principal or delegating to the
// account (its root), in which case the identity's policies must allow it too.
package iampolicy
