// Package tfschema checks Terraform configuration against the AWS provider's schema without the provider
// itself: a stand-in for `terraform validate` on machines that cannot download hashicorp/aws.
//
// The schema comes from the npm package @cdktf/provider-aws (bindings generated from hashicorp/aws 6.x),
// whose .jsii file describes every resource's configuration: arguments, nested blocks, which are required.
// Computed-only attributes are absent from it, so setting one is reported like an unknown argument. Only the
// resource and data source types infra/ uses are kept, in aws.json beside this file; the gen command
// (infra/schema/regenerate.sh) rebuilds that file from the pinned package.
package tfschema
