// Package local is the whole AWS side of the pipeline on one machine, behind the
// real AWS wire protocols on one loopback port: S3 (REST, through gofakes3 over a
// durable versioned store), EventBridge (AWSEvents JSON 1.1), Step Functions
// (AWSStepFunctions JSON 1.0, over internal/asl) and SNS (query protocol).
// Requests are dispatched by their shape, as AWS endpoints would see them, so
// aws-sdk-go-v2, boto3 and the AWS CLI work unchanged with an endpoint URL.
//
// CopyObject is served by the store itself (s3copy.go), not by gofakes3: a copy
// hard-links the source version's blob instead of reading and rewriting it, and
// honours ?versionId=, the copy-source and destination conditions and the
// metadata directive as S3 does. Multipart uploads are the store's too
// (s3multipart.go: parts on disk, durable, S3's multipart ETag, UploadPartCopy),
// and the front (s3front.go) answers what gofakes3 gets wrong or lacks before
// it sees a request: GET/HEAD preconditions, lower-case metadata names and
// checksums on reads (s3get.go), DeleteObjects with delete markers
// (s3delete.go), part sizes at completion, the content headers gofakes3
// drops, HeadBucket's region. chunked.go checks a body's checksum, trailer or
// header.
//
// Durability: object bytes live in synced files (written past the page cache,
// the newest also kept in a fixed arena for the reads that follow: blobcache.go)
// and their metadata in bbolt;
// rules, topics, state machines, executions, checkpoints and history live in a
// second bbolt file. After a crash, Start resumes running executions from their
// last checkpoint and reconciles the input bucket: every object whose latest
// version has no execution gets one, so nothing uploaded is left unprocessed.
//
// The package knows nothing of JPEG: the Lambda handlers arrive as an
// asl.TaskRunner from the main that wires the stack.
package local
