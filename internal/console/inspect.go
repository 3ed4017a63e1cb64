package console

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// inspection is one side of the object page's comparison: what the file holds now, as
// the metadata policy sees it (kinds, sizes and tag names; never values).
type inspection struct {
	Ins *metadata.Inspection
	Err string
}

// inspect reads an object and describes it with metadata.Inspect. Results are cached by
// object identity (version and ETag), so a page refresh does not re-read large files.
func (c *Console) inspect(ctx context.Context, bucket, key, version string) inspection {
	if c.opt.Objects == nil {
		return inspection{Err: "no object reader configured"}
	}
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	out, err := c.opt.Objects.GetObject(ctx, in)
	if err != nil {
		return inspection{Err: fmt.Sprintf("get s3://%s/%s: %v", bucket, key, err)}
	}
	defer out.Body.Close()
	id := fmt.Sprintf("%s\x00%s\x00%s\x00%s", bucket, key, aws.ToString(out.VersionId), aws.ToString(out.ETag))
	c.mu.Lock()
	r, ok := c.inspections[id]
	c.mu.Unlock()
	if ok {
		return r
	}
	ins, err := metadata.Inspect(out.Body, c.opt.Policy)
	r = inspection{Ins: ins}
	if err != nil {
		r = inspection{Err: err.Error()}
	}
	c.mu.Lock()
	if len(c.inspections) > 1024 {
		c.inspections = map[string]inspection{}
	}
	c.inspections[id] = r
	c.mu.Unlock()
	return r
}
