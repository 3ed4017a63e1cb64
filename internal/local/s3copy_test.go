package local

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
)

func (ts *testStack) blob(t *testing.T, bucket, key, id string) string {
	t.Helper()
	v, _, err := ts.front.store.find(bucket, key, gofakes3.VersionID(id))
	if err != nil {
		t.Fatal(err)
	}
	return ts.front.store.blobPath(v.Blob)
}

func (ts *testStack) read(t *testing.T, bucket, key string) (string, *s3.GetObjectOutput) {
	t.Helper()
	out, err := ts.s3().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), out
}

// A copy shares the source's bytes (a hard link, no rewrite; small objects
// live in the database and are stored again), answers as S3 does, takes only
// the request's metadata under REPLACE, and stays whole when its source goes.
func TestCopyObjectSharesTheSourceBytes(t *testing.T) {
	for name, size := range map[string]int{"file": inlineMax + 1, "inline": 100} {
		t.Run(name, func(t *testing.T) {
			ts := startStack(t, "")
			ctx := context.Background()
			c := ts.s3()
			content := strings.Repeat("staged bytes ", size/13+1)[:size]
			key := "staged/ü 写真 a+b %20.jpg"
			src, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String(key), Body: strings.NewReader(content),
				ContentType: aws.String("application/octet-stream"), Metadata: map[string]string{"staged": "yes", "sha256": "old"}})
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.CopyObject(ctx, &s3.CopyObjectInput{
				Bucket: aws.String("sanitized"), Key: aws.String("k.jpg"),
				CopySource:        aws.String("staging/" + strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(key, "%", "%25"), "+", "%2B"), " ", "%20")),
				CopySourceIfMatch: src.ETag, IfNoneMatch: aws.String("*"),
				MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("image/jpeg"),
				Metadata:             map[string]string{"sha256": "new"},
				ServerSideEncryption: types.ServerSideEncryptionAes256,
			})
			if err != nil {
				t.Fatal(err)
			}
			r := out.CopyObjectResult
			if r == nil || aws.ToString(r.ETag) != aws.ToString(src.ETag) || aws.ToTime(r.LastModified).IsZero() ||
				aws.ToString(out.VersionId) == "" || aws.ToString(out.CopySourceVersionId) != "" || out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
				t.Fatalf("copy answered %+v %+v (source etag %s)", out, r, aws.ToString(src.ETag))
			}
			body, got := ts.read(t, "sanitized", "k.jpg")
			if body != content || aws.ToString(got.ContentType) != "image/jpeg" || got.Metadata["sha256"] != "new" || got.Metadata["staged"] != "" ||
				aws.ToString(got.VersionId) != aws.ToString(out.VersionId) || aws.ToString(got.ETag) != aws.ToString(src.ETag) || got.ServerSideEncryption != types.ServerSideEncryptionAes256 {
				t.Errorf("copy reads back %d bytes %+v", len(body), got)
			}
			a, b := ts.blob(t, "staging", key, ""), ts.blob(t, "sanitized", "k.jpg", "")
			if a == b {
				t.Fatalf("the copy's blob has the source's name %s", a)
			}
			if name == "file" {
				sa, err := os.Stat(a)
				if err != nil {
					t.Fatal(err)
				}
				sb, err := os.Stat(b)
				if err != nil {
					t.Fatal(err)
				}
				if !os.SameFile(sa, sb) {
					t.Errorf("the copy's blob %s is not a second name of the source's %s", b, a)
				}
			}
			// Deleting the source removes its name only.
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("staging"), Key: aws.String(key)}); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(a); name == "file" && !os.IsNotExist(err) {
				t.Errorf("the source's blob outlived its version: %v", err)
			}
			if body, _ := ts.read(t, "sanitized", "k.jpg"); body != content {
				t.Errorf("copy after its source was deleted: %d bytes", len(body))
			}
			// Durable: the copy is there after a restart.
			dir := ts.opt.Dir
			ts.Close()
			ts2 := startStack(t, dir)
			if body, _ := ts2.read(t, "sanitized", "k.jpg"); body != content {
				t.Errorf("copy after reopen: %d bytes", len(body))
			}
		})
	}
}

// x-amz-copy-source ?versionId= picks the version; the copy-source and
// destination conditions are S3's.
func TestCopyObjectVersionsAndConditions(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	c := ts.s3()
	var vs []*s3.PutObjectOutput
	for _, body := range []string{"one", "two"} {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sanitized"), Key: aws.String("v.jpg"), Body: strings.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, out)
	}
	dst := "copy.jpg"
	cp := func(mod func(in *s3.CopyObjectInput)) (*s3.CopyObjectOutput, error) {
		in := &s3.CopyObjectInput{Bucket: aws.String("sanitized"), Key: aws.String(dst),
			CopySource: aws.String("sanitized/v.jpg?versionId=" + aws.ToString(vs[0].VersionId))}
		mod(in)
		return c.CopyObject(ctx, in)
	}
	out, err := cp(func(*s3.CopyObjectInput) {})
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := ts.read(t, "sanitized", dst); body != "one" || aws.ToString(out.CopySourceVersionId) != aws.ToString(vs[0].VersionId) ||
		aws.ToString(out.CopyObjectResult.ETag) != aws.ToString(vs[0].ETag) {
		t.Fatalf("copy of version 1: %q %+v", body, out)
	}
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	for name, tc := range map[string]struct {
		mod  func(in *s3.CopyObjectInput)
		code string
	}{
		"source if-match other version": {func(in *s3.CopyObjectInput) { in.CopySourceIfMatch = vs[1].ETag }, "PreconditionFailed"},
		"source if-none-match":          {func(in *s3.CopyObjectInput) { in.CopySourceIfNoneMatch = vs[0].ETag }, "PreconditionFailed"},
		"source if-modified-since":      {func(in *s3.CopyObjectInput) { in.CopySourceIfModifiedSince = &future }, "PreconditionFailed"},
		"source if-unmodified-since":    {func(in *s3.CopyObjectInput) { in.CopySourceIfUnmodifiedSince = &past }, "PreconditionFailed"},
		"if-match wins over unmodified-since": {func(in *s3.CopyObjectInput) {
			in.CopySourceIfMatch, in.CopySourceIfUnmodifiedSince = vs[0].ETag, &past
		}, ""},
		"if-none-match and modified-since": {func(in *s3.CopyObjectInput) {
			in.CopySourceIfNoneMatch, in.CopySourceIfModifiedSince = vs[0].ETag, &past
		}, "PreconditionFailed"},
		"source modified since": {func(in *s3.CopyObjectInput) { in.CopySourceIfModifiedSince = &past }, ""},
		"missing version": {func(in *s3.CopyObjectInput) {
			in.CopySource = aws.String("sanitized/v.jpg?versionId=nope")
		}, "NoSuchVersion"},
		"missing key":              {func(in *s3.CopyObjectInput) { in.CopySource = aws.String("sanitized/none.jpg") }, "NoSuchKey"},
		"missing bucket":           {func(in *s3.CopyObjectInput) { in.CopySource = aws.String("nobucket/v.jpg") }, "NoSuchBucket"},
		"destination exists":       {func(in *s3.CopyObjectInput) { in.IfNoneMatch = aws.String("*") }, "PreconditionFailed"},
		"destination etag differs": {func(in *s3.CopyObjectInput) { in.IfMatch = vs[1].ETag }, "PreconditionFailed"},
		"destination etag matches": {func(in *s3.CopyObjectInput) { in.IfMatch = vs[0].ETag }, ""},
		"onto itself unchanged": {func(in *s3.CopyObjectInput) {
			in.CopySource = aws.String("sanitized/" + dst)
		}, "InvalidRequest"},
		"onto itself, new metadata": {func(in *s3.CopyObjectInput) {
			in.CopySource, in.MetadataDirective, in.Metadata = aws.String("sanitized/"+dst), types.MetadataDirectiveReplace, map[string]string{"x": "1"}
		}, ""},
	} {
		if _, err := cp(tc.mod); apiCode(err) != tc.code {
			t.Errorf("%s: %v, want %q", name, err, tc.code)
		}
	}
	// Copying an older version onto its own key restores it.
	restored, err := cp(func(in *s3.CopyObjectInput) { in.Key = aws.String("v.jpg") })
	if err != nil {
		t.Fatalf("restore version 1: %v", err)
	}
	if body, got := ts.read(t, "sanitized", "v.jpg"); body != "one" || aws.ToString(got.VersionId) != aws.ToString(restored.VersionId) {
		t.Errorf("after restoring version 1: %q %+v", body, got)
	}
	// A delete marker cannot be copied by its version ID.
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("sanitized"), Key: aws.String("v.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cp(func(in *s3.CopyObjectInput) {
		in.CopySource = aws.String("sanitized/v.jpg?versionId=" + aws.ToString(del.VersionId))
	}); apiCode(err) != "InvalidRequest" {
		t.Errorf("copy of a delete marker: %v", err)
	}
	if _, err := cp(func(in *s3.CopyObjectInput) { in.CopySource = aws.String("sanitized/v.jpg") }); apiCode(err) != "NoSuchKey" {
		t.Errorf("copy of a deleted key: %v", err)
	}
}

// MetadataDirective COPY (the default) keeps the source's content type and
// metadata and ignores the request's.
func TestCopyObjectMetadataDirectiveCopy(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	c := ts.s3()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("s"), Body: strings.NewReader("x"),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"a": "1"}, ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
		t.Fatal(err)
	}
	out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("staging"), Key: aws.String("d"), CopySource: aws.String("staging/s"),
		ContentType: aws.String("image/jpeg"), Metadata: map[string]string{"b": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	_, got := ts.read(t, "staging", "d")
	if aws.ToString(got.ContentType) != "text/plain" || got.Metadata["a"] != "1" || got.Metadata["b"] != "" ||
		got.ServerSideEncryption != "" || out.ServerSideEncryption != "" || aws.ToString(out.VersionId) != "" {
		t.Errorf("copy with the COPY directive: %+v %+v", got, out)
	}
}

// A copy into the input bucket is an upload: Object Created, reason CopyObject,
// carrying the copy's version, size and ETag.
func TestCopyObjectEmitsObjectCreated(t *testing.T) {
	ts := startStack(t, "")
	events := ts.captureEvents(t, `{"source":["aws.s3"]}`)
	ctx := context.Background()
	c := ts.s3()
	src, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("s.jpg"), Body: strings.NewReader("12345")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("uploads"), Key: aws.String("u.jpg"), CopySource: aws.String("staging/s.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	ev := events(1)[0]
	d := ev["detail"].(map[string]any)
	obj := d["object"].(map[string]any)
	if ev["detail-type"] != "Object Created" || d["reason"] != "CopyObject" || obj["key"] != "u.jpg" || obj["size"] != float64(5) ||
		obj["version-id"] != aws.ToString(out.VersionId) || `"`+obj["etag"].(string)+`"` != aws.ToString(src.ETag) ||
		d["request-id"] == "" || d["source-ip-address"] != "127.0.0.1" {
		t.Errorf("event %v, copy %+v", ev, out)
	}
}

// The AWS CLI's copy-object, as an operator would publish by hand.
func TestCopyObjectAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed: skipping")
	}
	ts := startStack(t, "")
	ctx := context.Background()
	v1, err := ts.s3().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sanitized"), Key: aws.String("a b+c.jpg"), Body: strings.NewReader("first")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.s3().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sanitized"), Key: aws.String("a b+c.jpg"), Body: strings.NewReader("second")}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("aws", "--endpoint-url", ts.url, "--output", "json", "s3api", "copy-object",
		"--bucket", "sanitized", "--key", "cli.jpg", "--copy-source", "sanitized/a b+c.jpg?versionId="+aws.ToString(v1.VersionId),
		"--metadata-directive", "REPLACE", "--content-type", "image/jpeg", "--metadata", "origin=cli", "--if-none-match", "*")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=cli", "AWS_SECRET_ACCESS_KEY=cli", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	raw, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws s3api copy-object: %v\n%s", err, raw)
	}
	var out struct {
		CopySourceVersionId, VersionId string
		CopyObjectResult               struct{ ETag string }
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	body, got := ts.read(t, "sanitized", "cli.jpg")
	if body != "first" || out.CopySourceVersionId != aws.ToString(v1.VersionId) || out.VersionId != aws.ToString(got.VersionId) ||
		out.CopyObjectResult.ETag != aws.ToString(v1.ETag) || got.Metadata["origin"] != "cli" || aws.ToString(got.ContentType) != "image/jpeg" {
		t.Errorf("cli copy: %s; reads back %q %+v", raw, body, got)
	}
}
