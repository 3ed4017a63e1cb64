package lambdafn

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Build wires one step's handler the way each function's main needs it on
// AWS: configuration from the environment, the AWS config loaded once, one S3
// client, the service, and JSON logs on stderr (Lambda captures it). It
// returns an error instead of exiting so that main decides how to stop.
func Build(ctx context.Context, step string, getenv func(string) string) (lambda.Handler, error) {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	svc := NewService(cfg, s3.NewFromConfig(awsCfg), time.Now)
	h, ok := Handlers(svc, slog.New(slog.NewJSONHandler(os.Stderr, nil)))[step]
	if !ok {
		return nil, fmt.Errorf("no step named %q", step)
	}
	return h, nil
}
