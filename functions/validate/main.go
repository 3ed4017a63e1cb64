// Command validate is the pipeline's Validate step: reads the exact source version an S3 event names and checks it is a JPEG within the limits.
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
	h, err := lambdafn.Build(context.Background(), lambdafn.FnValidate, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "validate:", err)
		os.Exit(1)
	}
	lambda.Start(h)
}
