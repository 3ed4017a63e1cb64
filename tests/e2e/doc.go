// Package e2e drives the whole system the way users do: it builds the sanitizer
// binary, starts `sanitizer run` as a separate process on a free loopback port,
// and talks to it only through real clients — aws-sdk-go-v2, the AWS CLI and
// boto3 (skipped with a message where missing) and raw HTTP for malformed
// requests. The crash test kills the process with SIGKILL during a burst of
// uploads, restarts it on the same data directory and checks that every upload
// is sanitized into the output bucket exactly once.
package e2e
