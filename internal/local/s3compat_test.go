package local

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A delimited listing paged by the SDK's paginator (V2) and by NextMarker (V1)
// lists each common prefix once, as S3 does. A page that ended on a common
// prefix used to restart inside it, so `aws s3 ls` of a folder of folders
// repeated each folder once per page its keys spanned.
func TestListDelimitedPagesListEachPrefixOnce(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	c := ts.s3()
	var keys []string
	for i := range 12 {
		keys = append(keys, fmt.Sprintf("p/d%d/k%02d", i%3, i))
	}
	keys = append(keys, "p/top.txt", "p/zz/deeper/x", "q/outside", "p/ü x+%/k")
	for _, k := range keys {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String(k), Body: strings.NewReader(k)})
		require.NoError(t, err)
	}
	// A deleted key's prefix is not listed.
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("p/gone/x"), Body: strings.NewReader("x")})
	require.NoError(t, err)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("staging"), Key: aws.String("p/gone/x")})
	require.NoError(t, err)

	wantPrefixes := []string{"p/d0/", "p/d1/", "p/d2/", "p/zz/", "p/ü x+%/"}
	for _, size := range []int32{1, 2, 3, 1000} {
		var prefixes, contents []string
		pages := 0
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("staging"), Prefix: aws.String("p/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(size)})
		for p.HasMorePages() && pages < 50 {
			out, err := p.NextPage(ctx)
			require.NoError(t, err)
			pages++
			assert.LessOrEqual(t, len(out.CommonPrefixes)+len(out.Contents), int(size))
			assert.Equal(t, int32(len(out.CommonPrefixes)+len(out.Contents)), aws.ToInt32(out.KeyCount))
			for _, cp := range out.CommonPrefixes {
				prefixes = append(prefixes, aws.ToString(cp.Prefix))
			}
			for _, o := range out.Contents {
				contents = append(contents, aws.ToString(o.Key))
			}
		}
		assert.Equal(t, wantPrefixes, prefixes, "V2, page size %d", size)
		assert.Equal(t, []string{"p/top.txt"}, contents, "V2, page size %d", size)

		prefixes, contents = nil, nil
		marker := ""
		for range 50 {
			out, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("staging"), Prefix: aws.String("p/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(size), Marker: aws.String(marker)})
			require.NoError(t, err)
			for _, cp := range out.CommonPrefixes {
				prefixes = append(prefixes, aws.ToString(cp.Prefix))
			}
			for _, o := range out.Contents {
				contents = append(contents, aws.ToString(o.Key))
			}
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			marker = aws.ToString(out.NextMarker)
			require.NotEmpty(t, marker, "a truncated delimited V1 page names its NextMarker")
		}
		assert.Equal(t, wantPrefixes, prefixes, "V1, page size %d", size)
		assert.Equal(t, []string{"p/top.txt"}, contents, "V1, page size %d", size)
	}

	// StartAfter before the prefix starts at the prefix; inside it, after the key.
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("staging"), Prefix: aws.String("p/d1/"), StartAfter: aws.String("a")})
	require.NoError(t, err)
	assert.Len(t, out.Contents, 4)
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("staging"), Prefix: aws.String("p/d1/"), StartAfter: aws.String("p/d1/k04")})
	require.NoError(t, err)
	require.Len(t, out.Contents, 2)
	assert.Equal(t, "p/d1/k07", aws.ToString(out.Contents[0].Key))
}
