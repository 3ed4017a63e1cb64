package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// verdict is what check found for one output version.
type verdict struct {
	out        outputVersion
	sourceVer  string
	clean      bool
	digest     string
	err        error
	leak       bool   // the output parses and holds metadata the policy removes
	unread     bool   // the output could not be read: nothing is known of it
	body       []byte // kept for the exiftool sample
	wantDigest string
}

// outputVersion is one version of one key in the output bucket.
type outputVersion struct {
	key, version string
	latest       bool
}

// check judges every key once the run has settled: it reads every output in
// the output bucket under the prefix (every version), proves each clean and,
// for the keys that settled clean, equal in image data to a local Strip of
// the upload; counts uploads published more than once; and has exiftool look
// at a sample.
func check(ctx context.Context, cfg Config, c *s3.Client, co *Corpus, keys []*tracked, sum *Summary, logf func(string, ...any)) error {
	byKey := map[string]*tracked{}
	for _, t := range keys {
		byKey[t.item.Key] = t
		switch {
		case t.item.Kind.Hostile():
			sum.Hostile++
		default:
			sum.Photos++
		}
		if t.item.Versions > 1 {
			sum.StormKeys++
		}
		if len(t.versions) > 0 {
			sum.Uploaded++
		}
	}
	if sum.Uploaded > 0 {
		sum.AvgSizeKB = float64(sum.BytesUploaded) / float64(sum.Uploaded) / 1024
	}

	// Every output version under the prefix.
	var outs []outputVersion
	versionsOf := map[string]int{}
	listed := map[string]bool{}
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(cfg.OutputBucket), Prefix: aws.String(cfg.Corpus.Prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list output versions: %w", err)
		}
		for _, v := range page.Versions {
			k, id := aws.ToString(v.Key), aws.ToString(v.VersionId)
			if listed[k+"\x00"+id] {
				// A listing that repeats a version is the store's fault, not
				// a second publication: report it, check the version once.
				sum.problem(k, "ListObjectVersions returned version %s twice", id)
				continue
			}
			listed[k+"\x00"+id] = true
			outs = append(outs, outputVersion{k, id, aws.ToBool(v.IsLatest)})
			versionsOf[k]++
		}
	}
	logf("checking %d output versions of %d keys", len(outs), len(versionsOf))

	var (
		mu       sync.Mutex
		verdicts []verdict
		sample   []verdict
		wg       sync.WaitGroup
	)
	work := make(chan outputVersion)
	// More workers than cores: under injected S3 latency the reads, not the
	// checks, take the time.
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				v := verdict{out: o}
				body, meta, err := get(ctx, c, cfg.OutputBucket, o.key, o.version)
				if err != nil {
					v.err, v.unread = err, true
				} else {
					v.sourceVer = meta["source-version-id"]
					ins, err := metadata.Inspect(bytes.NewReader(body), *cfg.Policy)
					if err != nil {
						v.err = fmt.Errorf("output does not parse: %w", err)
					} else {
						v.clean, v.digest = ins.Clean, ins.ImageDigest
						if !ins.Clean {
							v.leak = true
							v.err = fmt.Errorf("output holds metadata: %s", strings.Join(ins.Problems, "; "))
						}
					}
				}
				if t := byKey[o.key]; t != nil && v.err == nil && !t.item.Kind.Hostile() {
					if idx, ok := t.versions[v.sourceVer]; ok {
						var out bytes.Buffer
						rep, err := metadata.Strip(&out, bytes.NewReader(co.Body(t.item, idx)), *cfg.Policy)
						if err != nil {
							v.err = fmt.Errorf("local strip of the upload: %w", err)
						} else {
							v.wantDigest = rep.ImageDigest
						}
					}
				}
				mu.Lock()
				if v.err == nil && v.clean && len(sample) < cfg.ExiftoolSample {
					v.body = body
					sample = append(sample, v)
				}
				verdicts = append(verdicts, v)
				mu.Unlock()
			}
		}()
	}
	for _, o := range outs {
		work <- o
	}
	close(work)
	wg.Wait()

	// Judge.
	published := map[string]map[string]int{} // key → source version → count
	for _, v := range verdicts {
		t := byKey[v.out.key]
		if v.err != nil {
			switch {
			case v.leak:
				sum.Leaked++
				sum.problem(v.out.key, "leaked: version %s: %v", v.out.version, v.err)
			case v.unread:
				sum.Unchecked++
				sum.problem(v.out.key, "unchecked: version %s: %v", v.out.version, v.err)
			default:
				sum.WrongOutput++
				sum.problem(v.out.key, "version %s: %v", v.out.version, v.err)
			}
			continue
		}
		if t == nil {
			continue // an output of a key this run did not upload
		}
		if t.item.Kind.Hostile() {
			sum.WrongOutput++
			sum.problem(v.out.key, "a hostile upload (%s) was published", t.item.Kind)
			continue
		}
		if published[v.out.key] == nil {
			published[v.out.key] = map[string]int{}
		}
		published[v.out.key][v.sourceVer]++
		if v.wantDigest != "" && v.digest != v.wantDigest {
			sum.WrongOutput++
			sum.problem(v.out.key, "version %s: image data differs from a local strip of the upload", v.out.version)
		}
		if v.out.latest && t.settled && t.clean && v.sourceVer != t.expected {
			sum.WrongOutput++
			sum.problem(v.out.key, "the output is from version %s, the newest upload is %s", v.sourceVer, t.expected)
		}
	}
	for k, m := range published {
		for ver, n := range m {
			if n > 1 {
				sum.Duplicates += n - 1
				sum.problem(k, "source version %s published %d times", ver, n)
			}
		}
	}
	for _, t := range keys {
		switch {
		case t.clean:
			sum.Clean++
			if t.item.Kind.Hostile() {
				sum.problem(t.item.Key, "settled clean although %s", t.item.Kind)
			}
		case t.notified:
			sum.RejectedAndNotified++
			if !t.item.Kind.Hostile() {
				sum.PhotosRejected++
			}
		default:
			sum.Lost++
			sum.problem(t.item.Key, "lost: %s, expected version %q, no output and no notification", t.item.Kind, t.expected)
		}
	}
	if len(sample) > 0 {
		n, findings, err := exiftool(sample)
		if err != nil {
			logf("exiftool: %v", err)
		}
		sum.ExiftoolChecked = n
		for _, f := range findings {
			sum.ExiftoolFindings++
			sum.Leaked++
			sum.problem(f, "exiftool finds metadata the policy removes")
		}
	}
	return nil
}

func get(ctx context.Context, c *s3.Client, bucket, key, version string) ([]byte, map[string]string, error) {
	var lastErr error
	for try := 0; try < 10; try++ {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(version)})
		if err != nil {
			lastErr = err
			if ctx.Err() != nil {
				break
			}
			continue
		}
		body, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil {
			lastErr = err
			continue
		}
		return body, out.Metadata, nil
	}
	return nil, nil, fmt.Errorf("get %s@%s: %w", key, version, lastErr)
}

// exiftool writes the sample to a temporary directory and reads all of it
// with one exiftool run; it returns how many files it checked and the keys
// of those where exiftool reports metadata the policy removes. Without
// exiftool it checks nothing.
func exiftool(sample []verdict) (int, []string, error) {
	if _, err := exec.LookPath("exiftool"); err != nil {
		return 0, nil, nil
	}
	dir, err := os.MkdirTemp("", "loadgen-exiftool-")
	if err != nil {
		return 0, nil, err
	}
	defer os.RemoveAll(dir)
	names := map[string]string{}
	args := []string{"-j", "-a", "-G1", "-s"}
	for i, v := range sample {
		name := filepath.Join(dir, fmt.Sprintf("%06d.jpg", i))
		if err := os.WriteFile(name, v.body, 0o644); err != nil {
			return 0, nil, err
		}
		names[name] = v.out.key + "@" + v.out.version
		args = append(args, name)
	}
	out, err := exec.Command("exiftool", args...).Output()
	if err != nil && len(out) == 0 {
		return 0, nil, fmt.Errorf("exiftool: %w", err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(out, &recs); err != nil {
		return 0, nil, fmt.Errorf("exiftool output: %w", err)
	}
	var findings []string
	for _, r := range recs {
		if bad := exiftoolFindings(r); len(bad) > 0 {
			src, _ := r["SourceFile"].(string)
			findings = append(findings, names[src]+" ("+strings.Join(bad, ", ")+")")
		}
	}
	return len(recs), findings, nil
}

// exiftoolFindings lists the tags in one exiftool -j -a -G1 record that a
// sanitized file must not hold.
func exiftoolFindings(rec map[string]any) []string {
	var bad []string
	for tag, val := range rec {
		group, name, ok := strings.Cut(tag, ":")
		if !ok {
			continue
		}
		switch {
		case group == "System" || group == "ExifTool" && name != "Warning":
		case group == "ExifTool":
			if s, _ := val.(string); strings.Contains(s, "Trailer") || strings.Contains(s, "trailer") {
				bad = append(bad, tag)
			}
		case group == "File":
			if name == "Comment" || name == "CurrentIPTCDigest" {
				bad = append(bad, tag)
			}
		case group == "Composite":
			if strings.HasPrefix(name, "GPS") || strings.Contains(name, "Thumbnail") || strings.Contains(name, "Preview") {
				bad = append(bad, tag)
			}
		case group == "JFIF":
			if strings.Contains(name, "Thumbnail") {
				bad = append(bad, tag)
			}
		case strings.HasPrefix(group, "ICC"), group == "APP14", group == "Adobe":
		case group == "IFD0" && name == "Orientation":
		default:
			bad = append(bad, tag)
		}
	}
	return bad
}
