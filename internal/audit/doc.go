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
//	keys/<sha256(object key)>/<sha256(execution id)>-<step>.json
//
// The key index holds small entries naming executions, written by the steps an
// execution's trail starts or ends with (validate or unpublish, and
// record-failure); reading by key lists the
// entries and reads each execution's records. Four records per upload thus
// cost five writes, not eight (an earlier layout copied every record into the
// key index; the reader still reads such copies).
package audit
