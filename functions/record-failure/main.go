// Command record-failure is the pipeline's RecordFailure step: audits a failed execution and composes its SNS notification.
//
// Built by `make package` as bootstrap for provided.al2023 on arm64; configured by the
// environment (see lambdafn.ConfigFromEnv).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/lambdafn"
)

func main() {
	h, err := lambdafn.Build(context.Background(), lambdafn.FnRecordFailure, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "record-failure:", err)
		os.Exit(1)
	}
	lambda.Start(h)
}
