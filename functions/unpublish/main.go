// Command unpublish is the pipeline's Unpublish step: removes a deleted upload's sanitized copy when the key no longer exists in the input bucket.
//
// Built by `make package` as bootstrap for provided.al2023 on arm64; configured by the
// environment (see lambdafn.ConfigFromEnv).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/lambdafn"
)

func main() {
	cfg, err := lambdafn.ConfigFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "unpublish: config:", err)
		os.Exit(1)
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "unpublish: aws config:", err)
		os.Exit(1)
	}
	svc := lambdafn.NewService(cfg, s3.NewFromConfig(awsCfg), time.Now)
	// Lambda captures stderr; JSON lines suit the functions\' JSON log format.
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	lambda.Start(lambdafn.Handlers(svc, log)[lambdafn.FnUnpublish])
}
