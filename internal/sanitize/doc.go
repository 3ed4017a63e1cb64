// Package sanitize is the pipeline's domain: the steps a state machine runs for each
// upload, as methods on Service.
//
//   - Validate reads the exact source version an event names and checks it is a JPEG
//     within the policy's limits.
//   - Strip reads it again (same exact version), removes metadata losslessly and stages
//     the result in the staging bucket.
//   - Write publishes the staged version to the output bucket under the same key with a
//     server-side copy (the bytes never pass through the step), unless the output
//     bucket already holds the output of a newer upload (S3 sequencers) or exactly
//     this output (a duplicate delivery).
//   - Verify reads what is really in the output bucket, proves it clean, its image
//     data equal to the source's and its bytes the staged ones (sha256), and removes
//     the published version before failing.
//   - Unpublish removes the output for a key deleted from the input bucket, only when
//     the key no longer exists there.
//   - RecordFailure audits a failed execution and composes its notification.
//
// Every step writes one audit record per attempt. Storage is behind Store (S3 in
// production through internal/s3store); the clock is injected. Errors are typed so the
// Lambda edge (internal/lambdafn) can give each a stable name.
package sanitize
