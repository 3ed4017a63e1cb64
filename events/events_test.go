package events_test

import (
	"strings"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/events"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/eventpattern"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/lambdafn"
)

// What the rule must do with each sample, and the key the pipeline must see: exactly
// the bytes of the event, never URL-decoded.
var want = map[string]struct {
	matches    bool
	detailType string
	key        string
}{
	"object-created-plain.json":        {true, lambdafn.ObjectCreated, "photo.jpg"},
	"object-created-nested.json":       {true, lambdafn.ObjectCreated, "users/42/albums/2026/summer/IMG_0001.jpg"},
	"object-created-special-key.json":  {true, lambdafn.ObjectCreated, "my photos/a b+c%20 ünïcødé 写真 📷.jpg"},
	"object-created-uppercase.json":    {true, lambdafn.ObjectCreated, "camera/DSC_0042.JPEG"},
	"object-created-multipart.json":    {true, lambdafn.ObjectCreated, "raw/large panorama.jpeg"},
	"object-created-png.json":          {false, lambdafn.ObjectCreated, "logo.png"},
	"object-created-other-bucket.json": {false, lambdafn.ObjectCreated, "photo.jpg"},
	"object-deleted.json":              {true, lambdafn.ObjectDeleted, "photo.jpg"},
	"object-deleted-lifecycle.json":    {true, lambdafn.ObjectDeleted, "users/42/albums/2026/summer/IMG_0001.jpg"},
	"reprocess.json":                   {true, lambdafn.ObjectCreated, "users/42/albums/2026/summer/IMG_0001.jpg"},
}

func TestSamplesAgainstTheRule(t *testing.T) {
	pattern, err := events.RulePattern("photos-upload")
	if err != nil {
		t.Fatal(err)
	}
	rule, err := eventpattern.Compile([]byte(pattern))
	if err != nil {
		t.Fatalf("rule-pattern.json: %v", err)
	}
	names := events.SampleNames()
	if len(names) != len(want) {
		t.Errorf("samples %v, expectations for %d", names, len(want))
	}
	for _, name := range names {
		w, ok := want[name]
		if !ok {
			t.Errorf("%s: no expectation", name)
			continue
		}
		b, err := events.Sample(name)
		if err != nil {
			t.Fatal(err)
		}
		matched, err := rule.Match(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if matched != w.matches {
			t.Errorf("%s: rule matches %v, want %v", name, matched, w.matches)
		}
		ev, err := lambdafn.ParseEvent(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		job, _ := ev.Job()
		if ev.DetailType != w.detailType || job.Source.Key != w.key {
			t.Errorf("%s: %s %q, want %s %q", name, ev.DetailType, job.Source.Key, w.detailType, w.key)
		}
	}
}

func TestSampleShapes(t *testing.T) {
	for name, check := range map[string]func(lambdafn.Event) bool{
		"object-created-multipart.json": func(e lambdafn.Event) bool {
			return e.Detail.Reason == "CompleteMultipartUpload" && strings.HasSuffix(e.Detail.Object.ETag, "-12") && e.Detail.Object.VersionID == ""
		},
		"object-deleted.json": func(e lambdafn.Event) bool {
			return e.Detail.DeletionType == "Delete Marker Created" && e.Detail.Object.Size == 0 && e.Detail.Object.Sequencer != ""
		},
		"object-deleted-lifecycle.json": func(e lambdafn.Event) bool {
			return e.Detail.Reason == "Lifecycle Expiration" && e.Detail.Requester == "s3.amazonaws.com" && e.Detail.SourceIPAddress == ""
		},
		"reprocess.json": func(e lambdafn.Event) bool {
			return e.Source == events.ReprocessSource && e.Detail.Object.VersionID == "" && e.Detail.Object.ETag == ""
		},
	} {
		b, _ := events.Sample(name)
		ev, err := lambdafn.ParseEvent(b)
		if err != nil || !check(ev) {
			t.Errorf("%s: %+v %v", name, ev.Detail, err)
		}
	}
}

func TestRulePatternEscapesTheBucket(t *testing.T) {
	if _, err := events.RulePattern(""); err == nil {
		t.Error("empty bucket accepted")
	}
	p, err := events.RulePattern(`we"ird`)
	if err != nil || !strings.Contains(p, `"we\"ird"`) {
		t.Fatalf("%s %v", p, err)
	}
	if strings.Contains(events.RulePatternTemplate(), "${input_bucket}") == false {
		t.Error("template lost its placeholder")
	}
}
