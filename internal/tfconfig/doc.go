// Package tfconfig evaluates a Terraform root module and the local modules it calls, without providers: a
// small plan for offline checks. It parses the configuration with hashicorp/hcl/v2, evaluates variables
// (types, optional attributes, defaults, validations), locals, count and for_each, dynamic blocks, module
// calls and outputs with Terraform's functions (jsonencode, templatefile, file, ...), and gives each resource
// the computed attributes tests refer to (ARNs and ids, built from the names as AWS builds them, for an
// account and Region given in Options). aws_iam_policy_document data sources are rendered to JSON as the
// provider renders them, so the policies can be evaluated.
//
// Evaluation repeats until no value changes, so declaration order does not matter; whatever is still
// unknown at the end (an attribute only AWS knows, a reference cycle) stays cty.Unknown.
package tfconfig
