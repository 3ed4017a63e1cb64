// Package audit defines the pipeline's audit record and stores it in S3.
//
// Every step attempt writes one immutable JSON record: which execution, which step and
// attempt, what happened, which object version it read and wrote, digests and sizes,
// what metadata was removed (segment kinds and sensitive tag names, never their values),
// the policy version, timings and the error if any. Records are written with
// If-None-Match: * so an existing record is never replaced, and can be read back by
// execution or by object key:
//
//	executions/<sha256(execution id)>/<step>-<attempt>.json
//	keys/<sha256(object key)>/<started-at>-<execution hash prefix>-<step>-<attempt>.json
//
// The key index holds a full copy of each record, so reading by key needs no join.
package audit
