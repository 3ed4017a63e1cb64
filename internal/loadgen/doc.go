// Package loadgen drives a running sanitizer stack the way its users do and
// proves what it holds: it generates realistic uploads (camera and phone JPEGs
// from 50 KB to 12 MB carrying metadata of every kind, and a share of hostile
// files: PNGs named .jpg, truncated JPEGs, decompression bombs, garbage),
// uploads them with concurrent aws-sdk-go-v2 clients through the stack's S3
// API, waits for the pipeline, then checks every outcome independently:
//
//   - clean: the output bucket holds, for the latest uploaded version, an
//     output that parses, carries no metadata beyond the policy, and has the
//     image data a local Strip of the upload gives (exiftool re-checks a
//     sample when installed);
//   - rejected and notified: the failure topic delivered a notification for
//     that version (the load generator subscribes an HTTP endpoint);
//   - lost: neither; leaked: an output with metadata, or an output for a
//     hostile upload; duplicates: one upload published more than once.
//
// A Supervisor can run the stack as a child process, sample its memory, and
// SIGKILL and restart it during a run (the crash drill).
package loadgen
