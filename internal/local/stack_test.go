package local

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

type testStack struct {
	*Stack
	url string
	cfg aws.Config
}

func startStack(t testing.TB, dir string) *testStack {
	t.Helper()
	return startStackWith(t, Options{Dir: dir})
}

// startStackWith starts a stack with the test buckets and opt's other settings.
func startStackWith(t testing.TB, opt Options) *testStack {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	opt.InputBucket, opt.Buckets, opt.Versioned = "uploads", []string{"uploads", "sanitized", "staging"}, []string{"uploads", "sanitized"}
	st, err := Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(st)
	st.SetEndpoint(srv.URL)
	if _, err := st.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(srv.URL)}
	return &testStack{Stack: st, url: srv.URL, cfg: cfg}
}

func (ts *testStack) s3() *s3.Client {
	return s3.NewFromConfig(ts.cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// captureEvents routes every event matching pattern to an SNS topic and
// returns a function reading what arrived there.
func (ts *testStack) captureEvents(t *testing.T, pattern string) func(n int) []map[string]any {
	t.Helper()
	ctx := context.Background()
	topic, err := sns.NewFromConfig(ts.cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("capture")})
	if err != nil {
		t.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(ts.cfg)
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("capture"), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("capture"), Targets: []ebtypes.Target{{Id: aws.String("t"), Arn: topic.TopicArn}}}); err != nil {
		t.Fatal(err)
	}
	return func(n int) []map[string]any {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			msgs, err := ts.SNS.Messages()
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) >= n || time.Now().After(deadline) {
				var out []map[string]any
				for i := len(msgs) - 1; i >= 0; i-- {
					var ev map[string]any
					if err := json.Unmarshal([]byte(msgs[i].Message), &ev); err != nil {
						t.Fatal(err)
					}
					out = append(out, ev)
				}
				if len(out) < n {
					t.Fatalf("got %d events, want %d", len(out), n)
				}
				return out
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Uploads of one key at the same moment each get their event, carrying the
// request ID of one of the uploads' responses. The stack once read another
// in-flight upload's response header to find it, while that upload's handler
// wrote it: a fatal concurrent map access (run with -race).
func TestConcurrentUploadsOfOneKey(t *testing.T) {
	ts := startStack(t, "")
	events := ts.captureEvents(t, `{"source":["aws.s3"]}`)
	c := ts.s3()
	const writers, each = 6, 10
	var mu sync.Mutex
	ids := map[string]bool{}
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				out, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("same.jpg"), Body: strings.NewReader("x")})
				if err != nil {
					t.Error(err)
					return
				}
				id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
				mu.Lock()
				ids[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	versions := map[string]bool{}
	for _, ev := range events(writers * each) {
		d := ev["detail"].(map[string]any)
		versions[d["object"].(map[string]any)["version-id"].(string)] = true
		if id, _ := d["request-id"].(string); !ids[id] {
			t.Errorf("event request-id %q is none of the uploads' responses", id)
		}
	}
	if len(versions) != writers*each || len(ids) != writers*each {
		t.Errorf("%d versions in events, %d request IDs in responses; want %d of each", len(versions), len(ids), writers*each)
	}
}

func TestS3PutEmitsObjectCreated(t *testing.T) {
	ts := startStack(t, "")
	events := ts.captureEvents(t, `{"source":["aws.s3"]}`)
	ctx := context.Background()
	c := ts.s3()
	keys := []string{"a b+c%20.jpg", "dir/ünïcødé 写真.JPG", "plain.jpg"}
	versions := map[string]string{}
	for _, k := range keys {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String(k), Body: strings.NewReader("data:" + k), ContentType: aws.String("image/jpeg")})
		if err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
		if aws.ToString(out.VersionId) == "" {
			t.Fatalf("put %q: no version id on a versioned bucket", k)
		}
		versions[k] = aws.ToString(out.VersionId)
	}
	got := events(len(keys))
	for _, ev := range got {
		if ev["detail-type"] != "Object Created" || ev["source"] != "aws.s3" || ev["version"] != "0" {
			t.Errorf("envelope: %v", ev)
		}
		d := ev["detail"].(map[string]any)
		obj := d["object"].(map[string]any)
		key := obj["key"].(string)
		if versions[key] == "" || obj["version-id"] != versions[key] {
			t.Errorf("event for key %q version %v, want one of the uploads", key, obj["version-id"])
		}
		if d["reason"] != "PutObject" || d["bucket"].(map[string]any)["name"] != "uploads" || obj["size"].(float64) != float64(len("data:"+key)) {
			t.Errorf("detail: %v", d)
		}
		if d["source-ip-address"] != "127.0.0.1" || d["request-id"] == "" || len(obj["sequencer"].(string)) != 16 {
			t.Errorf("detail: %v", d)
		}
		// The key round-trips: GetObject with the event's key and version returns the bytes.
		g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key), VersionId: aws.String(obj["version-id"].(string))})
		if err != nil {
			t.Fatalf("get %q: %v", key, err)
		}
		b, _ := io.ReadAll(g.Body)
		if string(b) != "data:"+key || aws.ToString(g.ContentType) != "image/jpeg" {
			t.Errorf("get %q: %q %q", key, b, aws.ToString(g.ContentType))
		}
	}
}

func TestS3SequencerIncreasesPerKeyAndDeletes(t *testing.T) {
	ts := startStack(t, "")
	events := ts.captureEvents(t, `{"source":["aws.s3"]}`)
	ctx := context.Background()
	c := ts.s3()
	for i := 0; i < 3; i++ {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("k.jpg"), Body: bytes.NewReader([]byte{byte(i)})}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("uploads"), Key: aws.String("copy.jpg"), CopySource: aws.String("uploads/k.jpg")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("uploads"), Key: aws.String("k.jpg")}); err != nil {
		t.Fatal(err)
	}
	got := events(5)
	last := ""
	var reasons []string
	for _, ev := range got {
		d := ev["detail"].(map[string]any)
		obj := d["object"].(map[string]any)
		reasons = append(reasons, d["reason"].(string))
		if obj["key"] != "k.jpg" {
			continue
		}
		seq := obj["sequencer"].(string)
		if seq <= last {
			t.Errorf("sequencer %s not after %s", seq, last)
		}
		last = seq
	}
	del := got[4]
	if del["detail-type"] != "Object Deleted" || del["detail"].(map[string]any)["deletion-type"] != "Delete Marker Created" {
		t.Errorf("delete event: %v", del)
	}
	if _, hasSize := del["detail"].(map[string]any)["object"].(map[string]any)["size"]; hasSize {
		t.Error("Object Deleted carries no size")
	}
	if strings.Join(reasons, ",") != "PutObject,PutObject,PutObject,CopyObject,DeleteObject" {
		t.Errorf("reasons %v", reasons)
	}
	// The latest version is a delete marker: GET is NoSuchKey; listing versions shows 3 + marker.
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("uploads"), Key: aws.String("k.jpg")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchKey" {
		t.Errorf("get deleted: %v", err)
	}
	vs, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("uploads"), Prefix: aws.String("k.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Versions) != 3 || len(vs.DeleteMarkers) != 1 {
		t.Errorf("versions %d markers %d", len(vs.Versions), len(vs.DeleteMarkers))
	}
}

func TestS3ConditionalPutAndOtherBuckets(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	c := ts.s3()
	put := func() error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("once"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
		return err
	}
	if err := put(); err != nil {
		t.Fatal(err)
	}
	var ae smithy.APIError
	if err := put(); !errors.As(err, &ae) || ae.ErrorCode() != "PreconditionFailed" {
		t.Fatalf("second If-None-Match put: %v", err)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("staging")})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	if msgs, _ := ts.SNS.Messages(); len(msgs) != 0 {
		t.Errorf("writes outside the input bucket emitted events: %v", msgs)
	}
}

func TestS3SurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ts := startStack(t, dir)
	ctx := context.Background()
	if _, err := ts.s3().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sanitized"), Key: aws.String("x.jpg"), Body: strings.NewReader("kept")}); err != nil {
		t.Fatal(err)
	}
	ts.Close()
	ts2 := startStack(t, dir)
	g, err := ts2.s3().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("sanitized"), Key: aws.String("x.jpg"), Range: aws.String("bytes=1-2")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(g.Body)
	if string(b) != "ep" {
		t.Errorf("range read after reopen: %q", b)
	}
}

func asErr(err error, target any) bool { return errors.As(err, target) }

// A copy answers with the version it created, in any versioned bucket.
func TestCopyReturnsTheNewVersion(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	c := ts.s3()
	src, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sanitized"), Key: aws.String("src.jpg"), Body: strings.NewReader("x")})
	if err != nil {
		t.Fatal(err)
	}
	for _, bucket := range []string{"sanitized", "uploads"} {
		out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy.jpg"), CopySource: aws.String("sanitized/src.jpg")})
		if err != nil {
			t.Fatal(err)
		}
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy.jpg")})
		if err != nil {
			t.Fatal(err)
		}
		if v := aws.ToString(out.VersionId); v == "" || v == aws.ToString(src.VersionId) || v != aws.ToString(h.VersionId) {
			t.Errorf("%s: copy answered version %q; source %q, stored %q", bucket, v, aws.ToString(src.VersionId), aws.ToString(h.VersionId))
		}
	}
}

// HeadObject with a VersionId describes that version, not the latest.
func TestHeadObjectVersion(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	c := ts.s3()
	var ids []string
	for _, body := range []string{"first", "second, longer"} {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sanitized"), Key: aws.String("v.jpg"), Body: strings.NewReader(body),
			Metadata: map[string]string{"body": body}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.VersionId))
	}
	for i, body := range []string{"first", "second, longer"} {
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sanitized"), Key: aws.String("v.jpg"), VersionId: aws.String(ids[i])})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(h.VersionId) != ids[i] || aws.ToInt64(h.ContentLength) != int64(len(body)) || h.Metadata["body"] != body {
			t.Errorf("head version %d: %s %d %v", i, aws.ToString(h.VersionId), aws.ToInt64(h.ContentLength), h.Metadata)
		}
	}
	_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sanitized"), Key: aws.String("v.jpg"), VersionId: aws.String("nope")})
	if apiCode(err) != "NotFound" {
		t.Errorf("missing version: %v", err)
	}
}

// The ETag a PUT answers with and the one HEAD and LIST report later are the
// MD5 of the bytes (computed once per PUT, see writeBlob); a wrong Content-MD5
// stores nothing.
func TestS3ETagIsContentMD5(t *testing.T) {
	ts := startStack(t, "")
	ctx := context.Background()
	c := ts.s3()
	body := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 640 KB: several copy buffers
	want := fmt.Sprintf(`"%x"`, md5.Sum(body))
	for _, key := range []string{"signed", "unsigned-payload"} {
		in := &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String(key), Body: bytes.NewReader(body)}
		var opts []func(*s3.Options)
		if key == "unsigned-payload" {
			opts = append(opts, func(o *s3.Options) {
				o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
			})
		}
		put, err := c.PutObject(ctx, in, opts...)
		require.NoError(t, err, key)
		assert.Equal(t, want, aws.ToString(put.ETag), key)
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("staging"), Key: aws.String(key)})
		require.NoError(t, err, key)
		assert.Equal(t, want, aws.ToString(head.ETag), key)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("staging")})
	require.NoError(t, err)
	require.Len(t, list.Contents, 2)
	for _, o := range list.Contents {
		assert.Equal(t, want, aws.ToString(o.ETag), aws.ToString(o.Key))
	}

	wrong := md5.Sum([]byte("other bytes"))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("bad-digest"),
		Body: bytes.NewReader(body), ContentMD5: aws.String(base64.StdEncoding.EncodeToString(wrong[:]))})
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "BadDigest", ae.ErrorCode())
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("staging"), Key: aws.String("bad-digest")})
	assert.Error(t, err, "a body failing its Content-MD5 must not be stored")
}

// Small objects (audit records) live in the metadata database: they read back
// whole and by range, survive a reopen, and the bytes of a replaced or deleted
// version go with it.
func TestS3SmallObjectsInline(t *testing.T) {
	dir := t.TempDir()
	ts := startStack(t, dir)
	ctx := context.Background()
	c := ts.s3()
	small := []byte(`{"step":"validate","outcome":"succeeded"}`)
	edge := bytes.Repeat([]byte("e"), inlineMax)
	for key, body := range map[string][]byte{"a.json": small, "edge.bin": edge, "empty": {}} {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String(key), Body: bytes.NewReader(body)})
		require.NoError(t, err, key)
	}
	inline := func() int {
		n := 0
		require.NoError(t, ts.Objects.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(inlineKey).Stats().KeyN; return nil }))
		return n
	}
	assert.Equal(t, 3, inline())
	assert.Empty(t, must(os.ReadDir(filepath.Join(dir, "s3", "blobs"))), "no file for a small object")

	// Replace one (unversioned bucket) and delete another: their bytes go.
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("a.json"), Body: bytes.NewReader(append(small, '\n'))})
	require.NoError(t, err)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("staging"), Key: aws.String("edge.bin")})
	require.NoError(t, err)
	assert.Equal(t, 2, inline())

	ts.Close()
	ts = startStack(t, dir)
	c = ts.s3()
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("staging"), Key: aws.String("a.json")})
	require.NoError(t, err)
	assert.Equal(t, append(small, '\n'), must(io.ReadAll(get.Body)))
	get, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("staging"), Key: aws.String("a.json"), Range: aws.String("bytes=2-5")})
	require.NoError(t, err)
	assert.Equal(t, "step", string(must(io.ReadAll(get.Body))))
	get, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("staging"), Key: aws.String("empty")})
	require.NoError(t, err)
	assert.Empty(t, must(io.ReadAll(get.Body)))

	// A small body failing its Content-MD5 is refused and stores nothing.
	wrong := md5.Sum([]byte("other"))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("bad.json"), Body: bytes.NewReader(small),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(wrong[:]))})
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "BadDigest", ae.ErrorCode())
	assert.Equal(t, 2, inline())

	// One byte over the limit goes to a file.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("big.bin"), Body: bytes.NewReader(append(edge, 'x'))})
	require.NoError(t, err)
	assert.Len(t, must(os.ReadDir(filepath.Join(dir, "s3", "blobs"))), 1)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
