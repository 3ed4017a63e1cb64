package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// awsFlags are the flags every operator command shares. The commands speak the
// AWS APIs through aws-sdk-go-v2, so they work against AWS (default credential
// chain) and against `sanitizer run` (--endpoint-url or AWS_ENDPOINT_URL) alike.
type awsFlags struct {
	endpoint     string
	region       string
	profile      string
	stateMachine string
	inputBucket  string
	outputBucket string
	auditBucket  string
	json         bool
}

func (f *awsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.endpoint, "endpoint-url", "", "AWS endpoint, e.g. http://127.0.0.1:4566 for `sanitizer run` (default: $AWS_ENDPOINT_URL, else AWS)")
	fs.StringVar(&f.region, "region", "", "AWS region (default: the SDK's configuration, us-east-1 locally)")
	fs.StringVar(&f.profile, "profile", "", "AWS shared-config profile")
	fs.StringVar(&f.stateMachine, "state-machine-arn", "", "the pipeline's state machine (default: the one named \""+stateMachineName+"\")")
	fs.StringVar(&f.inputBucket, "input-bucket", "uploads", "bucket A, where uploads arrive")
	fs.StringVar(&f.outputBucket, "output-bucket", "sanitized", "bucket B, where sanitized copies go")
	fs.StringVar(&f.auditBucket, "audit-bucket", "sanitizer-audit", "bucket holding the audit records")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of a table")
}

// regionOf makes a command about one ARN talk to the region the ARN names,
// unless --region says otherwise: a command pasted from a notification then
// works whatever the operator's default region is.
func (f *awsFlags) regionOf(arn string) {
	if parts := strings.Split(arn, ":"); f.region == "" && len(parts) > 3 && parts[0] == "arn" && parts[3] != "" {
		f.region = parts[3]
	}
}

// clients is what the operator commands talk to.
type clients struct {
	sfn    *sfn.Client
	s3     *s3.Client
	events *eventbridge.Client
}

func (f *awsFlags) clients(ctx context.Context) (*clients, error) {
	var opts []func(*config.LoadOptions) error
	if f.region != "" {
		opts = append(opts, config.WithRegion(f.region))
	}
	if f.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(f.profile))
	}
	endpoint := f.endpoint
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(endpoint))
		if isLoopback(endpoint) {
			// The local stack accepts any credentials; do not make users invent some.
			if os.Getenv("AWS_ACCESS_KEY_ID") == "" && f.profile == "" {
				opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
			}
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = localRegion
	}
	return &clients{
		sfn:    sfn.NewFromConfig(cfg),
		s3:     s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = endpoint != "" }),
		events: eventbridge.NewFromConfig(cfg),
	}, nil
}

func isLoopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// machineArn returns --state-machine-arn or finds the pipeline's by name.
func (f *awsFlags) machineArn(ctx context.Context, c *clients) (string, error) {
	if f.stateMachine != "" {
		return f.stateMachine, nil
	}
	p := sfn.NewListStateMachinesPaginator(c.sfn, &sfn.ListStateMachinesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, m := range page.StateMachines {
			if aws.ToString(m.Name) == stateMachineName {
				return aws.ToString(m.StateMachineArn), nil
			}
		}
	}
	return "", errors.New("no state machine named " + stateMachineName + "; pass --state-machine-arn")
}

// parseS3URL splits s3://bucket/key.
func parseS3URL(s string) (bucket, key string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" || len(u.Path) < 2 {
		return "", "", fmt.Errorf("%q is not s3://bucket/key", s)
	}
	// url.Parse decodes %xx in the path; S3 keys are taken literally from the
	// argument after the bucket, as the AWS CLI does.
	rest := s[len("s3://")+len(u.Host)+1:]
	return u.Host, rest, nil
}
