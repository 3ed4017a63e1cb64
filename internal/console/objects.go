package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// memo is a small bounded cache: when full it starts over, which only costs a re-read.
type memo[V any] struct {
	mu  sync.Mutex
	max int
	m   map[string]V
}

func (c *memo[V]) get(k string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *memo[V]) put(k string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= c.max {
		c.m = make(map[string]V)
	}
	c.m[k] = v
}

// withObject opens an object (a given version, or the latest) and calls fn with its
// body and an identity (bucket, key, version, ETag) that changes whenever the bytes do,
// for caching what is derived from them.
func (c *Console) withObject(ctx context.Context, bucket, key, version string, fn func(id string, body io.Reader) error) error {
	if c.opt.Objects == nil {
		return fmt.Errorf("no object reader configured")
	}
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	out, err := c.opt.Objects.GetObject(ctx, in)
	if err != nil {
		var status interface{ HTTPStatusCode() int }
		if errors.As(err, &status) && status.HTTPStatusCode() == http.StatusNotFound {
			where := "s3://" + bucket + "/" + key
			if version != "" {
				where += " version " + version
			}
			return fmt.Errorf("not in %s (deleted, or never written)", where)
		}
		return fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	return fn(fmt.Sprintf("%s\x00%s\x00%s\x00%s", bucket, key, aws.ToString(out.VersionId), aws.ToString(out.ETag)), out.Body)
}
