// Package s3test starts an S3 server for tests: gofakes3 (in memory) behind an
// httptest server, with a real aws-sdk-go-v2 client pointed at it and a fault
// injector in front of it that can answer 503 SlowDown to chosen requests.
package s3test
