// Command verify is the pipeline's Verify step: re-reads the published output, proves it clean and equal in image data to the source, rolls it back if not.
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
	h, err := lambdafn.Build(context.Background(), lambdafn.FnVerify, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "verify:", err)
		os.Exit(1)
	}
	lambda.Start(h)
}
