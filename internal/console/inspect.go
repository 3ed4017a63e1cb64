package console

import (
	"context"
	"io"
	"strconv"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// inspection is one side of the object page's comparison: what the file holds now, as
// the metadata policy sees it (kinds, sizes and tag names; never values).
type inspection struct {
	Ins *metadata.Inspection
	Err string
	// Unreadable: the object could not be read at all (deleted, never published), so
	// there is no preview either.
	Unreadable bool
}

// inspect reads an object and describes it with metadata.Inspect. Results are cached by
// object identity (version and ETag), so a page refresh does not re-read large files.
func (c *Console) inspect(ctx context.Context, bucket, key, version string) inspection {
	var r inspection
	err := c.withObject(ctx, bucket, key, version, func(id string, body io.Reader) error {
		var ok bool
		if r, ok = c.inspections.get(id); ok {
			return nil
		}
		ins, err := metadata.Inspect(body, c.opt.Policy)
		r = inspection{Ins: ins}
		if err != nil {
			r = inspection{Err: err.Error()}
		}
		c.inspections.put(id, r)
		return nil
	})
	if err != nil {
		return inspection{Err: err.Error(), Unreadable: true}
	}
	return r
}

// transformed checks the output of an oriented upload that the policy's
// transform mode rotated or mirrored in the DCT domain (its image digest then
// differs from the source's): metadata.CheckTransform compares every
// coefficient. It returns the orientation applied, or "" when the check fails
// or an object cannot be read.
func (c *Console) transformed(ctx context.Context, bucket, key, version, outVersion string, orientation int) string {
	limit := c.opt.Policy.Limits.MaxBytes
	if limit <= 0 {
		limit = metadata.DefaultMaxBytes
	}
	read := func(bucket, version string) (b []byte) {
		c.withObject(ctx, bucket, key, version, func(_ string, body io.Reader) error {
			b, _ = io.ReadAll(io.LimitReader(body, limit))
			return nil
		})
		return b
	}
	src, out := read(bucket, version), read(c.opt.OutputBucket, outVersion)
	if src == nil || out == nil || metadata.CheckTransform(src, out, c.opt.Policy) != nil {
		return ""
	}
	return "Orientation " + strconv.Itoa(orientation)
}
