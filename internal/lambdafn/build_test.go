package lambdafn

import (
	"context"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	env := map[string]string{
		"INPUT_BUCKET": "uploads", "OUTPUT_BUCKET": "sanitized", "STAGING_BUCKET": "staging", "AUDIT_BUCKET": "audit",
		// Static credentials and a region keep LoadDefaultConfig off the network and the host's profile.
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	getenv := func(k string) string { return env[k] }
	for _, step := range Functions {
		if h, err := Build(context.Background(), step, getenv); err != nil || h == nil {
			t.Errorf("Build(%s): %v", step, err)
		}
	}
	if _, err := Build(context.Background(), "resize", getenv); err == nil || !strings.Contains(err.Error(), `"resize"`) {
		t.Errorf("an unknown step: %v", err)
	}
	delete(env, "AUDIT_BUCKET")
	if _, err := Build(context.Background(), FnStrip, getenv); err == nil || !strings.Contains(err.Error(), "AUDIT_BUCKET") {
		t.Errorf("a missing bucket: %v", err)
	}
}
