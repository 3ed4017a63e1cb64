package infracheck

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/iampolicy"
)

var update = flag.Bool("update", false, "rewrite infra/PERMISSIONS.md from the evaluated dev environment")

// adminPolicy is an identity policy allowing everything: given to a principal in addition to its own, it
// shows that a resource policy's explicit deny holds whatever the principal's policies say.
var adminPolicy = iampolicy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)

// The actions the matrix tries, on every resource.
var universe = []string{
	"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion",
	"s3:ListBucket", "s3:ListBucketVersions", "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:PutObjectAcl",
	"s3:PutObjectRetention", "s3:BypassGovernanceRetention", "s3:RestoreObject", "s3:AbortMultipartUpload",
	"s3:ListMultipartUploadParts", "s3:PutBucketPolicy", "s3:DeleteBucket", "s3:PutLifecycleConfiguration",
	"s3:PutBucketNotification", "s3:PutBucketVersioning",
	"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:ReEncryptFrom", "kms:CreateGrant", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy",
	"sns:Publish", "sns:Subscribe", "sns:SetTopicAttributes", "sns:DeleteTopic",
	"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:PurgeQueue",
	"states:StartExecution", "states:StopExecution", "states:RedriveExecution", "states:DescribeExecution", "states:UpdateStateMachine",
	"lambda:InvokeFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
	"logs:CreateLogStream", "logs:PutLogEvents", "logs:DeleteLogGroup", "logs:CreateLogDelivery", "logs:GetLogDelivery",
	"logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
	"logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
	"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
	"iam:PassRole", "iam:CreateAccessKey", "iam:PutRolePolicy", "sts:AssumeRole",
}

// resourceless actions have no resource-level permissions: AWS authorizes them on "*".
var resourceless = map[string]bool{
	"logs:CreateLogDelivery": true, "logs:GetLogDelivery": true, "logs:UpdateLogDelivery": true, "logs:DeleteLogDelivery": true,
	"logs:ListLogDeliveries": true, "logs:PutResourcePolicy": true, "logs:DescribeResourcePolicies": true, "logs:DescribeLogGroups": true,
	"xray:PutTraceSegments": true, "xray:PutTelemetryRecords": true, "xray:GetSamplingRules": true, "xray:GetSamplingTargets": true,
}

var steps = []string{"validate", "strip", "write", "verify", "record-failure", "unpublish"}

// world names the principals and resources of one environment symbolically.
type world struct {
	principals map[string]string // symbolic name -> ARN
	resources  map[string]string // symbolic name -> ARN
	ctx        map[string]map[string][]string
}

func newWorld(t *testing.T, e *Env) *world {
	t.Helper()
	w := &world{principals: map[string]string{}, resources: map[string]string{}, ctx: map[string]map[string][]string{}}
	for role, b := range bucketsByRole(t, e) {
		short := map[string]string{"uploads": "A", "sanitized": "B", "staging": "staging", "audit": "audit", "logs": "logs"}[role]
		w.resources[short] = Str(b, "arn")
		w.resources[short+"/obj"] = Str(b, "arn") + "/photos/2026/cat.jpg"
	}
	audit := w.resources["audit"]
	// Audit record names as internal/audit writes them, for each step.
	for _, s := range steps {
		w.resources["audit/executions/"+s] = audit + "/executions/9f86d081884c7d65/" + s + "-1.json"
		w.resources["audit/keys/"+s] = audit + "/keys/2c26b46b68ffc68f/9f86d081884c7d65-" + s + ".json"
	}
	w.resources["audit/obj"] = audit + "/elsewhere/record.json"
	w.resources["topic"] = Str(e.Resources("aws_sns_topic")[0], "arn")
	w.resources["dlq"] = Str(e.Resources("aws_sqs_queue")[0], "arn")
	w.resources["state machine"] = Str(e.Resources("aws_sfn_state_machine")[0], "arn")
	w.resources["*"] = "*"
	for _, f := range e.Resources("aws_lambda_function") {
		w.resources["fn:"+f.Key.AsString()] = Str(f, "arn")
		w.principals["lambda "+f.Key.AsString()] = roleARN(t, e, Str(f, "role"))
	}
	for _, lg := range e.Resources("aws_cloudwatch_log_group") {
		name := "log:state machine"
		if lg.Key != cty.NilVal {
			name = "log:" + lg.Key.AsString()
		}
		w.resources[name] = Str(lg, "arn") + ":log-stream:2026/01/01/[$LATEST]abc"
	}
	for _, k := range e.Resources("aws_kms_key") {
		name := "key:" + strings.TrimPrefix(k.Module, "module.")
		w.resources[name] = Str(k, "arn")
		switch name {
		case "key:storage":
			w.ctx[name] = map[string][]string{"kms:ViaService": {"s3." + Region + ".amazonaws.com"}}
		case "key:notifications":
			w.ctx[name] = map[string][]string{"kms:ViaService": {"sns." + Region + ".amazonaws.com"}}
		}
	}
	for _, u := range e.Resources("aws_iam_user") {
		switch Attr(u, "tags", "Role") {
		case "uploader":
			w.principals["user A"] = Str(u, "arn")
		case "reader":
			w.principals["user B"] = Str(u, "arn")
		}
	}
	for _, r := range e.Resources("aws_iam_role") {
		w.resources["role:"+Str(r, "name")] = Str(r, "arn")
	}
	w.principals["rule role"] = Str(e.Resources("aws_cloudwatch_event_target")[0], "role_arn")
	w.principals["state machine role"] = Str(e.Resources("aws_sfn_state_machine")[0], "role_arn")
	return w
}

func roleARN(t *testing.T, e *Env, arn string) string {
	t.Helper()
	for _, r := range e.Resources("aws_iam_role") {
		if Str(r, "arn") == arn {
			return arn
		}
	}
	t.Fatalf("role %s is not created here", arn)
	return ""
}

// expected is the permission matrix the contract asks for: principal -> "action resource" pairs allowed.
// Everything else in universe × resources must be denied.
func expected(w *world) map[string][]string {
	kms := func(actions ...string) []string {
		if _, ok := w.resources["key:storage"]; !ok {
			return nil // SSE-S3: no key to use
		}
		var out []string
		for _, a := range actions {
			out = append(out, a+" key:storage")
		}
		return out
	}
	common := func(step string) []string {
		out := []string{
			"s3:PutObject audit/executions/" + step,
			"logs:CreateLogStream log:" + step, "logs:PutLogEvents log:" + step,
			"xray:PutTraceSegments *", "xray:PutTelemetryRecords *",
		}
		if step == "validate" || step == "unpublish" || step == "record-failure" {
			out = append(out, "s3:PutObject audit/keys/"+step) // the key-index entry of its execution
		}
		return append(out, kms("kms:Decrypt", "kms:GenerateDataKey")...)
	}
	m := map[string][]string{
		"user A": append([]string{"s3:ListBucket A", "s3:GetObject A/obj", "s3:PutObject A/obj", "s3:DeleteObject A/obj",
			"s3:AbortMultipartUpload A/obj", "s3:ListMultipartUploadParts A/obj"}, kms("kms:Decrypt", "kms:GenerateDataKey")...),
		"user B":                append([]string{"s3:ListBucket B", "s3:GetObject B/obj"}, kms("kms:Decrypt")...),
		"lambda validate":       append([]string{"s3:GetObject A/obj", "s3:GetObjectVersion A/obj", "s3:ListBucket A"}, common("validate")...),
		"lambda strip":          append([]string{"s3:GetObject A/obj", "s3:GetObjectVersion A/obj", "s3:ListBucket A", "s3:PutObject staging/obj"}, common("strip")...),
		"lambda write":          append([]string{"s3:GetObject staging/obj", "s3:GetObjectVersion staging/obj", "s3:ListBucket staging", "s3:GetObject B/obj", "s3:PutObject B/obj", "s3:ListBucket B"}, common("write")...),
		"lambda verify":         append([]string{"s3:GetObject B/obj", "s3:GetObjectVersion B/obj", "s3:DeleteObjectVersion B/obj"}, common("verify")...),
		"lambda record-failure": common("record-failure"),
		"lambda unpublish":      append([]string{"s3:GetObject A/obj", "s3:ListBucket A", "s3:DeleteObject B/obj"}, common("unpublish")...),
		"rule role":             {"states:StartExecution state machine"},
		"state machine role": {
			"sns:Publish topic", "kms:Decrypt key:notifications", "kms:GenerateDataKey key:notifications",
			"logs:CreateLogDelivery *", "logs:GetLogDelivery *", "logs:UpdateLogDelivery *", "logs:DeleteLogDelivery *",
			"logs:ListLogDeliveries *", "logs:PutResourcePolicy *", "logs:DescribeResourcePolicies *", "logs:DescribeLogGroups *",
			"xray:PutTraceSegments *", "xray:PutTelemetryRecords *", "xray:GetSamplingRules *", "xray:GetSamplingTargets *",
		},
	}
	for _, s := range steps {
		m["state machine role"] = append(m["state machine role"], "lambda:InvokeFunction fn:"+s)
	}
	return m
}

// allowed evaluates every action of universe on every resource for one principal.
func allowed(t *testing.T, az *Authorizer, w *world, principal string) map[string]iampolicy.Result {
	t.Helper()
	out := map[string]iampolicy.Result{}
	for rname, arn := range w.resources {
		for _, action := range universe {
			if !sameService(action, arn) {
				continue
			}
			r := az.Decide(w.principals[principal], action, arn, w.ctx[rname])
			if r.Allowed() {
				out[action+" "+rname] = r
			}
		}
	}
	return out
}

// sameService tells whether an action can apply to a resource: actions of a service on its own resources,
// every action on "*", and sts:AssumeRole on roles.
func sameService(action, arn string) bool {
	if arn == "*" {
		return true
	}
	if resourceless[action] {
		return false // AWS evaluates these against "*" only
	}
	svc, _, _ := strings.Cut(action, ":")
	if svc == "sts" {
		svc = "iam"
	}
	parts := strings.SplitN(arn, ":", 4)
	return len(parts) == 4 && parts[2] == svc
}

func TestPermissionMatrix(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e *Env) {
		az, err := e.Authorizer()
		if err != nil {
			t.Fatal(err)
		}
		w := newWorld(t, e)
		want := expected(w)
		if len(w.principals) != len(want) {
			t.Fatalf("principals %v, want %d", w.principals, len(want))
		}
		// Every IAM identity the configuration creates is in the matrix.
		if names := az.IdentityNames(); len(names) != len(want) {
			t.Errorf("configuration creates %d users and roles (%v), the matrix covers %d", len(names), names, len(want))
		}
		for principal := range want {
			got := allowed(t, az, w, principal)
			// The principals' own policies are least privilege by themselves, not only thanks to a
			// resource policy's deny.
			for p, r := range allowed(t, az.IdentityOnly(), w, principal) {
				if _, ok := got[p]; !ok {
					got[p] = r
				}
			}
			wantSet := map[string]bool{}
			for _, p := range want[principal] {
				wantSet[p] = true
				if _, ok := got[p]; !ok {
					rname := p[strings.Index(p, " ")+1:]
					r := az.Decide(w.principals[principal], p[:strings.Index(p, " ")], w.resources[rname], w.ctx[rname])
					t.Errorf("%s cannot %s: %v (%s)", principal, p, r.Decision, r.Reason)
				}
			}
			for p, r := range got {
				if !wantSet[p] {
					t.Errorf("%s can %s, beyond its least privilege (%s)", principal, p, r.Reason)
				}
			}
		}
		if e.Name == "dev" {
			checkMatrixDoc(t, renderMatrix(w, want))
		}
	})
}

// Bucket A is never written by the pipeline: even a pipeline role that somehow gained every permission is
// explicitly denied by A's bucket policy. The topic accepts publishes from the state machine and alarms only.
func TestExplicitDenies(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e *Env) {
		az, err := e.Authorizer()
		if err != nil {
			t.Fatal(err)
		}
		w := newWorld(t, e)
		writes := []string{"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectTagging", "s3:PutObjectAcl", "s3:RestoreObject", "s3:AbortMultipartUpload"}
		for name, arn := range w.principals {
			if strings.HasPrefix(name, "user") {
				continue
			}
			for _, a := range writes {
				if r := az.Decide(arn, a, w.resources["A/obj"], nil, adminPolicy); r.Decision != iampolicy.ExplicitDeny {
					t.Errorf("%s with admin rights: %s on bucket A: %v", name, a, r.Decision)
				}
			}
			for _, a := range []string{"s3:PutBucketPolicy", "s3:PutBucketNotification", "s3:PutBucketVersioning"} {
				if r := az.Decide(arn, a, w.resources["A"], nil, adminPolicy); r.Decision != iampolicy.ExplicitDeny {
					t.Errorf("%s with admin rights: %s on bucket A: %v", name, a, r.Decision)
				}
			}
			if r := az.Decide(arn, "s3:GetObject", w.resources["A/obj"], nil, adminPolicy); !r.Allowed() {
				t.Errorf("%s with admin rights cannot even read A: the deny is too broad (%v)", name, r.Decision)
			}
		}
		for name, arn := range w.principals {
			r := az.Decide(arn, "sns:Publish", w.resources["topic"], nil, adminPolicy)
			if name == "state machine role" {
				if !r.Allowed() {
					t.Errorf("state machine cannot publish: %v", r.Decision)
				}
			} else if r.Decision != iampolicy.ExplicitDeny {
				t.Errorf("%s with admin rights publishes to the topic: %v", name, r.Decision)
			}
		}
		other := "arn:aws:iam::" + Account + ":role/someone-else"
		if r := az.Decide(other, "sns:Publish", w.resources["topic"], nil, adminPolicy); r.Decision != iampolicy.ExplicitDeny {
			t.Errorf("another role of the account publishes to the topic: %v", r.Decision)
		}
		// The storage key serves users and Lambdas only through S3.
		if k, ok := w.resources["key:storage"]; ok {
			for _, name := range []string{"user A", "user B", "lambda strip"} {
				if r := az.Decide(w.principals[name], "kms:Decrypt", k, nil); r.Allowed() {
					t.Errorf("%s decrypts with the storage key outside S3", name)
				}
			}
		}
		// The pipeline's staging and audit buckets are not for the users.
		for _, name := range []string{"user A", "user B"} {
			for _, res := range []string{"staging/obj", "audit/executions/validate", "B/obj"} {
				if name == "user B" && res == "B/obj" {
					continue
				}
				if r := az.Decide(w.principals[name], "s3:GetObject", w.resources[res], nil); r.Allowed() {
					t.Errorf("%s reads %s", name, res)
				}
			}
		}
	})
}

// Service principals: EventBridge, CloudWatch alarms, S3 logging, and who may assume which role.
func TestServicePrincipals(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e *Env) {
		az, err := e.Authorizer()
		if err != nil {
			t.Fatal(err)
		}
		w := newWorld(t, e)
		rule := Str(e.Resources("aws_cloudwatch_event_rule")[0], "arn")
		alarm := Str(e.Resources("aws_cloudwatch_metric_alarm")[0], "arn")
		src := func(arn string) map[string][]string {
			return map[string][]string{"aws:SourceArn": {arn}, "aws:SourceAccount": {Account}}
		}
		check := func(desc, principal, action, resource string, ctx map[string][]string, want bool) {
			t.Helper()
			if r := az.Decide(principal, action, resource, ctx); r.Allowed() != want {
				t.Errorf("%s: %s %s %s = %v (%s)", desc, principal, action, resource, r.Decision, r.Reason)
			}
		}
		check("rule dead-letters", "events.amazonaws.com", "sqs:SendMessage", w.resources["dlq"], src(rule), true)
		check("another rule", "events.amazonaws.com", "sqs:SendMessage", w.resources["dlq"], src(rule+"-other"), false)
		check("dlq over HTTP", "events.amazonaws.com", "sqs:SendMessage", w.resources["dlq"], map[string][]string{"aws:SourceArn": {rule}, "aws:SecureTransport": {"false"}}, false)
		check("rule encrypts dead letters", "events.amazonaws.com", "kms:GenerateDataKey", w.resources["key:pipeline"], src(rule), true)
		check("another rule encrypts", "events.amazonaws.com", "kms:GenerateDataKey", w.resources["key:pipeline"], src(rule+"-other"), false)
		check("alarm publishes", "cloudwatch.amazonaws.com", "sns:Publish", w.resources["topic"], src(alarm), true)
		check("foreign alarm", "cloudwatch.amazonaws.com", "sns:Publish", w.resources["topic"], map[string][]string{"aws:SourceArn": {strings.Replace(alarm, Account, "999999999999", 1)}, "aws:SourceAccount": {"999999999999"}}, false)
		check("alarm encrypts", "cloudwatch.amazonaws.com", "kms:GenerateDataKey", w.resources["key:notifications"], src(alarm), true)
		check("other service publishes", "events.amazonaws.com", "sns:Publish", w.resources["topic"], src(rule), false)
		logGroup := strings.SplitN(w.resources["log:validate"], ":log-stream:", 2)[0]
		check("logs encrypt", "logs."+Region+".amazonaws.com", "kms:GenerateDataKey", w.resources["key:pipeline"], map[string][]string{"kms:EncryptionContext:aws:logs:arn": {logGroup}}, true)
		check("logs of another account", "logs."+Region+".amazonaws.com", "kms:GenerateDataKey", w.resources["key:pipeline"], map[string][]string{"kms:EncryptionContext:aws:logs:arn": {strings.Replace(logGroup, Account, "999999999999", 1)}}, false)
		if _, ok := w.resources["logs"]; ok {
			check("server access logs", "logging.s3.amazonaws.com", "s3:PutObject", w.resources["logs/obj"], map[string][]string{"aws:SourceArn": {w.resources["A"]}, "aws:SourceAccount": {Account}}, true)
			check("logs from another bucket", "logging.s3.amazonaws.com", "s3:PutObject", w.resources["logs/obj"], map[string][]string{"aws:SourceArn": {"arn:aws:s3:::elsewhere"}, "aws:SourceAccount": {Account}}, false)
		}
		// Trust: each role is assumable by its own service, from this account, only.
		for name, arn := range w.principals {
			if strings.HasPrefix(name, "user") {
				continue
			}
			service := map[bool]string{true: "lambda.amazonaws.com"}[strings.HasPrefix(name, "lambda")]
			switch name {
			case "rule role":
				service = "events.amazonaws.com"
			case "state machine role":
				service = "states.amazonaws.com"
			}
			ctx := map[string][]string{"aws:SourceAccount": {Account}, "aws:SourceArn": {rule}}
			for _, svc := range []string{"lambda.amazonaws.com", "events.amazonaws.com", "states.amazonaws.com"} {
				check("trust of "+name, svc, "sts:AssumeRole", arn, ctx, svc == service)
			}
			if service != "lambda.amazonaws.com" { // Lambda documents no source keys for execution roles
				check("trust from another account", service, "sts:AssumeRole", arn, map[string][]string{"aws:SourceAccount": {"999999999999"}, "aws:SourceArn": {rule}}, false)
			}
			check("user assumes "+name, w.principals["user A"], "sts:AssumeRole", arn, nil, false)
		}
	})
}

// No identity policy of the configuration grants a wildcard action (key policies' account delegation aside).
func TestNoWildcardActions(t *testing.T) {
	forEachEnv(t, func(t *testing.T, e *Env) {
		az, err := e.Authorizer()
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range az.IdentityNames() {
			for _, p := range az.Identity(name).Policies {
				for _, st := range p.Statements {
					if st.Effect != "Allow" {
						continue
					}
					if st.NotAction != nil || st.NotResource != nil {
						t.Errorf("%s: statement %s allows by exclusion", name, st.Sid)
					}
					for _, a := range st.Action {
						if strings.ContainsAny(a, "*?") {
							t.Errorf("%s: statement %s allows wildcard action %s", name, st.Sid, a)
						}
					}
				}
			}
		}
	})
}

// checkMatrixDoc keeps infra/PERMISSIONS.md equal to the matrix the tests prove (-update rewrites it).
func checkMatrixDoc(t *testing.T, doc string) {
	t.Helper()
	const path = "../../infra/PERMISSIONS.md"
	if *update {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != doc {
		t.Errorf("%s is out of date: go test ./internal/infracheck -run TestPermissionMatrix -update", path)
	}
}

func renderMatrix(w *world, want map[string][]string) string {
	var b strings.Builder
	b.WriteString("# Permission matrix\n\n")
	b.WriteString("Generated by `go test ./internal/infracheck -run TestPermissionMatrix -update` from the evaluated\n")
	b.WriteString("`infra/envs/dev` (SSE-KMS). Each principal may do exactly what is listed, on exactly these resources;\n")
	b.WriteString("the test tries every action of its universe on every resource and fails on any other allow.\n")
	b.WriteString("KMS rows hold only through S3 (the storage key) or SNS (the topic key), by `kms:ViaService`.\n\n")
	b.WriteString("| principal | resource | allowed actions |\n|---|---|---|\n")
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		byRes := map[string][]string{}
		for _, p := range want[n] {
			action, res, _ := strings.Cut(p, " ")
			byRes[res] = append(byRes[res], "`"+action+"`")
		}
		var res []string
		for r := range byRes {
			res = append(res, r)
		}
		sort.Strings(res)
		for _, r := range res {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", n, describe(w, r), strings.Join(byRes[r], ", "))
		}
	}
	b.WriteString("\nDenied explicitly, whatever a principal's own policies say: any write, delete or configuration change on\n")
	b.WriteString("bucket A by any pipeline role (A's bucket policy); any request without TLS to a bucket, the topic or the\n")
	b.WriteString("queue; `sns:Publish` by anyone but the state machine role and this account's CloudWatch alarms.\n")
	return b.String()
}

func describe(w *world, r string) string {
	switch {
	case r == "*":
		return "`*` (no resource-level permissions)"
	case strings.HasSuffix(r, "/obj"):
		return "objects in " + strings.TrimSuffix(r, "/obj")
	case strings.HasPrefix(r, "audit/executions/"):
		return "its audit records `executions/*/" + strings.TrimPrefix(r, "audit/executions/") + "-*`"
	case strings.HasPrefix(r, "audit/keys/"):
		return "its audit index entries `keys/*-" + strings.TrimPrefix(r, "audit/keys/") + ".json`"
	case strings.HasPrefix(r, "log:"):
		return "its log group `" + strings.TrimPrefix(r, "log:") + "`"
	case strings.HasPrefix(r, "key:"):
		return strings.TrimPrefix(r, "key:") + " KMS key"
	case strings.HasPrefix(r, "fn:"):
		return "function " + strings.TrimPrefix(r, "fn:")
	}
	return r
}
