// Package s3store adapts aws-sdk-go-v2's S3 client to the storage interfaces the
// pipeline's packages declare: sanitize.Store (exact-version reads, conditional
// writes, server-side copies of an exact version, deletes) and audit.Objects (create-only writes, reads, listing).
//
// It also provides Memory, an in-memory store with the same semantics, which the
// domain tests use; one contract suite (contract_test.go) runs against both, the
// S3 adapter through a real s3.Client talking to gofakes3 over HTTP.
package s3store
