package infracheck

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/iampolicy"
)

// simCase is one request for testdata/iamsim.mjs.
type simCase struct {
	Principal      string              `json:"principal"`
	Action         string              `json:"action"`
	Resource       string              `json:"resource"`
	Account        string              `json:"account"`
	Context        map[string][]string `json:"context,omitempty"`
	Identity       []json.RawMessage   `json:"identity,omitempty"`
	ResourcePolicy json.RawMessage     `json:"resourcePolicy,omitempty"`

	want iampolicy.Decision
	desc string
}

// TestCrossCheckWithIAMSimulate compares every decision of the permission matrix (and the service principal
// cases) with @cloud-copilot/iam-simulate, an independent simulator. It runs when IAMSIM_DIR names a directory
// where `make iamsim` installed it (make test does); the AGPL package is a test-time tool, never shipped.
func TestCrossCheckWithIAMSimulate(t *testing.T) {
	dir := os.Getenv("IAMSIM_DIR")
	if dir == "" {
		t.Skip("IAMSIM_DIR not set: cross-check with @cloud-copilot/iam-simulate skipped (make test sets it)")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules/@cloud-copilot/iam-simulate/package.json")); err != nil {
		t.Skipf("@cloud-copilot/iam-simulate not installed in %s (make iamsim): cross-check skipped", dir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: cross-check skipped")
	}
	for _, name := range []string{"dev"} {
		e := envs(t)[name]
		t.Run(name, func(t *testing.T) {
			az, err := e.Authorizer()
			if err != nil {
				t.Fatal(err)
			}
			w := newWorld(t, e)
			var cases []simCase
			add := func(principal, action, rname, resource string, ctx map[string][]string, desc string) {
				c := simCase{Principal: principal, Action: action, Resource: resource, Account: Account, desc: desc}
				c.Context = map[string][]string{"aws:SecureTransport": {"true"}}
				if strings.HasPrefix(principal, "arn:") {
					c.Context["aws:PrincipalArn"] = []string{principal}
					c.Context["aws:PrincipalAccount"] = []string{Account}
				} else {
					c.Context["aws:PrincipalServiceName"] = []string{principal}
				}
				for k, v := range ctx {
					c.Context[k] = v
				}
				ids, rp := az.Documents(principal, resource)
				for _, d := range ids {
					c.Identity = append(c.Identity, json.RawMessage(d))
				}
				if rp != "" {
					c.ResourcePolicy = json.RawMessage(rp)
				}
				c.want = az.Decide(principal, action, resource, ctx).Decision
				cases = append(cases, c)
			}
			names := make([]string, 0, len(w.principals))
			for n := range w.principals {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				for rname, arn := range w.resources {
					if strings.HasPrefix(rname, "role:") {
						continue // trust policies: covered by TestServicePrincipals
					}
					for _, action := range universe {
						// A request on "*" is a wildcard query for the simulator: compare only actions that
						// AWS authorizes on "*".
						if arn == "*" && !resourceless[action] {
							continue
						}
						if sameService(action, arn) && !strings.HasPrefix(action, "sts:") && !strings.HasPrefix(action, "iam:") {
							add(w.principals[n], action, rname, arn, w.ctx[rname], n)
						}
					}
				}
			}
			rule := Str(e.Resources("aws_cloudwatch_event_rule")[0], "arn")
			alarm := Str(e.Resources("aws_cloudwatch_metric_alarm")[0], "arn")
			add("events.amazonaws.com", "sqs:SendMessage", "dlq", w.resources["dlq"], map[string][]string{"aws:SourceArn": {rule}}, "rule")
			add("events.amazonaws.com", "sqs:SendMessage", "dlq", w.resources["dlq"], map[string][]string{"aws:SourceArn": {rule + "x"}}, "other rule")
			add("cloudwatch.amazonaws.com", "sns:Publish", "topic", w.resources["topic"], map[string][]string{"aws:SourceArn": {alarm}, "aws:SourceAccount": {Account}}, "alarm")
			add("cloudwatch.amazonaws.com", "sns:Publish", "topic", w.resources["topic"], map[string][]string{"aws:SourceArn": {alarm}, "aws:SourceAccount": {"999999999999"}}, "foreign alarm")
			add(w.principals["user A"], "s3:GetObject", "A/obj", w.resources["A/obj"], map[string][]string{"aws:SecureTransport": {"false"}}, "user A over HTTP")

			in, err := json.Marshal(cases)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "cases.json")
			if err := os.WriteFile(path, in, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(node, "testdata/iamsim.mjs", dir, path)
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("iamsim.mjs: %v", err)
			}
			var results []struct {
				Result string `json:"result"`
				Error  string `json:"error"`
			}
			if err := json.Unmarshal(out, &results); err != nil || len(results) != len(cases) {
				t.Fatalf("iamsim.mjs output (%d results for %d cases): %v", len(results), len(cases), err)
			}
			compared, rejected := 0, 0
			for i, r := range results {
				c := cases[i]
				if r.Error != "" {
					// The simulator refuses actions that cannot apply to the resource type (s3:PutObject on
					// a bucket ARN). Those must be denied here too, or the matrix would grant nonsense.
					if c.want == iampolicy.Allow {
						t.Errorf("%s %s %s: allowed here, simulator rejects the request: %s", c.desc, c.Action, c.Resource, r.Error)
					}
					rejected++
					continue
				}
				compared++
				want := map[iampolicy.Decision]string{iampolicy.Allow: "Allowed", iampolicy.ImplicitDeny: "ImplicitlyDenied", iampolicy.ExplicitDeny: "ExplicitlyDenied"}[c.want]
				if r.Result != want {
					t.Errorf("%s %s %s: iampolicy %s, iam-simulate %s", c.desc, c.Action, c.Resource, want, r.Result)
				}
			}
			t.Logf("%d decisions agree with iam-simulate; %d requests it rejects as invalid for the resource type", compared, rejected)
			if compared < len(cases)/4 {
				t.Errorf("only %d of %d requests compared", compared, len(cases))
			}
		})
	}
}
