package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// sample is one generated photo for `run --samples`.
type sample struct {
	key  string
	body []byte
}

// samplePhotos builds photos shaped like phone and camera uploads: Exif with
// GPS, serial numbers, owner names and an embedded thumbnail, XMP, comments.
func samplePhotos() []sample {
	thumb := jpegfixture.Baseline(32, 24, 7)
	phone := jpegfixture.New(jpegfixture.Baseline(640, 480, 1)).Add(
		jpegfixture.Exif(jpegfixture.ExifSpec{Order: binary.LittleEndian, Orientation: 1, Make: "Apple", Model: "iPhone 15 Pro",
			Software: "17.1", DateTimeOriginal: "2026:07:14 18:02:11", GPS: true, ImageUniqueID: "A1B2C3D4E5F6", Thumbnail: thumb}),
		jpegfixture.XMP(`<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.5N" exif:GPSLongitude="2,17.4E"/>`),
	).Bytes()
	camera := jpegfixture.New(jpegfixture.Baseline(800, 600, 2)).Add(
		jpegfixture.JFIF(0, 0),
		jpegfixture.Exif(jpegfixture.ExifSpec{Make: "Canon", Model: "EOS R6", SerialNumber: "042021001234", OwnerName: "Jane Photographer",
			Artist: "Jane Photographer", GPS: true, MakerNote: bytes.Repeat([]byte{0x5a}, 512), Thumbnail: thumb}),
		jpegfixture.Comment("shot at 12 Rue Example, Paris"),
	).Bytes()
	scan := jpegfixture.New(jpegfixture.Gray(512, 512, 3)).Add(
		jpegfixture.Exif(jpegfixture.ExifSpec{Software: "ScanTool 2.0", Artist: "Archive Dept.", DateTime: "2026:01:02 03:04:05"}),
		jpegfixture.Comment("internal ref 7731-B"),
	).Bytes()
	return []sample{{"samples/phone photo.jpg", phone}, {"samples/camera+serial.JPG", camera}, {"samples/scan 100%.jpeg", scan}}
}

// uploadSamples uploads the samples through the S3 API, waits for the pipeline
// to publish each to the output bucket, and prints what was removed.
func uploadSamples(ctx context.Context, m *Main, w io.Writer) error {
	c := s3.NewFromConfig(m.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	photos := samplePhotos()
	fmt.Fprintf(w, "\nuploading %d sample photos to s3://%s/ ...\n", len(photos), m.InputBucket)
	for _, p := range photos {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(m.InputBucket), Key: aws.String(p.key),
			Body: bytes.NewReader(p.body), ContentType: aws.String("image/jpeg")}); err != nil {
			return fmt.Errorf("upload %s: %w", p.key, err)
		}
	}
	policy := metadata.DefaultPolicy()
	for _, p := range photos {
		out, err := waitForOutput(ctx, c, m.OutputBucket, p.key, 30*time.Second)
		if err != nil {
			return err
		}
		before, err := metadata.Inspect(bytes.NewReader(p.body), policy)
		if err != nil {
			return fmt.Errorf("inspect %s: %w", p.key, err)
		}
		after, err := metadata.Inspect(bytes.NewReader(out), policy)
		if err != nil {
			return fmt.Errorf("inspect output %s: %w", p.key, err)
		}
		fmt.Fprintf(w, "\n  s3://%s/%s  →  s3://%s/%s\n", m.InputBucket, p.key, m.OutputBucket, p.key)
		fmt.Fprintf(w, "    before: %6d bytes, metadata: %s\n", before.Bytes, kinds(before))
		fmt.Fprintf(w, "            sensitive tags: %s\n", list(before.SensitiveTags))
		fmt.Fprintf(w, "    after:  %6d bytes, metadata: %s, clean=%v, same image data=%v\n",
			after.Bytes, kinds(after), after.Clean, after.ImageDigest == before.ImageDigest)
	}
	return nil
}

func kinds(in *metadata.Inspection) string {
	var ks []string
	for _, r := range in.Metadata {
		ks = append(ks, fmt.Sprintf("%s (%d B)", r.Kind, r.Bytes))
	}
	return list(ks)
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	s = append([]string(nil), s...)
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// waitForOutput polls the output bucket until the key appears.
func waitForOutput(ctx context.Context, c *s3.Client, bucket, key string, limit time.Duration) ([]byte, error) {
	deadline := time.Now().Add(limit)
	for {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err == nil {
			defer out.Body.Close()
			return io.ReadAll(out.Body)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("s3://%s/%s did not appear within %s: %w", bucket, key, limit, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
