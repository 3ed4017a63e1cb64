// Package s3test starts an S3 server for tests: gofakes3 (in memory), or the
// local stack's durable versioned S3 (internal/local), behind an httptest server,
// with a real aws-sdk-go-v2 client pointed at it and a fault injector in front of
// it that can answer 503 SlowDown to chosen requests or rewrite GET bodies.
package s3test
