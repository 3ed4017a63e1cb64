package main

import "fmt"

// The local stack's buckets get the lifecycle rules infra/envs/dev gives them
// on AWS (infra/modules/storage): staged copies expire after a day, replaced
// versions of uploads and outputs after a week, abandoned multipart uploads
// after a day or a week. lifecycle_test.go checks them against the Terraform.
const (
	stagingExpirationDays    = 1
	noncurrentExpirationDays = 7
)

// bucketLifecycle returns the lifecycle configurations of the stack's buckets.
func bucketLifecycle(input, output, staging string) map[string][]byte {
	versions := fmt.Appendf(nil, `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`+
		`<Rule><ID>expire-noncurrent-versions</ID><Filter></Filter><Status>Enabled</Status>`+
		`<NoncurrentVersionExpiration><NoncurrentDays>%d</NoncurrentDays></NoncurrentVersionExpiration>`+
		`<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`+
		`</LifecycleConfiguration>`, noncurrentExpirationDays)
	return map[string][]byte{
		input: versions, output: versions,
		staging: fmt.Appendf(nil, `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`+
			`<Rule><ID>expire-staged-objects</ID><Filter></Filter><Status>Enabled</Status>`+
			`<Expiration><Days>%d</Days></Expiration>`+
			`<NoncurrentVersionExpiration><NoncurrentDays>%d</NoncurrentDays></NoncurrentVersionExpiration>`+
			`<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`+
			`<Rule><ID>remove-expired-delete-markers</ID><Filter></Filter><Status>Enabled</Status>`+
			`<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>`+
			`</LifecycleConfiguration>`, stagingExpirationDays, stagingExpirationDays),
	}
}
