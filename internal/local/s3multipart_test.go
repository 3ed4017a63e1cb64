package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Completes of one upload at once (an SDK's retry racing the first) make one
// version: the upload ends in the transaction that commits its object, and
// the others answer NoSuchUpload, as S3 answers for a completed upload. Each
// used to commit a version of its own, with its own ObjectCreated event, so
// the pipeline processed the image once per Complete.
func TestS3MultipartCompletesOnce(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	c := ts.s3()
	bucket := aws.String("uploads")
	const racers = 4
	for i := range 4 {
		key := aws.String(fmt.Sprintf("race-%d.jpg", i))
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key})
		require.NoError(t, err)
		part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("the only part")})
		require.NoError(t, err)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for r := range racers {
			wg.Go(func() {
				_, errs[r] = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: key, UploadId: up.UploadId,
					MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
			})
		}
		wg.Wait()
		completed := 0
		for _, err := range errs {
			var ae smithy.APIError
			if err == nil {
				completed++
			} else if assert.ErrorAs(t, err, &ae) {
				assert.Equal(t, "NoSuchUpload", ae.ErrorCode())
			}
		}
		assert.Equal(t, 1, completed, "upload %d", i)
		versions, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: bucket, Prefix: key})
		require.NoError(t, err)
		assert.Len(t, versions.Versions, 1, "upload %d: one version", i)
	}
}

// ListMultipartUploads with a delimiter pages like ListObjects: a page that
// ends on a common prefix has it as NextKeyMarker, and the next page does not
// list it again. NextKeyMarker was left empty on such a page, so a client
// following IsTruncated started over from the first page, forever.
func TestS3ListMultipartUploadsDelimitedPages(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	c := ts.s3()
	bucket := aws.String("uploads")
	for _, k := range []string{"a/1", "a/2", "b", "c/1", "c/x/2", "d/1"} {
		_, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String(k)})
		require.NoError(t, err)
	}
	for _, size := range []int32{1, 2, 100} {
		var prefixes, keys []string
		var keyMarker, idMarker *string
		pages := 0
		for ; pages < 20; pages++ {
			out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket, Delimiter: aws.String("/"),
				MaxUploads: aws.Int32(size), KeyMarker: keyMarker, UploadIdMarker: idMarker})
			require.NoError(t, err)
			assert.LessOrEqual(t, len(out.CommonPrefixes)+len(out.Uploads), int(size))
			for _, p := range out.CommonPrefixes {
				prefixes = append(prefixes, aws.ToString(p.Prefix))
			}
			for _, u := range out.Uploads {
				keys = append(keys, aws.ToString(u.Key))
			}
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			require.NotEmpty(t, aws.ToString(out.NextKeyMarker), "page size %d: a truncated page has a NextKeyMarker", size)
			keyMarker, idMarker = out.NextKeyMarker, out.NextUploadIdMarker
		}
		assert.Less(t, pages, 20, "page size %d: the listing ends", size)
		assert.Equal(t, []string{"a/", "c/", "d/"}, prefixes, "page size %d", size)
		assert.Equal(t, []string{"b"}, keys, "page size %d", size)
	}
}

// An upload that CreateMultipartUpload failed to make room for is not
// recorded: the upload was recorded before its parts directory was made, so
// a failure there answered an error yet left an upload listed that no part
// could be sent to.
func TestS3CreateMultipartUploadWithoutPartsDirectory(t *testing.T) {
	dir := t.TempDir()
	ts := startStack(t, dir)
	ctx := context.Background()
	c := s3.NewFromConfig(ts.cfg, func(o *s3.Options) { o.UsePathStyle, o.RetryMaxAttempts = true, 1 })
	parts := filepath.Join(dir, "s3", "parts")
	require.NoError(t, os.RemoveAll(parts))
	require.NoError(t, os.WriteFile(parts, []byte("not a directory"), 0o644))
	_, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("uploads"), Key: aws.String("k")})
	require.Error(t, err)
	uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("uploads")})
	require.NoError(t, err)
	assert.Empty(t, uploads.Uploads)
}
