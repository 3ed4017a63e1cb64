package tfschema

import (
	"strings"
	"testing"
)

// A cut-down assembly in the shape @cdktf/provider-aws publishes: a resource class whose initializer takes a
// config interface, a required and an optional argument, a single and a list block, a nested required field.
const miniJSII = `{
  "name": "@cdktf/provider-aws", "version": "21.22.1",
  "types": {
    "@cdktf/provider-aws.widget.Widget": {
      "fqn": "@cdktf/provider-aws.widget.Widget", "kind": "class",
      "docs": {"summary": "Represents a {@link https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/widget aws_widget}."},
      "initializer": {"parameters": [
        {"name": "scope", "type": {"fqn": "constructs.Construct"}},
        {"name": "id", "type": {"primitive": "string"}},
        {"name": "config", "type": {"fqn": "@cdktf/provider-aws.widget.WidgetConfig"}}
      ]}
    },
    "@cdktf/provider-aws.widget.WidgetConfig": {
      "fqn": "@cdktf/provider-aws.widget.WidgetConfig", "kind": "interface",
      "properties": [
        {"name": "bucketName", "docs": {"summary": "Docs at Terraform Registry: {@link https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/widget#bucket_name Widget#bucket_name}."}, "type": {"primitive": "string"}},
        {"name": "forceDestroy", "optional": true, "docs": {"summary": "Docs at Terraform Registry: {@link https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/widget#force_destroy Widget#force_destroy}."}, "type": {"union": {"types": [{"primitive": "boolean"}, {"fqn": "cdktf.IResolvable"}]}}},
        {"name": "region", "optional": true, "docs": {"summary": "Region where this resource will be managed."}, "type": {"primitive": "string"}},
        {"name": "forEach", "optional": true, "docs": {"summary": "meta"}, "type": {"primitive": "any"}},
        {"name": "rule", "optional": true, "docs": {"summary": "rule block.", "remarks": "Docs at Terraform Registry: {@link https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/widget#rule Widget#rule}"}, "type": {"union": {"types": [{"fqn": "cdktf.IResolvable"}, {"collection": {"kind": "array", "elementtype": {"fqn": "@cdktf/provider-aws.widget.WidgetRule"}}}]}}},
        {"name": "timeouts", "optional": true, "docs": {"summary": "timeouts block."}, "type": {"fqn": "@cdktf/provider-aws.widget.WidgetTimeouts"}}
      ]
    },
    "@cdktf/provider-aws.widget.WidgetRule": {
      "fqn": "@cdktf/provider-aws.widget.WidgetRule", "kind": "interface",
      "properties": [
        {"name": "days", "docs": {"summary": "Docs at Terraform Registry: {@link https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/widget#days Widget#days}."}, "type": {"primitive": "number"}}
      ]
    },
    "@cdktf/provider-aws.widget.WidgetTimeouts": {
      "fqn": "@cdktf/provider-aws.widget.WidgetTimeouts", "kind": "interface",
      "properties": [{"name": "create", "optional": true, "docs": {"summary": "create."}, "type": {"primitive": "string"}}]
    }
  }
}`

func TestFromJSII(t *testing.T) {
	s, err := FromJSII([]byte(miniJSII), []string{"aws_widget"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Provider != "hashicorp/aws" || s.ProviderVersion != "6.25.0" || s.Package != "@cdktf/provider-aws@21.22.1" {
		t.Errorf("provenance %s %s %s", s.Provider, s.ProviderVersion, s.Package)
	}
	w := s.Resources["aws_widget"]
	if w == nil {
		t.Fatal("aws_widget missing")
	}
	if a := w.Attributes["bucket_name"]; a == nil || !a.Required || a.Type != "string" {
		t.Errorf("bucket_name %+v", a)
	}
	if a := w.Attributes["force_destroy"]; a == nil || a.Required || a.Type != "bool" {
		t.Errorf("force_destroy %+v", a)
	}
	if w.Attributes["region"] == nil || w.Attributes["for_each"] != nil {
		t.Errorf("region (snake-cased) or meta-argument for_each wrong: %v", w.Attributes)
	}
	rule := w.Blocks["rule"]
	if rule == nil || rule.Single || rule.Required || !rule.Block.Attributes["days"].Required {
		t.Errorf("rule block %+v", rule)
	}
	if to := w.Blocks["timeouts"]; to == nil || !to.Single {
		t.Errorf("timeouts block %+v", to)
	}
	if _, err := FromJSII([]byte(miniJSII), []string{"aws_gadget"}, nil); err == nil || !strings.Contains(err.Error(), "aws_gadget") {
		t.Errorf("missing type not reported: %v", err)
	}
}
