package main

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/infracheck"
)

// The local stack's lifecycle rules are the ones infra/envs/dev deploys:
// each rule of each bucket, rendered from the Terraform plan and from the
// local configuration into one line of text, must match.
func TestLocalLifecycleIsTheTerraforms(t *testing.T) {
	env, err := infracheck.Load("../../infra", "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	fromTF := map[string][]string{}
	for _, r := range env.Resources("aws_s3_bucket_lifecycle_configuration") {
		var buckets []string
		switch {
		case r.Name == "staging":
			buckets = []string{"staging"}
		case r.Name == "versions" && r.Key.AsString() == "uploads":
			buckets = []string{"input"}
		case r.Name == "versions" && r.Key.AsString() == "sanitized":
			buckets = []string{"output"}
		default:
			continue // the access-log bucket has no local counterpart
		}
		rules, _ := infracheck.Attr(r, "rule").([]any)
		for _, b := range buckets {
			for _, rule := range rules {
				fromTF[b] = append(fromTF[b], tfRule(rule.(map[string]any)))
			}
		}
	}
	if len(fromTF) != 3 {
		t.Fatalf("lifecycle rules in the Terraform for %d of the 3 buckets: %v", len(fromTF), fromTF)
	}
	local := map[string][]string{}
	for b, raw := range bucketLifecycle("input", "output", "staging") {
		var c struct {
			Rules []struct {
				ID                          string
				Status                      string
				Filter                      struct{ Prefix string }
				Expiration                  *struct{ Days, ExpiredObjectDeleteMarker string }
				NoncurrentVersionExpiration *struct{ NoncurrentDays string }
				Abort                       *struct{ DaysAfterInitiation string } `xml:"AbortIncompleteMultipartUpload"`
			} `xml:"Rule"`
		}
		if err := xml.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		for _, r := range c.Rules {
			line := fmt.Sprintf("%s %s prefix=%q", r.ID, r.Status, r.Filter.Prefix)
			if e := r.Expiration; e != nil {
				line += fmt.Sprintf(" expire(days=%s marker=%s)", e.Days, e.ExpiredObjectDeleteMarker)
			}
			if n := r.NoncurrentVersionExpiration; n != nil {
				line += " noncurrent(" + n.NoncurrentDays + ")"
			}
			if a := r.Abort; a != nil {
				line += " abort(" + a.DaysAfterInitiation + ")"
			}
			local[b] = append(local[b], line)
		}
	}
	for b := range fromTF {
		sort.Strings(fromTF[b])
		sort.Strings(local[b])
		if strings.Join(fromTF[b], "\n") != strings.Join(local[b], "\n") {
			t.Errorf("%s bucket:\nTerraform:\n  %s\nlocal:\n  %s", b, strings.Join(fromTF[b], "\n  "), strings.Join(local[b], "\n  "))
		}
	}
}

// tfRule renders a rule block of the evaluated Terraform as the test renders the local XML.
func tfRule(r map[string]any) string {
	block := func(name string) map[string]any {
		l, _ := r[name].([]any)
		if len(l) == 0 {
			return nil
		}
		m, _ := l[0].(map[string]any)
		return m
	}
	num := func(v any) string {
		if f, ok := v.(float64); ok {
			return fmt.Sprint(int(f))
		}
		return ""
	}
	prefix := ""
	if f := block("filter"); f != nil {
		prefix, _ = f["prefix"].(string)
	}
	line := fmt.Sprintf("%s %s prefix=%q", r["id"], r["status"], prefix)
	if e := block("expiration"); e != nil {
		marker := ""
		if m, ok := e["expired_object_delete_marker"].(bool); ok && m {
			marker = "true"
		}
		line += fmt.Sprintf(" expire(days=%s marker=%s)", num(e["days"]), marker)
	}
	if n := block("noncurrent_version_expiration"); n != nil {
		line += " noncurrent(" + num(n["noncurrent_days"]) + ")"
	}
	if a := block("abort_incomplete_multipart_upload"); a != nil {
		line += " abort(" + num(a["days_after_initiation"]) + ")"
	}
	return line
}
