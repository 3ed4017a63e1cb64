package tfschema

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
)

// Schema is the subset of a provider schema the validator needs.
type Schema struct {
	Provider        string            `json:"provider"`
	ProviderVersion string            `json:"provider_version"`
	Package         string            `json:"package"`
	Resources       map[string]*Block `json:"resources"`
	DataSources     map[string]*Block `json:"data_sources"`
}

// Block is a resource, data source or nested block: its arguments and its nested blocks.
type Block struct {
	Attributes map[string]*Attribute   `json:"attributes"`
	Blocks     map[string]*NestedBlock `json:"blocks,omitempty"`
}

// Attribute is one argument of a block.
type Attribute struct {
	Required bool   `json:"required,omitempty"`
	Type     string `json:"type"`
}

// NestedBlock is a block inside a block. Single means at most one (max_items 1 or a single nested block).
type NestedBlock struct {
	Required bool   `json:"required,omitempty"`
	Single   bool   `json:"single,omitempty"`
	Block    *Block `json:"block"`
}

//go:embed aws.json
var awsJSON []byte

// AWS returns the committed subset of the hashicorp/aws schema.
func AWS() (*Schema, error) {
	var s Schema
	if err := json.Unmarshal(awsJSON, &s); err != nil {
		return nil, fmt.Errorf("tfschema: aws.json: %w", err)
	}
	return &s, nil
}

// Marshal renders the schema as indented JSON with sorted keys, so regenerating it gives stable diffs.
func (s *Schema) Marshal() ([]byte, error) {
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
