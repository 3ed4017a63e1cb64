// Command write is the pipeline's Write step: publishes the staged output to the output bucket unless it holds a newer upload's output.
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
	h, err := lambdafn.Build(context.Background(), lambdafn.FnWrite, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
		os.Exit(1)
	}
	lambda.Start(h)
}
