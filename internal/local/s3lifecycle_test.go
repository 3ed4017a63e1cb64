package local

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The lifecycle API answers as S3 does: the configuration put is the one
// read back, a bad one is refused with S3's code, and a bucket without one
// says so.
func TestS3LifecycleConfigurationAPI(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	c := ts.s3()
	_, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("sanitized")})
	assert.Equal(t, "NoSuchLifecycleConfiguration", apiCode(err))

	rules := []types.LifecycleRule{{
		ID: aws.String("tmp"), Status: types.ExpirationStatusEnabled,
		Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
		Expiration:                     &types.LifecycleExpiration{Days: aws.Int32(3)},
		NoncurrentVersionExpiration:    &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1), NewerNoncurrentVersions: aws.Int32(2)},
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(2)},
	}, {
		ID: aws.String("archive"), Status: types.ExpirationStatusDisabled,
		Filter:      &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("old/"), ObjectSizeGreaterThan: aws.Int64(1 << 20)}},
		Transitions: []types.Transition{{Days: aws.Int32(30), StorageClass: types.TransitionStorageClassGlacier}},
	}}
	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("sanitized"),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}})
	require.NoError(t, err)
	got, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("sanitized")})
	require.NoError(t, err)
	require.Len(t, got.Rules, 2)
	tmp, archive := got.Rules[0], got.Rules[1]
	assert.Equal(t, "tmp", aws.ToString(tmp.ID))
	assert.Equal(t, types.ExpirationStatusEnabled, tmp.Status)
	assert.Equal(t, "tmp/", aws.ToString(tmp.Filter.Prefix))
	assert.Equal(t, int32(3), aws.ToInt32(tmp.Expiration.Days))
	assert.Equal(t, int32(1), aws.ToInt32(tmp.NoncurrentVersionExpiration.NoncurrentDays))
	assert.Equal(t, int32(2), aws.ToInt32(tmp.NoncurrentVersionExpiration.NewerNoncurrentVersions))
	assert.Equal(t, int32(2), aws.ToInt32(tmp.AbortIncompleteMultipartUpload.DaysAfterInitiation))
	assert.Equal(t, types.ExpirationStatusDisabled, archive.Status)
	require.NotNil(t, archive.Filter.And)
	assert.Equal(t, "old/", aws.ToString(archive.Filter.And.Prefix))
	assert.Equal(t, int64(1<<20), aws.ToInt64(archive.Filter.And.ObjectSizeGreaterThan))
	require.Len(t, archive.Transitions, 1)
	assert.Equal(t, types.TransitionStorageClassGlacier, archive.Transitions[0].StorageClass)

	put := func(bucket string, rules ...types.LifecycleRule) error {
		_, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(bucket),
			LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}})
		return err
	}
	expire := func(id string, days int32) types.LifecycleRule {
		return types.LifecycleRule{ID: aws.String(id), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(days)}}
	}
	for name, tc := range map[string]struct {
		err  error
		code string
	}{
		"duplicate IDs": {put("sanitized", expire("a", 1), expire("a", 2)), "InvalidArgument"},
		"zero days":     {put("sanitized", expire("a", 0)), "InvalidArgument"},
		"no action": {put("sanitized", types.LifecycleRule{ID: aws.String("a"), Status: types.ExpirationStatusEnabled,
			Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")}}), "InvalidRequest"},
		"date not at midnight": {put("sanitized", types.LifecycleRule{ID: aws.String("a"), Status: types.ExpirationStatusEnabled,
			Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")}, Expiration: &types.LifecycleExpiration{Date: aws.Time(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))}}), "InvalidArgument"},
		"tag filter": {put("sanitized", types.LifecycleRule{ID: aws.String("a"), Status: types.ExpirationStatusEnabled,
			Filter: &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("k"), Value: aws.String("v")}}, Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}}), "NotImplemented"},
		"no bucket": {put("nosuchbucket", expire("a", 1)), "NoSuchBucket"},
	} {
		assert.Equal(t, tc.code, apiCode(tc.err), "%s: %v", name, tc.err)
	}
	// A refused configuration leaves the old one in place.
	got, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("sanitized")})
	require.NoError(t, err)
	assert.Len(t, got.Rules, 2)

	_, err = c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String("sanitized")})
	require.NoError(t, err)
	_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("sanitized")})
	assert.Equal(t, "NoSuchLifecycleConfiguration", apiCode(err))
}

// lifecycleClock makes the store date its writes from a clock the test moves.
func lifecycleClock(ts *testStack) (set func(time.Time)) {
	var now time.Time
	ts.Objects.now = func() time.Time { return now }
	return func(t time.Time) { now = t }
}

// Rules expire what they name at S3's times (the first midnight UTC at least
// the given days after a write, or after a version became noncurrent), and
// nothing else: other prefixes, sizes outside the filter, the newest
// noncurrent versions a rule keeps, versions still inside their days.
func TestS3LifecycleExpires(t *testing.T) {
	ts := startStackWith(t, Options{LifecycleInterval: -1})
	ctx := context.Background()
	c := ts.s3()
	set := lifecycleClock(ts)
	day := func(d, hour int) time.Time { return time.Date(2026, 3, 1+d, hour, 0, 0, 0, time.UTC) }
	put := func(bucket, key, body string) string {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
		require.NoError(t, err)
		return aws.ToString(out.VersionId)
	}
	versions := func(bucket, prefix string) []string {
		out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
		require.NoError(t, err)
		var ids []string
		for _, v := range out.Versions {
			ids = append(ids, aws.ToString(v.Key)+"@"+aws.ToString(v.VersionId))
		}
		for _, m := range out.DeleteMarkers {
			ids = append(ids, aws.ToString(m.Key)+"@marker")
		}
		return ids
	}
	apply := func(at time.Time) LifecycleReport {
		rep, err := ts.Objects.ApplyLifecycle(ctx, at)
		require.NoError(t, err)
		return rep
	}
	require.NoError(t, ts.Objects.PutBucketLifecycle("sanitized", []byte(`<LifecycleConfiguration>
		<Rule><ID>tmp</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status>
			<Expiration><Days>2</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration></Rule>
		<Rule><ID>keep</ID><Filter><Prefix>keep/</Prefix></Filter><Status>Enabled</Status>
			<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>
		<Rule><ID>markers</ID><Filter></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>
		<Rule><ID>off</ID><Filter></Filter><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>
	</LifecycleConfiguration>`)))
	require.NoError(t, ts.Objects.PutBucketLifecycle("staging", []byte(`<LifecycleConfiguration>
		<Rule><ID>big</ID><Filter><And><Prefix>big/</Prefix><ObjectSizeGreaterThan>3</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status>
			<Expiration><Days>1</Days></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>
	</LifecycleConfiguration>`)))

	set(day(0, 10))
	tmpV1 := put("sanitized", "tmp/a", "a1")
	put("sanitized", "other/a", "o1")
	set(day(0, 12))
	put("sanitized", "keep/b", "b1")
	set(day(0, 13))
	b2 := put("sanitized", "keep/b", "b2")
	set(day(0, 14))
	b3 := put("sanitized", "keep/b", "b3")
	put("staging", "big/x", "ten bytes!")
	put("staging", "big/y", "hi")
	put("staging", "small/x", "ten bytes!")
	mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("staging"), Key: aws.String("big/upload")})
	require.NoError(t, err)

	assert.Equal(t, LifecycleReport{}, apply(day(1, 23)), "nothing is a day old at midnight yet")

	// b1 and b2 became noncurrent on day 0; a day later, at midnight, the
	// older goes and the newest noncurrent version stays. The staged object
	// over 3 bytes goes, and the upload begun on day 0.
	assert.Equal(t, LifecycleReport{Expired: 1, NoncurrentRemoved: 1, UploadsAborted: 1}, apply(day(2, 0)))
	assert.ElementsMatch(t, []string{"keep/b@" + b3, "keep/b@" + b2}, versions("sanitized", "keep/"))
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("staging"), Key: aws.String("big/x")})
	assert.Error(t, err)
	for _, key := range []string{"big/y", "small/x"} {
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("staging"), Key: aws.String(key)})
		assert.NoError(t, err, key)
	}
	uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("staging")})
	require.NoError(t, err)
	assert.Empty(t, uploads.Uploads, "upload %s", aws.ToString(mp.UploadId))

	// tmp/a, written day 0 at 10:00, expires at the midnight starting day 3:
	// a delete marker hides it, its data kept as a noncurrent version.
	assert.Equal(t, LifecycleReport{}, apply(day(2, 23)))
	set(day(3, 0))
	assert.Equal(t, LifecycleReport{Expired: 1}, apply(day(3, 0)))
	assert.ElementsMatch(t, []string{"tmp/a@" + tmpV1, "tmp/a@marker"}, versions("sanitized", "tmp/"))
	// A day later the noncurrent version goes, and with it the marker now alone.
	assert.Equal(t, LifecycleReport{NoncurrentRemoved: 1, DeleteMarkersRemoved: 1}, apply(day(4, 0)))
	assert.Empty(t, versions("sanitized", "tmp/"))
	assert.Len(t, versions("sanitized", "other/"), 1, "no rule names other/ (the disabled one would)")
	assert.Equal(t, LifecycleReport{}, apply(day(30, 0)), "nothing more to do")
}

// An upload the input bucket's rules expire is an "Object Deleted" event
// whose reason is "Lifecycle Expiration" and whose requester is S3 itself,
// so the pipeline takes the output down as for a delete.
func TestS3LifecycleExpiryIsAnEvent(t *testing.T) {
	ts := startStackWith(t, Options{LifecycleInterval: -1})
	ctx := context.Background()
	c := ts.s3()
	events := ts.captureEvents(t, `{"source":["aws.s3"],"detail-type":["Object Deleted"]}`)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("photo.jpg"), Body: strings.NewReader("x")})
	require.NoError(t, err)
	require.NoError(t, ts.Objects.PutBucketLifecycle("uploads", []byte(`<LifecycleConfiguration><Rule><ID>r</ID><Prefix></Prefix>`+
		`<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`)))
	rep, err := ts.Objects.ApplyLifecycle(ctx, time.Now().AddDate(0, 0, 2))
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Expired)
	ev := events(1)[0]
	detail := ev["detail"].(map[string]any)
	assert.Equal(t, "Lifecycle Expiration", detail["reason"])
	assert.Equal(t, "s3.amazonaws.com", detail["requester"])
	assert.Equal(t, "Delete Marker Created", detail["deletion-type"])
	assert.NotContains(t, detail, "source-ip-address")
	assert.Equal(t, "photo.jpg", detail["object"].(map[string]any)["key"])
}

// The stack gives buckets their configured rules at start unless they have
// their own, and applies rules in the background.
func TestStackLifecycleDefaultsAndRuns(t *testing.T) {
	dir := t.TempDir()
	past := []byte(`<LifecycleConfiguration><Rule><ID>all</ID><Filter></Filter><Status>Enabled</Status>` +
		`<Expiration><Date>2020-01-01T00:00:00Z</Date></Expiration></Rule></LifecycleConfiguration>`)
	opt := Options{Dir: dir, Lifecycle: map[string][]byte{"staging": past}, LifecycleInterval: 20 * time.Millisecond}
	ts := startStackWith(t, opt)
	ctx := context.Background()
	c := ts.s3()
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("k"), Body: strings.NewReader("x")})
	require.NoError(t, err)
	gone := false
	for range 250 { // 5 s
		if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("staging"), Key: aws.String("k")}); err != nil {
			gone = true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	assert.True(t, gone, "the background pass did not expire the object")

	// A configuration put through the API outlives a restart with defaults.
	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("staging"),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{ID: aws.String("mine"),
			Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("x/")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(5)}}}}})
	require.NoError(t, err)
	ts.Close()
	opt.LifecycleInterval = -1
	ts = startStackWith(t, opt)
	got, err := ts.s3().GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("staging")})
	require.NoError(t, err)
	require.Len(t, got.Rules, 1)
	assert.Equal(t, "mine", aws.ToString(got.Rules[0].ID))
}
