// Command unpublish is the pipeline's Unpublish step: removes a deleted upload's sanitized copy when the key no longer exists in the input bucket.
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
	h, err := lambdafn.Build(context.Background(), lambdafn.FnUnpublish, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "unpublish:", err)
		os.Exit(1)
	}
	lambda.Start(h)
}
