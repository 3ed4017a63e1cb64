package tfschema

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Diagnostic is one problem found in a configuration.
type Diagnostic struct {
	Pos     hcl.Pos
	File    string
	Message string
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d: %s", d.File, d.Pos.Line, d.Message)
}

// File is one parsed .tf file.
type File struct {
	Path string
	Body *hclsyntax.Body
}

// ParseDir parses every .tf file under dir, recursively, skipping .terraform directories.
func ParseDir(dir string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".tf") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		if diags.HasErrors() {
			return fmt.Errorf("tfschema: %s", diags.Error())
		}
		files = append(files, File{Path: path, Body: f.Body.(*hclsyntax.Body)})
		return nil
	})
	return files, err
}

// TypesUsed lists the resource and data source types of the aws provider declared under dir.
func TypesUsed(dir string) (resources, dataSources []string, err error) {
	files, err := ParseDir(dir)
	if err != nil {
		return nil, nil, err
	}
	rs, ds := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		for _, b := range f.Body.Blocks {
			if len(b.Labels) != 2 || !strings.HasPrefix(b.Labels[0], "aws_") {
				continue
			}
			switch b.Type {
			case "resource":
				rs[b.Labels[0]] = true
			case "data":
				ds[b.Labels[0]] = true
			}
		}
	}
	return sortedKeys(rs), sortedKeys(ds), nil
}

// Validate checks every resource and data block of the files against the schema: the type exists, every
// argument and nested block is one the provider accepts (computed-only attributes are not), arguments are not
// written as blocks or blocks as arguments, and required arguments and blocks are present.
func (s *Schema) Validate(files []File) []Diagnostic {
	var diags []Diagnostic
	for _, f := range files {
		for _, b := range f.Body.Blocks {
			if (b.Type != "resource" && b.Type != "data") || len(b.Labels) != 2 {
				continue
			}
			typ := b.Labels[0]
			schemas := s.Resources
			if b.Type == "data" {
				schemas = s.DataSources
			}
			bs, ok := schemas[typ]
			if !ok {
				diags = append(diags, Diagnostic{b.TypeRange.Start, f.Path, fmt.Sprintf("%s type %q is not in the %s %s schema", b.Type, typ, s.Provider, s.ProviderVersion)})
				continue
			}
			addr := b.Type + "." + typ + "." + b.Labels[1]
			if b.Type == "data" {
				addr = "data." + typ + "." + b.Labels[1]
			}
			diags = append(diags, validateBody(f.Path, addr, b.Body, bs, true)...)
		}
	}
	sort.SliceStable(diags, func(i, j int) bool {
		if diags[i].File != diags[j].File {
			return diags[i].File < diags[j].File
		}
		return diags[i].Pos.Line < diags[j].Pos.Line
	})
	return diags
}

var (
	topMetaAttributes = map[string]bool{"count": true, "for_each": true, "depends_on": true, "provider": true}
	lifecycleArgs     = map[string]bool{"create_before_destroy": true, "prevent_destroy": true, "ignore_changes": true, "replace_triggered_by": true}
	dynamicArgs       = map[string]bool{"for_each": true, "iterator": true, "labels": true}
)

func validateBody(file, addr string, body *hclsyntax.Body, schema *Block, top bool) []Diagnostic {
	var diags []Diagnostic
	report := func(pos hcl.Pos, format string, args ...any) {
		diags = append(diags, Diagnostic{pos, file, addr + ": " + fmt.Sprintf(format, args...)})
	}
	for name, attr := range body.Attributes {
		if top && topMetaAttributes[name] {
			continue
		}
		a, ok := schema.Attributes[name]
		switch {
		case ok:
			_ = a
		case schema.Blocks[name] != nil:
			report(attr.SrcRange.Start, "%q is a block, not an argument: write %s { ... }", name, name)
		default:
			report(attr.SrcRange.Start, "unsupported argument %q (unknown, or computed by the provider)", name)
		}
	}
	seen := map[string]int{}
	for _, blk := range body.Blocks {
		name := blk.Type
		var content *hclsyntax.Body
		switch {
		case top && name == "lifecycle":
			for an, attr := range blk.Body.Attributes {
				if !lifecycleArgs[an] {
					report(attr.SrcRange.Start, "unsupported lifecycle argument %q", an)
				}
			}
			continue
		case name == "dynamic":
			if len(blk.Labels) != 1 {
				report(blk.TypeRange.Start, "dynamic block needs one label")
				continue
			}
			name = blk.Labels[0]
			for an, attr := range blk.Body.Attributes {
				if !dynamicArgs[an] {
					report(attr.SrcRange.Start, "unsupported argument %q in dynamic %q", an, name)
				}
			}
			if _, ok := blk.Body.Attributes["for_each"]; !ok {
				report(blk.TypeRange.Start, "dynamic %q has no for_each", name)
			}
			for _, inner := range blk.Body.Blocks {
				if inner.Type == "content" {
					content = inner.Body
				} else {
					report(inner.TypeRange.Start, "unexpected block %q in dynamic %q", inner.Type, name)
				}
			}
			if content == nil {
				report(blk.TypeRange.Start, "dynamic %q has no content block", name)
				continue
			}
		default:
			content = blk.Body
		}
		nb, ok := schema.Blocks[name]
		if !ok {
			if schema.Attributes[name] != nil {
				report(blk.TypeRange.Start, "%q is an argument, not a block: write %s = ...", name, name)
			} else {
				report(blk.TypeRange.Start, "unsupported block type %q", name)
			}
			continue
		}
		seen[name]++
		if nb.Single && seen[name] > 1 && blk.Type != "dynamic" {
			report(blk.TypeRange.Start, "at most one %q block is allowed", name)
		}
		diags = append(diags, validateBody(file, addr+"."+name, content, nb.Block, false)...)
	}
	for _, name := range sortedKeys(schema.Attributes) {
		if schema.Attributes[name].Required {
			if _, ok := body.Attributes[name]; !ok {
				report(body.SrcRange.Start, "missing required argument %q", name)
			}
		}
	}
	for _, name := range sortedKeys(schema.Blocks) {
		if schema.Blocks[name].Required && seen[name] == 0 {
			report(body.SrcRange.Start, "missing required block %q", name)
		}
	}
	return diags
}
