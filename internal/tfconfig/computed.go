package tfconfig

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// computed adds the attributes the provider computes that the configuration or the checks refer to. ARNs and
// ids follow AWS's formats, built from the configured names; values AWS generates (key ids) are derived from
// the instance address so that they are stable and distinct.
func (e *evaluator) computed(r *resourceBlock, module string, key cty.Value, cfg cty.Value) cty.Value {
	if !cfg.IsKnown() || cfg.IsNull() {
		return cfg
	}
	attrs := cfg.AsValueMap()
	if attrs == nil {
		attrs = map[string]cty.Value{}
	}
	str := func(name string) cty.Value {
		v, ok := attrs[name]
		if !ok || v.IsNull() {
			return cty.NullVal(cty.String)
		}
		return v
	}
	// join builds a string from parts, unknown if any part is.
	join := func(parts ...cty.Value) cty.Value {
		var b strings.Builder
		for _, p := range parts {
			if !p.IsKnown() {
				return cty.UnknownVal(cty.String)
			}
			if p.IsNull() {
				return cty.UnknownVal(cty.String)
			}
			b.WriteString(p.AsString())
		}
		return cty.StringVal(b.String())
	}
	s := cty.StringVal
	part, region, account := s(e.opts.Partition), s(e.opts.Region), s(e.opts.AccountID)
	arnPrefix := func(service string) []cty.Value {
		return []cty.Value{s("arn:"), part, s(":" + service + ":"), region, s(":"), account, s(":")}
	}
	set := func(name string, v cty.Value) {
		if _, ok := attrs[name]; !ok || attrs[name].IsNull() {
			attrs[name] = v
		}
	}
	addr := r.addr()
	if module != "" {
		addr = module + "." + addr
	}
	if key != cty.NilVal {
		addr += "[" + key.GoString() + "]"
	}
	sum := sha256.Sum256([]byte(addr))
	uuid := fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])

	switch r.typ {
	case "aws_caller_identity":
		set("account_id", account)
		set("id", account)
		set("arn", join(s("arn:"), part, s(":iam::"), account, s(":user/terraform")))
	case "aws_region":
		set("region", region)
		set("name", region)
		set("id", region)
	case "aws_partition":
		set("partition", part)
		set("dns_suffix", s("amazonaws.com"))
		set("id", part)
	case "aws_iam_policy_document":
		doc, err := policyDocumentJSON(cfg)
		if err != nil {
			attrs["json"] = cty.UnknownVal(cty.String)
		} else {
			set("json", doc)
			set("minified_json", doc)
		}
	case "aws_s3_bucket":
		set("id", str("bucket"))
		set("arn", join(s("arn:"), part, s(":s3:::"), str("bucket")))
		set("bucket_domain_name", join(str("bucket"), s(".s3.amazonaws.com")))
	case "aws_kms_key":
		set("key_id", s(uuid))
		set("id", s(uuid))
		set("arn", join(append(arnPrefix("kms"), s("key/"+uuid))...))
	case "aws_kms_alias":
		set("id", str("name"))
		set("arn", join(append(arnPrefix("kms"), str("name"))...))
	case "aws_iam_role", "aws_iam_user", "aws_iam_group":
		kind := strings.TrimPrefix(r.typ, "aws_iam_")
		path := str("path")
		if path.IsNull() {
			path = s("/")
		}
		set("id", str("name"))
		set("unique_id", s("AROA"+strings.ToUpper(fmt.Sprintf("%x", sum[:8]))))
		set("arn", join(s("arn:"), part, s(":iam::"), account, s(":"+kind), path, str("name")))
		set("path", path)
	case "aws_lambda_function":
		arn := join(append(arnPrefix("lambda"), s("function:"), str("function_name"))...)
		set("id", str("function_name"))
		set("arn", arn)
		set("qualified_arn", join(arn, s(":$LATEST")))
		set("invoke_arn", join(s("arn:"), part, s(":apigateway:"), region, s(":lambda:path/2015-03-31/functions/"), arn, s("/invocations")))
	case "aws_cloudwatch_log_group":
		set("id", str("name"))
		set("arn", join(append(arnPrefix("logs"), s("log-group:"), str("name"))...))
	case "aws_sfn_state_machine":
		arn := join(append(arnPrefix("states"), s("stateMachine:"), str("name"))...)
		set("id", arn)
		set("arn", arn)
		if _, ok := attrs["type"]; !ok {
			attrs["type"] = s("STANDARD")
		}
	case "aws_sns_topic":
		arn := join(append(arnPrefix("sns"), str("name"))...)
		set("id", arn)
		set("arn", arn)
	case "aws_sqs_queue":
		url := join(s("https://sqs."), region, s(".amazonaws.com/"), account, s("/"), str("name"))
		set("id", url)
		set("url", url)
		set("arn", join(append(arnPrefix("sqs"), str("name"))...))
	case "aws_cloudwatch_event_rule":
		set("id", str("name"))
		set("arn", join(append(arnPrefix("events"), s("rule/"), str("name"))...))
	case "aws_cloudwatch_metric_alarm":
		set("id", str("alarm_name"))
		set("arn", join(append(arnPrefix("cloudwatch"), s("alarm:"), str("alarm_name"))...))
	case "aws_sns_topic_subscription":
		set("arn", join(str("topic_arn"), s(":"+uuid)))
	}
	set("id", s(addr))
	return cty.ObjectVal(attrs)
}

// policyDocumentJSON renders an aws_iam_policy_document's arguments as the provider renders its json.
func policyDocumentJSON(cfg cty.Value) (cty.Value, error) {
	if !cfg.IsWhollyKnown() {
		return cty.UnknownVal(cty.String), nil
	}
	attrs := cfg.AsValueMap()
	for _, unsupported := range []string{"source_policy_documents", "override_policy_documents", "source_json", "override_json"} {
		if v, ok := attrs[unsupported]; ok && !v.IsNull() {
			return cty.NilVal, fmt.Errorf("aws_iam_policy_document: %s is not supported here", unsupported)
		}
	}
	doc := map[string]any{"Version": "2012-10-17"}
	if v, ok := attrs["version"]; ok && !v.IsNull() {
		doc["Version"] = v.AsString()
	}
	if v, ok := attrs["policy_id"]; ok && !v.IsNull() {
		doc["Id"] = v.AsString()
	}
	var statements []any
	if list, ok := attrs["statement"]; ok && !list.IsNull() {
		for it := list.ElementIterator(); it.Next(); {
			_, st := it.Element()
			m := st.AsValueMap()
			out := map[string]any{"Effect": "Allow"}
			if v, ok := m["effect"]; ok && !v.IsNull() {
				out["Effect"] = v.AsString()
			}
			if v, ok := m["sid"]; ok && !v.IsNull() && v.AsString() != "" {
				out["Sid"] = v.AsString()
			}
			for tf, js := range map[string]string{"actions": "Action", "not_actions": "NotAction", "resources": "Resource", "not_resources": "NotResource"} {
				if v, ok := m[tf]; ok && !v.IsNull() {
					out[js] = stringList(v)
				}
			}
			for tf, js := range map[string]string{"principals": "Principal", "not_principals": "NotPrincipal"} {
				v, ok := m[tf]
				if !ok || v.IsNull() || v.LengthInt() == 0 {
					continue
				}
				principals := map[string][]string{}
				for pit := v.ElementIterator(); pit.Next(); {
					_, p := pit.Element()
					pm := p.AsValueMap()
					typ := pm["type"].AsString()
					principals[typ] = append(principals[typ], stringList(pm["identifiers"])...)
				}
				if ids, ok := principals["*"]; ok && len(principals) == 1 && len(ids) == 1 && ids[0] == "*" {
					out[js] = "*"
				} else {
					for k := range principals {
						sort.Strings(principals[k])
					}
					out[js] = principals
				}
			}
			if v, ok := m["condition"]; ok && !v.IsNull() && v.LengthInt() > 0 {
				conds := map[string]map[string][]string{}
				for cit := v.ElementIterator(); cit.Next(); {
					_, c := cit.Element()
					cm := c.AsValueMap()
					test, variable := cm["test"].AsString(), cm["variable"].AsString()
					if conds[test] == nil {
						conds[test] = map[string][]string{}
					}
					conds[test][variable] = append(conds[test][variable], stringList(cm["values"])...)
				}
				out["Condition"] = conds
			}
			statements = append(statements, out)
		}
	}
	doc["Statement"] = statements
	b, err := json.Marshal(doc)
	if err != nil {
		return cty.NilVal, err
	}
	return cty.StringVal(string(b)), nil
}

func stringList(v cty.Value) []string {
	var out []string
	if v.IsNull() {
		return out
	}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.Type() == cty.String {
			out = append(out, e.AsString())
		} else {
			out = append(out, e.GoString())
		}
	}
	return out
}
