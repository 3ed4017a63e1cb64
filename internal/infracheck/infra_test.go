package infracheck

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/events"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/eventpattern"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/tfconfig"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/statemachine"
)

const (
	infraDir    = "../../infra"
	aslPath     = "../../statemachine/sanitizer.asl.json"
	patternPath = "../../events/rule-pattern.json"
)

// variant is one evaluated configuration: an environment with some root variables set.
type variant struct {
	name string
	env  string
	vars map[string]cty.Value
}

var variants = []variant{
	{"dev", "dev", nil},
	{"prod", "prod", nil},
	{"dev-sse-s3-express-logging", "dev", map[string]cty.Value{
		"sse_algorithm":        cty.StringVal("AES256"),
		"state_machine_type":   cty.StringVal("EXPRESS"),
		"access_logging":       cty.True,
		"alarm_emails":         cty.ListVal([]cty.Value{cty.StringVal("ops@example.com")}),
		"alarm_sqs_queue_arns": cty.ListVal([]cty.Value{cty.StringVal("arn:aws:sqs:eu-west-1:111122223333:ops-inbox")}),
	}},
	{"prod-sse-s3", "prod", map[string]cty.Value{"sse_algorithm": cty.StringVal("AES256"), "access_logging": cty.False}},
}

var (
	loadOnce sync.Once
	loaded   map[string]*Env
	loadErr  error
)

func envs(t *testing.T) map[string]*Env {
	t.Helper()
	loadOnce.Do(func() {
		loaded = map[string]*Env{}
		for _, v := range variants {
			e, err := Load(infraDir, v.env, v.vars)
			if err != nil {
				loadErr = err
				return
			}
			e.Name = v.name
			loaded[v.name] = e
		}
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

func forEachEnv(t *testing.T, f func(t *testing.T, e *Env)) {
	for _, v := range variants {
		e := envs(t)[v.name]
		t.Run(v.name, func(t *testing.T) { f(t, e) })
	}
}

func bucketsByRole(t *testing.T, e *Env) map[string]*tfconfig.Resource {
	t.Helper()
	out := map[string]*tfconfig.Resource{}
	for _, b := range e.Resources("aws_s3_bucket") {
		role, _ := Attr(b, "tags", "Role").(string)
		if role == "" {
			t.Fatalf("%s has no Role tag", b.Address())
		}
		out[role] = b
	}
	return out
}

// byBucket indexes resources of a type by their bucket argument.
func byBucket(e *Env, typ string) map[string][]*tfconfig.Resource {
	out := map[string][]*tfconfig.Resource{}
	for _, r := range e.Resources(typ) {
		out[Str(r, "bucket")] = append(out[Str(r, "bucket")], r)
	}
	return out
}

func TestEveryBucketIsProtected(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e *Env) {
		buckets := bucketsByRole(t, e)
		for _, role := range []string{"uploads", "sanitized", "staging", "audit"} {
			if buckets[role] == nil {
				t.Fatalf("no %s bucket", role)
			}
		}
		pab := byBucket(e, "aws_s3_bucket_public_access_block")
		own := byBucket(e, "aws_s3_bucket_ownership_controls")
		ver := byBucket(e, "aws_s3_bucket_versioning")
		sse := byBucket(e, "aws_s3_bucket_server_side_encryption_configuration")
		pol := byBucket(e, "aws_s3_bucket_policy")
		logging := byBucket(e, "aws_s3_bucket_logging")
		az, err := e.Authorizer()
		if err != nil {
			t.Fatal(err)
		}
		sseWant := "aws:kms"
		if strings.Contains(e.Name, "sse-s3") {
			sseWant = "AES256"
		}
		loggingOn := len(e.Resources("aws_s3_bucket_logging")) > 0
		for role, b := range buckets {
			name := Str(b, "bucket")
			t.Run(role, func(t *testing.T) {
				if len(pab[name]) != 1 {
					t.Fatalf("%d public access blocks", len(pab[name]))
				}
				for _, f := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
					if Attr(pab[name][0], f) != true {
						t.Errorf("public access block %s is not true", f)
					}
				}
				if len(own[name]) != 1 || Str(own[name][0], "rule", 0, "object_ownership") != "BucketOwnerEnforced" {
					t.Errorf("object ownership is not BucketOwnerEnforced")
				}
				if len(ver[name]) != 1 || Str(ver[name][0], "versioning_configuration", 0, "status") != "Enabled" {
					t.Errorf("versioning is not enabled")
				}
				if len(sse[name]) != 1 {
					t.Fatalf("%d encryption configurations", len(sse[name]))
				}
				alg := Str(sse[name][0], "rule", 0, "apply_server_side_encryption_by_default", 0, "sse_algorithm")
				if role == "logs" {
					if alg != "AES256" {
						t.Errorf("log bucket must use SSE-S3 (S3 server access logging requires it), got %q", alg)
					}
				} else {
					if alg != sseWant {
						t.Errorf("sse_algorithm %q, want %q", alg, sseWant)
					}
					key := Str(sse[name][0], "rule", 0, "apply_server_side_encryption_by_default", 0, "kms_master_key_id")
					bucketKey := Attr(sse[name][0], "rule", 0, "bucket_key_enabled")
					if alg == "aws:kms" && (!strings.HasPrefix(key, "arn:aws:kms:") || bucketKey != true) {
						t.Errorf("SSE-KMS without a customer managed key (%q) or bucket key (%v)", key, bucketKey)
					}
				}
				if len(pol[name]) != 1 {
					t.Fatalf("%d bucket policies", len(pol[name]))
				}
				// Any principal, over plain HTTP, on the bucket and its objects: explicitly denied.
				for _, res := range []string{"arn:aws:s3:::" + name, "arn:aws:s3:::" + name + "/k.jpg"} {
					for _, p := range []string{az.Identity(Str(e.Resources("aws_iam_user")[0], "name")).ARN, "arn:aws:iam::" + Account + ":role/admin", "logging.s3.amazonaws.com"} {
						r := az.Decide(p, "s3:GetObject", res, map[string][]string{"aws:SecureTransport": {"false"}}, adminPolicy)
						if r.Decision.String() != "explicit deny" {
							t.Errorf("%s GetObject %s over HTTP: %v", p, res, r.Decision)
						}
					}
				}
				if role != "logs" && loggingOn != (len(logging[name]) == 1) {
					t.Errorf("access logging on=%v but %d logging configurations", loggingOn, len(logging[name]))
				}
			})
		}
		// Staging objects expire after a day, versions included.
		staging := Str(buckets["staging"], "bucket")
		var expiring bool
		for _, lc := range byBucket(e, "aws_s3_bucket_lifecycle_configuration")[staging] {
			rules, _ := Attr(lc, "rule").([]any)
			for i := range rules {
				if Attr(lc, "rule", i, "status") == "Enabled" && Attr(lc, "rule", i, "expiration", 0, "days") == 1.0 &&
					Attr(lc, "rule", i, "noncurrent_version_expiration", 0, "noncurrent_days") == 1.0 {
					expiring = true
				}
			}
		}
		if !expiring {
			t.Errorf("staging bucket %s has no enabled 1-day expiration of current and noncurrent versions", staging)
		}
		// The audit bucket is created with Object Lock and has a default retention.
		audit := buckets["audit"]
		if Attr(audit, "object_lock_enabled") != true || Attr(audit, "force_destroy") != false {
			t.Errorf("audit bucket: object_lock_enabled=%v force_destroy=%v", Attr(audit, "object_lock_enabled"), Attr(audit, "force_destroy"))
		}
		locks := byBucket(e, "aws_s3_bucket_object_lock_configuration")[Str(audit, "bucket")]
		if len(locks) != 1 {
			t.Fatalf("audit bucket: %d object lock configurations", len(locks))
		}
		mode := Str(locks[0], "rule", 0, "default_retention", 0, "mode")
		days, _ := Attr(locks[0], "rule", 0, "default_retention", 0, "days").(float64)
		if (mode != "GOVERNANCE" && mode != "COMPLIANCE") || days < 1 {
			t.Errorf("audit default retention %s %v days", mode, days)
		}
		if e.Name == "prod" && mode != "COMPLIANCE" {
			t.Errorf("prod audit retention is %s, want COMPLIANCE", mode)
		}
		// Bucket A sends its events to EventBridge; no other bucket does.
		notes := e.Resources("aws_s3_bucket_notification")
		if len(notes) != 1 || Str(notes[0], "bucket") != Str(buckets["uploads"], "bucket") || Attr(notes[0], "eventbridge") != true {
			t.Errorf("want one EventBridge notification, on bucket A; got %d", len(notes))
		}
	})
}

func TestTopicQueueAndLogsEncrypted(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e *Env) {
		topics := e.Resources("aws_sns_topic")
		if len(topics) != 1 {
			t.Fatalf("%d topics", len(topics))
		}
		if k := Str(topics[0], "kms_master_key_id"); !strings.HasPrefix(k, "arn:aws:kms:") || strings.Contains(k, "alias/aws/") {
			t.Errorf("topic is not encrypted with a customer managed key: %q", k)
		}
		for _, q := range e.Resources("aws_sqs_queue") {
			if k := Str(q, "kms_master_key_id"); !strings.HasPrefix(k, "arn:aws:kms:") {
				t.Errorf("%s is not encrypted with a customer managed key: %q", q.Address(), k)
			}
		}
		for _, lg := range e.Resources("aws_cloudwatch_log_group") {
			if days, _ := Attr(lg, "retention_in_days").(float64); days < 1 {
				t.Errorf("%s keeps logs forever", lg.Address())
			}
			if k := Str(lg, "kms_key_id"); !strings.HasPrefix(k, "arn:aws:kms:") {
				t.Errorf("%s is not encrypted with a customer managed key", lg.Address())
			}
		}
		for _, k := range e.Resources("aws_kms_key") {
			if Attr(k, "enable_key_rotation") != true {
				t.Errorf("%s does not rotate", k.Address())
			}
		}
	})
}

var contractEnv = []string{"INPUT_BUCKET", "OUTPUT_BUCKET", "STAGING_BUCKET", "AUDIT_BUCKET", "POLICY_ORIENTATION", "MAX_BYTES", "MAX_PIXELS", "SSE", "SSE_KMS_KEY_ID"}

func TestLambdas(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e *Env) {
		fns := e.Resources("aws_lambda_function")
		steps := map[string]bool{}
		roles := map[string]string{}
		groups := map[string]bool{}
		for _, lg := range e.Resources("aws_cloudwatch_log_group") {
			groups[Str(lg, "name")] = true
		}
		buckets := bucketsByRole(t, e)
		for _, f := range fns {
			step := f.Key.AsString()
			steps[step] = true
			if Str(f, "runtime") != "provided.al2023" || Str(f, "handler") != "bootstrap" {
				t.Errorf("%s: runtime %s handler %s", step, Str(f, "runtime"), Str(f, "handler"))
			}
			if a, _ := Attr(f, "architectures").([]any); len(a) != 1 || a[0] != "arm64" {
				t.Errorf("%s: architectures %v", step, a)
			}
			if !strings.HasSuffix(Str(f, "filename"), "/dist/"+step+".zip") {
				t.Errorf("%s: filename %s is not dist/%s.zip", step, Str(f, "filename"), step)
			}
			if Str(f, "tracing_config", 0, "mode") != "Active" {
				t.Errorf("%s: X-Ray tracing is not active", step)
			}
			if lg := Str(f, "logging_config", 0, "log_group"); !groups[lg] {
				t.Errorf("%s: log group %q is not managed here (no retention)", step, lg)
			}
			if other, dup := roles[Str(f, "role")]; dup {
				t.Errorf("%s shares its role with %s", step, other)
			}
			roles[Str(f, "role")] = step
			env, _ := Attr(f, "environment", 0, "variables").(map[string]any)
			for _, k := range contractEnv {
				if _, ok := env[k]; !ok {
					t.Errorf("%s: environment lacks %s", step, k)
				}
			}
			if env["INPUT_BUCKET"] != Str(buckets["uploads"], "bucket") || env["OUTPUT_BUCKET"] != Str(buckets["sanitized"], "bucket") ||
				env["STAGING_BUCKET"] != Str(buckets["staging"], "bucket") || env["AUDIT_BUCKET"] != Str(buckets["audit"], "bucket") {
				t.Errorf("%s: bucket variables %v", step, env)
			}
			mem, _ := Attr(f, "memory_size").(float64)
			timeout, _ := Attr(f, "timeout").(float64)
			if mem < 128 || timeout < 1 || timeout > 900 {
				t.Errorf("%s: memory %v timeout %v", step, mem, timeout)
			}
			// The Go heap is held under the function's memory, with room
			// for the runtime: a rotation is sized from the same figure.
			if want := fmt.Sprintf("%dMiB", int(mem*0.9)); env["GOMEMLIMIT"] != want {
				t.Errorf("%s: GOMEMLIMIT %v at %v MB, want %s", step, env["GOMEMLIMIT"], mem, want)
			}
		}
		var got []string
		for s := range steps {
			got = append(got, s)
		}
		sort.Strings(got)
		if strings.Join(got, ",") != "record-failure,strip,unpublish,validate,verify,write" {
			t.Errorf("functions %v, want the six pipeline steps", got)
		}
	})
	// prod sizes the heavy steps larger than dev.
	dev, prod := envs(t)["dev"], envs(t)["prod"]
	size := func(e *Env, step string) float64 {
		for _, f := range e.Resources("aws_lambda_function") {
			if f.Key.AsString() == step {
				m, _ := Attr(f, "memory_size").(float64)
				return m
			}
		}
		return 0
	}
	if size(prod, "strip") <= size(dev, "strip") {
		t.Errorf("prod strip memory %v not larger than dev %v", size(prod, "strip"), size(dev, "strip"))
	}
}

// The state machine and the event pattern have one source each: statemachine/sanitizer.asl.json and
// events/rule-pattern.json, rendered by templatefile(); no .tf file carries a copy.
func TestSingleSourcesOfTruth(t *testing.T) {
	aslFile, err := os.ReadFile(aslPath)
	if err != nil {
		t.Fatal(err)
	}
	pattern, err := os.ReadFile(patternPath)
	if err != nil {
		t.Fatal(err)
	}
	// No copy of either inside a .tf file.
	copyMarks := regexp.MustCompile(`"?StartAt"?\s*[:=]|"?States"?\s*[:=]|detail-type|"?source"?\s*[:=]\s*\[\s*"aws\.s3"|Object Created|arn:aws:states:::`)
	err = filepath.WalkDir(infraDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".tf") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if m := copyMarks.Find(src); m != nil {
			t.Errorf("%s holds state machine or event pattern text (%q): use the files", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The definition and the pattern are templatefile() calls in the module.
	for file, attr := range map[string]string{"statemachine.tf": "definition", "events.tf": "event_pattern"} {
		f := parseHCL(t, filepath.Join(infraDir, "modules/pipeline", file))
		found := false
		for _, b := range f.Blocks {
			if b.Type != "resource" {
				continue
			}
			if a, ok := b.Body.Attributes[attr]; ok {
				call, ok := a.Expr.(*hclsyntax.FunctionCallExpr)
				if !ok || call.Name != "templatefile" {
					t.Errorf("%s %s is not a templatefile() call", file, attr)
				}
				found = true
			}
		}
		if !found {
			t.Errorf("%s has no %s", file, attr)
		}
	}
	forEachEnv(t, func(t *testing.T, e *Env) {
		sms := e.Resources("aws_sfn_state_machine")
		if len(sms) != 1 {
			t.Fatalf("%d state machines", len(sms))
		}
		sm := sms[0]
		fnARN := map[string]string{}
		values := map[string]string{}
		for _, f := range e.Resources("aws_lambda_function") {
			name := strings.ReplaceAll(f.Key.AsString(), "-", "_") + "_function_arn"
			fnARN[f.Key.AsString()] = Str(f, "arn")
			values[name] = Str(f, "arn")
		}
		topic := Str(e.Resources("aws_sns_topic")[0], "arn")
		values[statemachine.FailureTopicARN] = topic
		// Terraform's templatefile() and the Go renderer the local stack uses give the same definition.
		want, err := statemachine.Render(values)
		if err != nil {
			t.Fatal(err)
		}
		if got := Str(sm, "definition"); got != string(want) {
			t.Fatalf("definition differs from statemachine.Render of statemachine/sanitizer.asl.json with the same ARNs")
		}
		if !strings.Contains(statemachine.Template(), "${validate_function_arn}") || string(aslFile) != statemachine.Template() {
			t.Fatalf("statemachine package does not embed %s", aslPath)
		}
		if _, err := asl.Parse(want); err != nil {
			t.Fatalf("deployed definition does not validate: %v", err)
		}
		var def map[string]any
		if err := json.Unmarshal(want, &def); err != nil {
			t.Fatalf("definition is not JSON: %v", err)
		}
		// Every task calls one of this pipeline's functions or its topic; every function is used.
		used := map[string]bool{}
		walkStrings(def, func(s string) {
			if strings.HasPrefix(s, "arn:aws:lambda:") || strings.HasPrefix(s, "arn:aws:sns:") {
				used[s] = true
			}
		})
		for step, arn := range fnARN {
			if !used[arn] {
				t.Errorf("state machine never invokes %s", step)
			}
			delete(used, arn)
		}
		delete(used, topic)
		for s := range used {
			t.Errorf("state machine references %s, which this configuration does not create", s)
		}
		if Attr(sm, "tracing_configuration", 0, "enabled") != true {
			t.Errorf("X-Ray tracing is off")
		}
		logDest := Str(sm, "logging_configuration", 0, "log_destination")
		if !strings.HasPrefix(logDest, "arn:aws:logs:") || Str(sm, "logging_configuration", 0, "level") != "ALL" {
			t.Errorf("logging %q level %q", logDest, Str(sm, "logging_configuration", 0, "level"))
		}
		wantType := "STANDARD"
		if strings.Contains(e.Name, "express") {
			wantType = "EXPRESS"
		}
		if Str(sm, "type") != wantType {
			t.Errorf("type %s, want %s", Str(sm, "type"), wantType)
		}

		rules := e.Resources("aws_cloudwatch_event_rule")
		if len(rules) != 1 {
			t.Fatalf("%d rules", len(rules))
		}
		byRole := bucketsByRole(t, e)
		bucketA, bucketB := Str(byRole["uploads"], "bucket"), Str(byRole["sanitized"], "bucket")
		wantPattern, err := events.RulePattern(bucketA)
		if err != nil {
			t.Fatal(err)
		}
		if got := Str(rules[0], "event_pattern"); got != wantPattern || string(pattern) != events.RulePatternTemplate() {
			t.Fatalf("event pattern differs from events.RulePattern (events/rule-pattern.json with the bucket):\n%s", got)
		}
		p, err := eventpattern.Compile([]byte(Str(rules[0], "event_pattern")))
		if err != nil {
			t.Fatalf("event pattern: %v", err)
		}
		// The pipeline's sample events, moved to this environment's buckets: uploads to A start the
		// machine; events from B (where the pipeline writes) or staging never do, or it would loop.
		for _, name := range events.SampleNames() {
			sample, err := events.Sample(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				bucket string
				want   bool
			}{
				{bucketA, name != "object-created-png.json" && name != "object-created-other-bucket.json"},
				{bucketB, false},
				{Str(byRole["staging"], "bucket"), false},
			} {
				ev := strings.ReplaceAll(string(sample), `"photos-upload"`, `"`+c.bucket+`"`)
				if name == "object-created-other-bucket.json" {
					ev = strings.ReplaceAll(ev, `"another-bucket"`, `"`+bucketB+`"`)
				}
				ev = strings.ReplaceAll(ev, "arn:aws:s3:::photos-upload", "arn:aws:s3:::"+c.bucket)
				got, err := p.Match([]byte(ev))
				if err != nil || got != c.want {
					t.Errorf("sample %s in bucket %s: match %v (%v), want %v", name, c.bucket, got, err, c.want)
				}
			}
		}
		targets := e.Resources("aws_cloudwatch_event_target")
		if len(targets) != 1 {
			t.Fatalf("%d targets", len(targets))
		}
		tg := targets[0]
		if Str(tg, "arn") != Str(sm, "arn") || Str(tg, "dead_letter_config", 0, "arn") == "" || Attr(tg, "retry_policy", 0, "maximum_retry_attempts") == nil {
			t.Errorf("target %s: arn/dead letter queue/retry policy missing", tg.Address())
		}
	})
}

func TestAlarms(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e *Env) {
		topic := Str(e.Resources("aws_sns_topic")[0], "arn")
		sm := Str(e.Resources("aws_sfn_state_machine")[0], "arn")
		dlq := Str(e.Resources("aws_sqs_queue")[0], "name")
		want := map[string]bool{"AWS/States ExecutionsFailed": false, "AWS/States ExecutionsTimedOut": false, "AWS/States ExecutionThrottled": false, "AWS/SQS ApproximateNumberOfMessagesVisible": false}
		for _, a := range e.Resources("aws_cloudwatch_metric_alarm") {
			k := Str(a, "namespace") + " " + Str(a, "metric_name")
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected alarm %s", k)
				continue
			}
			want[k] = true
			dims, _ := Attr(a, "dimensions").(map[string]any)
			if (Str(a, "namespace") == "AWS/States" && dims["StateMachineArn"] != sm) || (Str(a, "namespace") == "AWS/SQS" && dims["QueueName"] != dlq) {
				t.Errorf("%s watches %v", k, dims)
			}
			if acts, _ := Attr(a, "alarm_actions").([]any); len(acts) != 1 || acts[0] != topic {
				t.Errorf("%s notifies %v, want the topic", k, acts)
			}
		}
		for k, ok := range want {
			if !ok {
				t.Errorf("no alarm on %s", k)
			}
		}
		subs := map[string]string{}
		for _, s := range e.Resources("aws_sns_topic_subscription") {
			if Str(s, "topic_arn") != topic {
				t.Errorf("%s subscribes to %s", s.Address(), Str(s, "topic_arn"))
			}
			subs[Str(s, "protocol")] = Str(s, "endpoint")
			if Str(s, "protocol") == "sqs" && Attr(s, "raw_message_delivery") != true {
				t.Errorf("SQS subscription without raw message delivery")
			}
		}
		wantSubs := map[string]string{}
		if strings.Contains(e.Name, "express") {
			wantSubs = map[string]string{"email": "ops@example.com", "sqs": "arn:aws:sqs:eu-west-1:111122223333:ops-inbox"}
		}
		if len(subs) != len(wantSubs) || subs["email"] != wantSubs["email"] || subs["sqs"] != wantSubs["sqs"] {
			t.Errorf("subscriptions %v, want %v (from alarm_emails and alarm_sqs_queue_arns)", subs, wantSubs)
		}
	})
}

func parseHCL(t *testing.T, path string) *hclsyntax.Body {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return f.Body.(*hclsyntax.Body)
}

func walkStrings(v any, f func(string)) {
	switch v := v.(type) {
	case string:
		f(v)
	case map[string]any:
		for _, e := range v {
			walkStrings(e, f)
		}
	case []any:
		for _, e := range v {
			walkStrings(e, f)
		}
	}
}
