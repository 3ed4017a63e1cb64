package events

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// ReprocessSource is the custom event source the reprocess command uses.
const ReprocessSource = "s3-image-sanitizer.reprocess"

//go:embed rule-pattern.json
var rulePattern string

//go:embed samples/*.json
var samples embed.FS

// RulePatternTemplate is rule-pattern.json as written, with its ${input_bucket} placeholder.
func RulePatternTemplate() string { return rulePattern }

// RulePattern renders the rule's event pattern for one input bucket.
func RulePattern(inputBucket string) (string, error) {
	if inputBucket == "" {
		return "", fmt.Errorf("rule pattern: empty input bucket")
	}
	quoted, err := json.Marshal(inputBucket)
	if err != nil {
		return "", err
	}
	// The placeholder sits inside a JSON string: splice in the escaped name without its quotes.
	out := strings.ReplaceAll(rulePattern, "${input_bucket}", string(quoted[1:len(quoted)-1]))
	if !json.Valid([]byte(out)) {
		return "", fmt.Errorf("rule pattern for %q is not valid JSON", inputBucket)
	}
	return out, nil
}

// SampleNames lists the sample events, sorted.
func SampleNames() []string {
	entries, _ := fs.ReadDir(samples, "samples")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// Sample returns one sample event by file name (e.g. "object-created-plain.json").
func Sample(name string) ([]byte, error) {
	return samples.ReadFile(path.Join("samples", name))
}
