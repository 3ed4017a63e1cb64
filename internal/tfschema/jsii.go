package tfschema

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// The parts of a .jsii assembly that describe cdktf provider bindings.
type jsiiAssembly struct {
	Name    string              `json:"name"`
	Version string              `json:"version"`
	Types   map[string]jsiiType `json:"types"`
}

type jsiiType struct {
	FQN         string         `json:"fqn"`
	Kind        string         `json:"kind"`
	Docs        jsiiDocs       `json:"docs"`
	Initializer *jsiiCallable  `json:"initializer"`
	Properties  []jsiiProperty `json:"properties"`
	Interfaces  []string       `json:"interfaces"`
}

type jsiiDocs struct {
	Summary string `json:"summary"`
	Remarks string `json:"remarks"`
}

type jsiiCallable struct {
	Parameters []struct {
		Name string  `json:"name"`
		Type jsiiRef `json:"type"`
	} `json:"parameters"`
}

type jsiiProperty struct {
	Name     string   `json:"name"`
	Optional bool     `json:"optional"`
	Docs     jsiiDocs `json:"docs"`
	Type     jsiiRef  `json:"type"`
}

type jsiiRef struct {
	Primitive  string `json:"primitive"`
	FQN        string `json:"fqn"`
	Collection *struct {
		Kind        string  `json:"kind"`
		ElementType jsiiRef `json:"elementtype"`
	} `json:"collection"`
	Union *struct {
		Types []jsiiRef `json:"types"`
	} `json:"union"`
}

var (
	// "Represents a {@link https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/s3_bucket aws_s3_bucket}."
	representsRE = regexp.MustCompile(`^Represents a \{@link https://registry\.terraform\.io/providers/([^/]+/[^/]+)/([^/]+)/docs/(resources|data-sources)/\S+ (\w+)\}`)
	// "... {@link https://.../docs/resources/s3_bucket#acceleration_status S3Bucket#acceleration_status}."
	anchorRE = regexp.MustCompile(`#([a-z0-9_]+)\}`)
)

// FromJSII builds the schema of the given resource and data source types from a cdktf provider .jsii file.
// Every type asked for must be found.
func FromJSII(data []byte, resources, dataSources []string) (*Schema, error) {
	var asm jsiiAssembly
	if err := json.Unmarshal(data, &asm); err != nil {
		return nil, fmt.Errorf("tfschema: parse .jsii: %w", err)
	}
	s := &Schema{
		Package:     asm.Name + "@" + asm.Version,
		Resources:   map[string]*Block{},
		DataSources: map[string]*Block{},
	}
	want := map[string]map[string]*Block{"resources": {}, "data-sources": {}}
	for _, r := range resources {
		want["resources"][r] = nil
	}
	for _, d := range dataSources {
		want["data-sources"][d] = nil
	}
	for _, t := range asm.Types {
		if t.Kind != "class" || t.Initializer == nil {
			continue
		}
		m := representsRE.FindStringSubmatch(t.Docs.Summary)
		if m == nil {
			continue
		}
		kind, name := m[3], m[4]
		if _, ok := want[kind][name]; !ok {
			continue
		}
		s.Provider, s.ProviderVersion = m[1], m[2]
		var configFQN string
		for _, p := range t.Initializer.Parameters {
			if p.Name == "config" {
				configFQN = p.Type.FQN
			}
		}
		if configFQN == "" {
			return nil, fmt.Errorf("tfschema: %s %s has no config type", kind, name)
		}
		b, err := structBlock(asm.Types, configFQN, 0)
		if err != nil {
			return nil, fmt.Errorf("tfschema: %s: %w", name, err)
		}
		want[kind][name] = b
	}
	for kind, types := range want {
		for _, name := range sortedKeys(types) {
			b := types[name]
			if b == nil {
				return nil, fmt.Errorf("tfschema: %s %q not found in %s", kind, name, s.Package)
			}
			if kind == "resources" {
				s.Resources[name] = b
			} else {
				s.DataSources[name] = b
			}
		}
	}
	return s, nil
}

// metaArguments are Terraform's own arguments, which every cdktf config interface inherits.
var metaArguments = map[string]bool{
	"count": true, "forEach": true, "dependsOn": true, "provider": true, "lifecycle": true,
	"connection": true, "provisioners": true,
}

func structBlock(types map[string]jsiiType, fqn string, depth int) (*Block, error) {
	if depth > 16 {
		return nil, fmt.Errorf("nesting too deep at %s", fqn)
	}
	t, ok := types[fqn]
	if !ok {
		return nil, fmt.Errorf("type %s not in assembly", fqn)
	}
	b := &Block{Attributes: map[string]*Attribute{}, Blocks: map[string]*NestedBlock{}}
	for _, p := range t.Properties {
		if metaArguments[p.Name] {
			continue
		}
		name := snakeName(p)
		if strings.HasSuffix(p.Docs.Summary, " block.") {
			nestedFQN, single := blockType(p.Type)
			if nestedFQN == "" {
				return nil, fmt.Errorf("%s: block %s has no struct type", fqn, name)
			}
			nb, err := structBlock(types, nestedFQN, depth+1)
			if err != nil {
				return nil, err
			}
			b.Blocks[name] = &NestedBlock{Required: !p.Optional, Single: single, Block: nb}
			continue
		}
		b.Attributes[name] = &Attribute{Required: !p.Optional, Type: typeString(p.Type)}
	}
	if len(b.Blocks) == 0 {
		b.Blocks = nil
	}
	return b, nil
}

// snakeName is the Terraform name of a property: the anchor of its registry link, else its name in snake case.
func snakeName(p jsiiProperty) string {
	for _, text := range []string{p.Docs.Summary, p.Docs.Remarks} {
		if m := anchorRE.FindAllStringSubmatch(text, -1); len(m) > 0 {
			return m[len(m)-1][1]
		}
	}
	var b strings.Builder
	for i, r := range p.Name {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// blockType returns the struct type of a block property and whether it is a single block.
func blockType(r jsiiRef) (fqn string, single bool) {
	switch {
	case r.FQN != "" && r.FQN != "cdktf.IResolvable":
		return r.FQN, true
	case r.Collection != nil:
		f, _ := blockType(r.Collection.ElementType)
		return f, false
	case r.Union != nil:
		for _, u := range r.Union.Types {
			if f, s := blockType(u); f != "" {
				return f, s
			}
		}
	}
	return "", false
}

func typeString(r jsiiRef) string {
	switch {
	case r.Primitive == "boolean":
		return "bool"
	case r.Primitive == "json":
		return "any"
	case r.Primitive != "":
		return r.Primitive
	case r.Collection != nil:
		kind := "list"
		if r.Collection.Kind == "map" {
			kind = "map"
		}
		return kind + "(" + typeString(r.Collection.ElementType) + ")"
	case r.Union != nil:
		for _, u := range r.Union.Types {
			if u.FQN != "cdktf.IResolvable" {
				return typeString(u)
			}
		}
	case r.FQN != "":
		return "object"
	}
	return "any"
}
