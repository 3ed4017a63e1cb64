package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// Keys with spaces, '+', '%' and unicode reach bucket B unchanged and clean.
func TestUploadsAreSanitizedWithAwkwardKeys(t *testing.T) {
	s := start(t, t.TempDir())
	c := s.s3()
	keys := []string{"a b+c%20.jpg", "100% real.JPG", "ünïcødé/写真 1.jpeg", "plus+plus.jpg", "deep/dir/x.jpg"}
	sources := map[string][]byte{}
	for i, k := range keys {
		sources[k] = photo(uint32(i + 1))
		put(t, c, k, sources[k])
	}
	for _, k := range keys {
		out := output(t, c, k)
		in, err := metadata.Inspect(bytes.NewReader(out), metadata.DefaultPolicy())
		if err != nil || !in.Clean || len(in.SensitiveTags) > 0 {
			t.Errorf("%q: output not clean: %v %+v", k, err, in)
		}
		src, _ := metadata.Inspect(bytes.NewReader(sources[k]), metadata.DefaultPolicy())
		if in.ImageDigest != src.ImageDigest {
			t.Errorf("%q: image data changed", k)
		}
		exiftoolClean(t, out)
	}
	list, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(outputBucket)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, o := range list.Contents {
		got[aws.ToString(o.Key)] = true
	}
	for _, k := range keys {
		if !got[k] {
			t.Errorf("listing of B lacks %q: %v", k, got)
		}
	}
}

// exiftoolClean asks exiftool, an independent parser, for privacy tags.
func exiftoolClean(t *testing.T, jpg []byte) {
	t.Helper()
	if _, err := exec.LookPath("exiftool"); err != nil {
		return
	}
	f := filepath.Join(t.TempDir(), "out.jpg")
	if err := writeFile(f, jpg); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("exiftool", "-j", "-G", "-a", f).Output()
	if err != nil {
		t.Fatalf("exiftool: %v", err)
	}
	for _, tag := range []string{"GPS", "SerialNumber", "Make", "Comment", "ThumbnailImage"} {
		if strings.Contains(string(out), tag) {
			t.Errorf("exiftool still finds %s:\n%s", tag, out)
		}
	}
}

func TestFailedUploadIsNotifiedAndAudited(t *testing.T) {
	s := start(t, t.TempDir())
	c := s.s3()
	put(t, c, "broken.jpg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F'}) // truncated JPEG
	sc := s.sfn()
	var arn string
	for deadline := time.Now().Add(30 * time.Second); arn == ""; time.Sleep(25 * time.Millisecond) {
		l, err := sc.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(machineArn), StatusFilter: sfntypes.ExecutionStatusFailed})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Executions) > 0 {
			arn = aws.ToString(l.Executions[0].ExecutionArn)
		}
		if time.Now().After(deadline) {
			t.Fatal("no failed execution")
		}
	}
	// The audit command reads the records through the S3 API of the running stack.
	out, err := exec.Command(binary, "audit", "--endpoint-url", s.url, "--execution", arn, "--json").Output()
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	var recs []struct {
		Step    string
		Outcome string
		Error   *struct{ Name string }
	}
	if err := json.Unmarshal(out, &recs); err != nil || len(recs) == 0 {
		t.Fatalf("audit output %s: %v", out, err)
	}
	if recs[0].Step != "validate" || recs[0].Outcome != "failed" || recs[0].Error == nil || recs[0].Error.Name != "Truncated" {
		t.Errorf("validate record: %+v", recs[0])
	}
	// The failure topic published a notification naming the key (the console's log).
	status, _, body := rawRequest(t, "GET", s.url+"/_console/notifications", nil, "")
	if status != 200 || !strings.Contains(body, "broken.jpg") {
		t.Errorf("console notifications: %d %.300s", status, body)
	}
}

// Deleting an upload from A removes its sanitized copy from B (Object Deleted →
// Unpublish), so B never serves a photo its owner took down.
func TestDeleteUnpublishes(t *testing.T) {
	s := start(t, t.TempDir())
	c := s.s3()
	put(t, c, "gone soon.jpg", photo(41))
	output(t, c, "gone soon.jpg")
	if _, err := c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(inputBucket), Key: aws.String("gone soon.jpg")}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(25 * time.Millisecond) {
		_, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(outputBucket), Key: aws.String("gone soon.jpg")})
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sanitized copy is still in B after the upload was deleted")
		}
	}
}
