package statemachine

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

//go:embed sanitizer.asl.json
var definition string

// The placeholders in sanitizer.asl.json.
const (
	ValidateFunctionARN      = "validate_function_arn"
	StripFunctionARN         = "strip_function_arn"
	WriteFunctionARN         = "write_function_arn"
	VerifyFunctionARN        = "verify_function_arn"
	RecordFailureFunctionARN = "record_failure_function_arn"
	UnpublishFunctionARN     = "unpublish_function_arn"
	FailureTopicARN          = "failure_topic_arn"
)

// Placeholders lists every placeholder Render needs a value for.
var Placeholders = []string{
	ValidateFunctionARN, StripFunctionARN, WriteFunctionARN, VerifyFunctionARN,
	RecordFailureFunctionARN, UnpublishFunctionARN, FailureTopicARN,
}

// Template is sanitizer.asl.json as written, placeholders unfilled.
func Template() string { return definition }

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// Render fills every placeholder from values (placeholder name → ARN). A missing or
// empty value, or a value for a placeholder the file does not have, is an error: a
// typo must not deploy a state machine that invokes nothing.
func Render(values map[string]string) ([]byte, error) {
	var missing []string
	for _, name := range Placeholders {
		if values[name] == "" {
			missing = append(missing, name)
		}
	}
	var unknown []string
	for name := range values {
		if !strings.Contains(definition, "${"+name+"}") {
			unknown = append(unknown, name)
		}
	}
	if len(missing) > 0 || len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("render state machine: missing %v, unknown %v", missing, unknown)
	}
	out := placeholder.ReplaceAllStringFunc(definition, func(m string) string {
		quoted, _ := json.Marshal(values[m[2:len(m)-1]])
		return string(quoted[1 : len(quoted)-1])
	})
	if !json.Valid([]byte(out)) {
		return nil, fmt.Errorf("render state machine: result is not valid JSON")
	}
	return []byte(out), nil
}
