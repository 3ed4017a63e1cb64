package tfschema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInfraMatchesProviderSchema(t *testing.T) {
	s, err := AWS()
	if err != nil {
		t.Fatal(err)
	}
	if s.Provider != "hashicorp/aws" || !strings.HasPrefix(s.ProviderVersion, "6.") {
		t.Fatalf("schema is %s %s, want hashicorp/aws 6.x", s.Provider, s.ProviderVersion)
	}
	files, err := ParseDir("../../infra")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found %d .tf files under infra/", len(files))
	}
	for _, d := range s.Validate(files) {
		t.Error(d)
	}
	// Every type infra/ uses must be in the committed subset (else regenerate it).
	rs, ds, err := TypesUsed("../../infra")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if s.Resources[r] == nil {
			t.Errorf("resource type %s missing from aws.json: run infra/schema/regenerate.sh", r)
		}
	}
	for _, d := range ds {
		if s.DataSources[d] == nil {
			t.Errorf("data source %s missing from aws.json: run infra/schema/regenerate.sh", d)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	s, err := AWS()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, src, want string }{
		{"unknown type", `resource "aws_s3_bukket" "x" {}`, `resource type "aws_s3_bukket" is not in`},
		{"unknown argument", `resource "aws_s3_bucket" "x" { buckett = "a" }`, `unsupported argument "buckett"`},
		{"computed only", `resource "aws_s3_bucket" "x" { arn = "a" }`, `unsupported argument "arn"`},
		{"missing required", `resource "aws_iam_role" "x" { name = "r" }`, `missing required argument "assume_role_policy"`},
		{"missing required in block", `resource "aws_s3_bucket_versioning" "x" {
  bucket = "b"
  versioning_configuration {}
}`, `missing required argument "status"`},
		{"missing required block", `resource "aws_s3_bucket_versioning" "x" { bucket = "b" }`, `missing required block "versioning_configuration"`},
		{"block as argument", `resource "aws_lambda_function" "x" {
  function_name = "f"
  role          = "r"
  environment   = { variables = {} }
}`, `"environment" is a block, not an argument`},
		{"argument as block", `resource "aws_lambda_function" "x" {
  function_name = "f"
  role          = "r"
  handler { x = 1 }
}`, `"handler" is an argument, not a block`},
		{"unknown nested argument", `resource "aws_lambda_function" "x" {
  function_name = "f"
  role          = "r"
  tracing_config { mod = "Active" }
}`, `unsupported argument "mod"`},
		{"two single blocks", `resource "aws_lambda_function" "x" {
  function_name = "f"
  role          = "r"
  tracing_config { mode = "Active" }
  tracing_config { mode = "PassThrough" }
}`, `at most one "tracing_config" block`},
		{"dynamic content checked", `data "aws_iam_policy_document" "x" {
  dynamic "statement" {
    for_each = [1]
    content { actionz = ["s3:GetObject"] }
  }
}`, `unsupported argument "actionz"`},
		{"unknown data source", `data "aws_nope" "x" {}`, `data type "aws_nope" is not in`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(c.src+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			files, err := ParseDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			diags := s.Validate(files)
			var all []string
			for _, d := range diags {
				all = append(all, d.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), c.want) {
				t.Fatalf("diagnostics %q do not contain %q", all, c.want)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	s, err := AWS()
	if err != nil {
		t.Fatal(err)
	}
	src := `resource "aws_s3_bucket" "x" {
  for_each = toset(["a"])
  bucket   = each.key
  lifecycle {
    prevent_destroy = true
  }
}
resource "aws_lambda_function" "x" {
  function_name = "f"
  role          = "r"
  environment {
    variables = { A = "b" }
  }
}
`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := ParseDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diags := s.Validate(files); len(diags) != 0 {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
}
