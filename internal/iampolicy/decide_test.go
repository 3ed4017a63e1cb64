package iampolicy

import (
	"errors"
	"testing"
)

const account = "123456789012"

var carlos = Principal{Type: "AWS", ARN: "arn:aws:iam::" + account + ":user/carlossalazar", Account: account}

// The example of "Policy evaluation for requests within a single account" in the IAM User Guide
// (reference_policies_evaluation-logic_policy-eval-basics): Carlos's identity policy allows his own bucket and
// denies every bucket whose name contains "log"; a bucket policy on the -logs bucket allows him to write.
// The explicit deny wins there; elsewhere either policy's allow is enough.
func TestDocsCarlosExample(t *testing.T) {
	identity := MustParse(`{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AllowS3ListRead", "Effect": "Allow",
     "Action": ["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock", "s3:ListAccessPoints", "s3:ListAllMyBuckets"],
     "Resource": "arn:aws:s3:::*"},
    {"Sid": "AllowS3Self", "Effect": "Allow", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar"]},
    {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"}
  ]
}`)
	bucketPolicy := MustParse(`{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AllowS3PutObject", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::123456789012:user/carlossalazar"},
     "Action": "s3:PutObject",
     "Resource": "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*"}
  ]
}`)
	cases := []struct {
		action, resource string
		bucketPolicy     *Policy
		want             Decision
	}{
		{"s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/file.txt", bucketPolicy, ExplicitDeny},
		{"s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/file.txt", nil, Allow},
		{"s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/a/b/c.txt", nil, Allow},
		{"s3:ListAllMyBuckets", "arn:aws:s3:::amzn-s3-demo-bucket-other", nil, Allow},
		{"s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-other/file.txt", nil, ImplicitDeny},
		{"s3:GetBucketLocation", "arn:aws:s3:::amzn-s3-demo-bucket-catalog", nil, ExplicitDeny},
	}
	for _, c := range cases {
		got := Decide(Request{Principal: carlos, Action: c.action, Resource: c.resource},
			Policies{Identity: []*Policy{identity}, Resource: c.bucketPolicy, ResourceAccount: account})
		if got.Decision != c.want {
			t.Errorf("%s %s: %v (%s), want %v", c.action, c.resource, got.Decision, got.Reason, c.want)
		}
	}
}

// Within one account, a resource policy naming the principal allows on its own ("If either the identity-based
// policy or the resource-based policy within the same account allows the request and the other doesn't, the
// request is still allowed").
func TestResourcePolicyAloneAllowsInAccount(t *testing.T) {
	bucketPolicy := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Principal":{"AWS":"arn:aws:iam::123456789012:user/carlossalazar"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)
	got := Decide(Request{Principal: carlos, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, Policies{Resource: bucketPolicy, ResourceAccount: account})
	if !got.Allowed() {
		t.Fatalf("got %v (%s)", got.Decision, got.Reason)
	}
	// Naming the account (root) is not a grant to a principal of it: the identity policy must allow too.
	accountPolicy := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)
	got = Decide(Request{Principal: carlos, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, Policies{Resource: accountPolicy, ResourceAccount: account})
	if got.Allowed() {
		t.Fatalf("account principal granted directly: %s", got.Reason)
	}
}

// NotAction with Allow (IAM User Guide, "IAM JSON policy elements: NotAction"): everything but IAM.
func TestDocsNotActionAllow(t *testing.T) {
	p := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`)
	for action, want := range map[string]Decision{"s3:ListAllMyBuckets": Allow, "iam:CreateUser": ImplicitDeny, "IAM:createuser": ImplicitDeny} {
		got := Decide(Request{Principal: carlos, Action: action, Resource: "arn:aws:s3:::x"}, Policies{Identity: []*Policy{p}})
		if got.Decision != want {
			t.Errorf("%s: %v, want %v", action, got.Decision, want)
		}
	}
}

// The S3 User Guide's policy that denies requests not sent over TLS: it denies any principal when
// aws:SecureTransport is false and leaves TLS requests to the other statements.
func TestDocsDenyInsecureTransport(t *testing.T) {
	bucket := MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"RestrictToTLSRequestsOnly","Action":"s3:*","Effect":"Deny",
  "Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"],
  "Condition":{"Bool":{"aws:SecureTransport":"false"}},"Principal":"*"}]}`)
	identity := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}`)
	ps := Policies{Identity: []*Policy{identity}, Resource: bucket, ResourceAccount: account}
	req := Request{Principal: carlos, Action: "s3:GetObject", Resource: "arn:aws:s3:::amzn-s3-demo-bucket/k"}
	if got := Decide(req, ps); !got.Allowed() {
		t.Fatalf("TLS request: %v (%s)", got.Decision, got.Reason)
	}
	req.Context = map[string][]string{"aws:SecureTransport": {"false"}}
	if got := Decide(req, ps); got.Decision != ExplicitDeny {
		t.Fatalf("plain HTTP request: %v", got.Decision)
	}
	// The deny covers services too (Principal "*").
	svc := Request{Principal: Service("logging.s3.amazonaws.com"), Action: "s3:PutObject", Resource: "arn:aws:s3:::amzn-s3-demo-bucket/k",
		Context: map[string][]string{"aws:SecureTransport": {"false"}}}
	if got := Decide(svc, ps); got.Decision != ExplicitDeny {
		t.Fatalf("service over HTTP: %v", got.Decision)
	}
}

// Condition element semantics (IAM User Guide, "Condition element" and "condition with multiple keys or
// values"): keys are ANDed, values of one key ORed; an absent key makes a positive operator false and a
// negated one true; ...IfExists is true when the key is absent; Null tests presence; ForAllValues is true for
// an absent key.
func TestDocsConditionSemantics(t *testing.T) {
	p := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
  "Condition":{"StringEquals":{"aws:SourceAccount":["111111111111","123456789012"],"aws:SourceVpc":"vpc-1"}}}]}`)
	decide := func(p *Policy, ctx map[string][]string) Decision {
		return Decide(Request{Principal: carlos, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx}, Policies{Identity: []*Policy{p}}).Decision
	}
	if got := decide(p, map[string][]string{"aws:SourceAccount": {"123456789012"}, "aws:SourceVpc": {"vpc-1"}}); got != Allow {
		t.Errorf("both keys match: %v", got)
	}
	if got := decide(p, map[string][]string{"aws:sourceaccount": {"111111111111"}, "AWS:SourceVpc": {"vpc-1"}}); got != Allow {
		t.Errorf("keys are case-insensitive: %v", got)
	}
	if got := decide(p, map[string][]string{"aws:SourceAccount": {"123456789012"}}); got != ImplicitDeny {
		t.Errorf("one key absent: %v", got)
	}
	if got := decide(p, map[string][]string{"aws:SourceAccount": {"999999999999"}, "aws:SourceVpc": {"vpc-1"}}); got != ImplicitDeny {
		t.Errorf("value not listed: %v", got)
	}
	neg := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
  "Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}]}`)
	if got := decide(neg, nil); got != Allow {
		t.Errorf("negated operator, key absent: %v", got)
	}
	if got := decide(neg, map[string][]string{"aws:SourceVpc": {"vpc-1"}}); got != ImplicitDeny {
		t.Errorf("negated operator, key equal: %v", got)
	}
	ifExists := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
  "Condition":{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}}]}`)
	if got := decide(ifExists, nil); got != Allow {
		t.Errorf("IfExists, key absent: %v", got)
	}
	if got := decide(ifExists, map[string][]string{"ec2:InstanceType": {"t2.micro"}}); got != Allow {
		t.Errorf("IfExists, key matches: %v", got)
	}
	if got := decide(ifExists, map[string][]string{"ec2:InstanceType": {"c5.large"}}); got != ImplicitDeny {
		t.Errorf("IfExists, key does not match: %v", got)
	}
	null := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
  "Condition":{"Null":{"aws:TokenIssueTime":"true"}}}]}`)
	if got := decide(null, nil); got != Allow {
		t.Errorf("Null true, key absent: %v", got)
	}
	if got := decide(null, map[string][]string{"aws:TokenIssueTime": {"2024-01-01T00:00:00Z"}}); got != ImplicitDeny {
		t.Errorf("Null true, key present: %v", got)
	}
	forAll := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
  "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}}]}`)
	if got := decide(forAll, nil); got != Allow {
		t.Errorf("ForAllValues, key absent: %v", got)
	}
	if got := decide(forAll, map[string][]string{"aws:TagKeys": {"a", "c"}}); got != ImplicitDeny {
		t.Errorf("ForAllValues, one value outside: %v", got)
	}
	if got := decide(forAll, map[string][]string{"aws:TagKeys": {"b", "a"}}); got != Allow {
		t.Errorf("ForAllValues, all inside: %v", got)
	}
}

// ARN matching (IAM User Guide, "ARN condition operators" and "Resource"): each of the six parts is matched on
// its own, so a wildcard does not run into the next part; in the last part it spans / and :.
func TestARNMatching(t *testing.T) {
	cases := []struct {
		pattern, arn string
		want         bool
	}{
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c.jpg", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false},
		{"arn:aws:s3:::bucket", "arn:aws:s3:::bucket/x", false},
		{"arn:aws:s3:::bucket*", "arn:aws:s3:::bucket-other", true},
		{"arn:aws:sns:*:123456789012:topic", "arn:aws:sns:eu-west-1:123456789012:topic", true},
		{"arn:aws:sns:*:123456789012:topic", "arn:aws:sns:eu-west-1:123456789013:topic", false},
		{"arn:aws:*:eu-west-1:123456789012:*", "arn:aws:sqs:eu-west-1:123456789012:q", true},
		{"arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/f:*", "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/f:log-stream:s", true},
		{"arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/f:*", "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/fg:log-stream:s", false},
		{"arn:aws:s3:::b?cket", "arn:aws:s3:::bucket", true},
		{"arn:aws:s3:::b?cket", "arn:aws:s3:::buucket", false},
		{"arn:aws:s3:::Bucket", "arn:aws:s3:::bucket", false},
		{"*", "arn:aws:anything:::x", true},
	}
	for _, c := range cases {
		if got := matchARN(c.pattern, c.arn); got != c.want {
			t.Errorf("matchARN(%q, %q) = %v", c.pattern, c.arn, got)
		}
	}
}

// KMS (Key Management Service Developer Guide, "Key policies"): no principal can use a key unless the key
// policy allows it; the default statement for the account root lets IAM policies grant access.
func TestKeyPolicyMustAllow(t *testing.T) {
	identity := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`)
	none := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/admin"},"Action":"kms:*","Resource":"*"}]}`)
	root := MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`)
	req := Request{Principal: carlos, Action: "kms:Decrypt", Resource: "arn:aws:kms:eu-west-1:123456789012:key/k"}
	if got := Decide(req, Policies{Identity: []*Policy{identity}, Resource: none, Kind: KeyPolicy, ResourceAccount: account}); got.Allowed() {
		t.Errorf("identity alone used a key: %s", got.Reason)
	}
	if got := Decide(req, Policies{Identity: []*Policy{identity}, Resource: root, Kind: KeyPolicy, ResourceAccount: account}); !got.Allowed() {
		t.Errorf("root delegation + identity: %v", got.Decision)
	}
	if got := Decide(req, Policies{Resource: root, Kind: KeyPolicy, ResourceAccount: account}); got.Allowed() {
		t.Errorf("root delegation without identity policy allowed: %s", got.Reason)
	}
	admin := Request{Principal: Role("arn:aws:iam::123456789012:user/admin"), Action: "kms:ScheduleKeyDeletion", Resource: req.Resource}
	if got := Decide(admin, Policies{Resource: none, Kind: KeyPolicy, ResourceAccount: account}); !got.Allowed() {
		t.Errorf("key policy naming the user: %v", got.Decision)
	}
}

func TestNotPrincipalAndNotResource(t *testing.T) {
	bucket := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/carlossalazar"},
  "Action":"s3:*","NotResource":"arn:aws:s3:::b/public/*"}]}`)
	other := Role("arn:aws:iam::123456789012:role/other")
	identity := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)
	ps := Policies{Identity: []*Policy{identity}, Resource: bucket, ResourceAccount: account}
	if got := Decide(Request{Principal: other, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/private/k"}, ps); got.Decision != ExplicitDeny {
		t.Errorf("other principal, private key: %v", got.Decision)
	}
	if got := Decide(Request{Principal: other, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/public/k"}, ps); !got.Allowed() {
		t.Errorf("other principal, public key: %v", got.Decision)
	}
	if got := Decide(Request{Principal: carlos, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/private/k"}, ps); !got.Allowed() {
		t.Errorf("named principal: %v", got.Decision)
	}
}

func TestParseRejectsWhatItCannotEvaluate(t *testing.T) {
	for _, doc := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}]}`,
		`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":{"Group":"x"}}]}`,
	} {
		_, err := Parse([]byte(doc))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse accepted %s (err %v)", doc, err)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"", "", true}, {"", "a", false}, {"a*", "abc", true}, {"*c", "abc", true},
		{"a*c", "abxc", true}, {"a*c", "abxd", false}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"*a*b*", "xxaxxbxx", true}, {"*a*b*", "xxbxxaxx", false}, {"s3:Get*", "s3:GetObject", true},
	}
	for _, c := range cases {
		if got := wildcardMatch(c.p, c.s); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", c.p, c.s, got)
		}
	}
}
