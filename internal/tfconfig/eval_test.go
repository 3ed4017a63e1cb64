package tfconfig

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

var opts = Options{AccountID: "111122223333", Region: "eu-west-1", Partition: "aws"}

// writeTree writes files (path -> content) under a temporary directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func find(t *testing.T, p *Plan, addr string) *Resource {
	t.Helper()
	for _, r := range p.Resources {
		if r.Address() == addr {
			return r
		}
	}
	var all []string
	for _, r := range p.Resources {
		all = append(all, r.Address())
	}
	t.Fatalf("no %s in %v", addr, all)
	return nil
}

func str(v cty.Value, path ...string) string {
	for _, p := range path {
		v = v.GetAttr(p)
	}
	return v.AsString()
}

func TestModulesForEachDynamicAndComputedAttributes(t *testing.T) {
	dir := writeTree(t, map[string]string{
		// Declared out of order: evaluation must not depend on it.
		"root/main.tf": `
output "bucket_arns" { value = module.store.arns }
module "store" {
  source = "../mod"
  prefix = local.prefix
  names  = ["a", "b"]
}
locals { prefix = "p-${var.env}" }
variable "env" {
  type    = string
  default = "dev"
}
`,
		"mod/main.tf": `
variable "prefix" { type = string }
variable "names" { type = list(string) }
variable "opts" {
  type = object({
    versioning = optional(bool, true)
    extra      = optional(string)
  })
  default = {}
}
resource "aws_s3_bucket" "this" {
  for_each = toset(var.names)
  bucket   = "${var.prefix}-${each.key}"
}
resource "aws_iam_role" "r" {
  count              = var.opts.versioning ? 2 : 0
  name               = "role-${count.index}"
  assume_role_policy = "{}"
}
data "aws_iam_policy_document" "d" {
  dynamic "statement" {
    for_each = aws_s3_bucket.this
    content {
      sid       = "S${upper(statement.key)}"
      actions   = ["s3:GetObject"]
      resources = ["${statement.value.arn}/*"]
      principals {
        type        = "AWS"
        identifiers = [aws_iam_role.r[0].arn]
      }
      condition {
        test     = "Bool"
        variable = "aws:SecureTransport"
        values   = ["true"]
      }
    }
  }
  statement {
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}
output "arns" { value = [for b in aws_s3_bucket.this : b.arn] }
`,
	})
	p, err := Evaluate(filepath.Join(dir, "root"), opts)
	if err != nil {
		t.Fatal(err)
	}
	b := find(t, p, `module.store.aws_s3_bucket.this["a"]`)
	if got := str(b.Value, "arn"); got != "arn:aws:s3:::p-dev-a" {
		t.Errorf("bucket arn %q", got)
	}
	if got := str(find(t, p, "module.store.aws_iam_role.r[1]").Value, "arn"); got != "arn:aws:iam::111122223333:role/role-1" {
		t.Errorf("role arn %q", got)
	}
	arns := p.Outputs["bucket_arns"]
	if arns.LengthInt() != 2 || arns.Index(cty.NumberIntVal(1)).AsString() != "arn:aws:s3:::p-dev-b" {
		t.Errorf("output %#v", arns)
	}
	var doc struct {
		Version   string
		Statement []map[string]any
	}
	if err := json.Unmarshal([]byte(str(find(t, p, "module.store.data.aws_iam_policy_document.d").Value, "json")), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2012-10-17" || len(doc.Statement) != 3 {
		t.Fatalf("policy %+v", doc)
	}
	first := doc.Statement[0]
	if first["Sid"] != "SA" || first["Effect"] != "Allow" || first["Resource"].([]any)[0] != "arn:aws:s3:::p-dev-a/*" {
		t.Errorf("first statement %v", first)
	}
	if pr := first["Principal"].(map[string]any)["AWS"].([]any)[0]; pr != "arn:aws:iam::111122223333:role/role-0" {
		t.Errorf("principal %v", pr)
	}
	if c := first["Condition"].(map[string]any)["Bool"].(map[string]any)["aws:SecureTransport"].([]any)[0]; c != "true" {
		t.Errorf("condition %v", c)
	}
	if doc.Statement[2]["Principal"] != "*" || doc.Statement[2]["Effect"] != "Deny" {
		t.Errorf("deny statement %v", doc.Statement[2])
	}
}

func TestTemplatefileAndFiles(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"tmpl.json": `{"arn": "${arn}", "n": ${n}}`,
		"plain.txt": "hello",
		"root/main.tf": `
resource "aws_sfn_state_machine" "m" {
  name       = "m"
  role_arn   = "r"
  definition = templatefile("${path.root}/../tmpl.json", { arn = aws_sns_topic.t.arn, n = 3 })
}
resource "aws_sns_topic" "t" {
  name = "t"
}
output "plain" { value = replace(file("${path.root}/../plain.txt"), "l", "L") }
output "hash" { value = filebase64sha256("${path.root}/../missing.zip") }
`,
	})
	p, err := Evaluate(filepath.Join(dir, "root"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := str(find(t, p, "aws_sfn_state_machine.m").Value, "definition"); got != `{"arn": "arn:aws:sns:eu-west-1:111122223333:t", "n": 3}` {
		t.Errorf("definition %s", got)
	}
	if got := p.Outputs["plain"].AsString(); got != "heLLo" {
		t.Errorf("plain %q", got)
	}
	if p.Outputs["hash"].IsKnown() {
		t.Errorf("hash of a missing artifact should be unknown")
	}
}

func TestErrorsAreReported(t *testing.T) {
	cases := map[string]struct {
		files map[string]string
		want  string
	}{
		"template variable not given": {map[string]string{
			"t.tpl":        `${a} ${b}`,
			"root/main.tf": `output "x" { value = templatefile("${path.root}/../t.tpl", { a = 1 }) }`,
		}, `vars has no "b"`},
		"validation fails": {map[string]string{
			"root/main.tf": `
variable "kind" {
  type    = string
  default = "BOTH"
  validation {
    condition     = contains(["STANDARD", "EXPRESS"], var.kind)
    error_message = "kind must be STANDARD or EXPRESS."
  }
}`,
		}, "kind must be STANDARD or EXPRESS."},
		"unsupported attribute": {map[string]string{
			"root/main.tf": `
resource "aws_sns_topic" "t" { name = "t" }
output "x" { value = aws_sns_topic.t.nonexistent }`,
		}, "nonexistent"},
		"module argument without variable": {map[string]string{
			"root/main.tf": `module "m" {
  source = "../m"
  nope   = 1
}`,
			"m/main.tf": `variable "yes" { default = 1 }`,
		}, `has no variable "nope"`},
		"required module variable missing": {map[string]string{
			"root/main.tf": `module "m" { source = "../m" }`,
			"m/main.tf":    `variable "yes" { type = number }`,
		}, `required variable "yes" not given`},
		"undeclared reference": {map[string]string{
			"root/main.tf": `output "x" { value = var.missing }`,
		}, "missing"},
		"wrong variable type": {map[string]string{
			"root/main.tf": `variable "n" {
  type    = number
  default = "x"
}`,
		}, `variable "n"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := writeTree(t, c.files)
			_, err := Evaluate(filepath.Join(dir, "root"), opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
			var cfgErr *Error
			if name != "module argument without variable" && !errors.As(err, &cfgErr) {
				t.Fatalf("error %T is not *tfconfig.Error", err)
			}
		})
	}
}

func TestRootVariablesOverrideDefaults(t *testing.T) {
	dir := writeTree(t, map[string]string{"root/main.tf": `
variable "kind" {
  type    = string
  default = "STANDARD"
}
output "kind" { value = var.kind }
`})
	p, err := Evaluate(filepath.Join(dir, "root"), Options{Variables: map[string]cty.Value{"kind": cty.StringVal("EXPRESS")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Outputs["kind"].AsString(); got != "EXPRESS" {
		t.Fatalf("kind %q", got)
	}
}
