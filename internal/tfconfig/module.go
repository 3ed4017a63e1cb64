package tfconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// module is one directory of .tf files.
type module struct {
	dir       string
	variables map[string]*variable
	locals    map[string]hcl.Expression
	outputs   map[string]hcl.Expression
	resources []*resourceBlock
	calls     map[string]*moduleCall
}

type variable struct {
	name        string
	typ         hcl.Expression
	def         hcl.Expression
	validations []validation
}

type validation struct {
	condition hcl.Expression
	message   hcl.Expression
}

type resourceBlock struct {
	mode    string // "managed" or "data"
	typ     string
	name    string
	count   hcl.Expression
	forEach hcl.Expression
	body    *hclsyntax.Body
	file    string
}

func (r *resourceBlock) addr() string {
	if r.mode == "data" {
		return "data." + r.typ + "." + r.name
	}
	return r.typ + "." + r.name
}

type moduleCall struct {
	name   string
	source string
	args   map[string]hcl.Expression
}

var callMeta = map[string]bool{"source": true, "version": true, "providers": true, "depends_on": true}

func loadModule(dir string) (*module, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("tfconfig: no .tf files in %s", dir)
	}
	sort.Strings(paths)
	m := &module{
		dir:       dir,
		variables: map[string]*variable{},
		locals:    map[string]hcl.Expression{},
		outputs:   map[string]hcl.Expression{},
		calls:     map[string]*moduleCall{},
	}
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, fmt.Errorf("tfconfig: %s", diags.Error())
		}
		if err := m.add(path, f.Body.(*hclsyntax.Body)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *module) add(path string, body *hclsyntax.Body) error {
	for _, b := range body.Blocks {
		switch b.Type {
		case "variable":
			v := &variable{name: b.Labels[0]}
			if a, ok := b.Body.Attributes["type"]; ok {
				v.typ = a.Expr
			}
			if a, ok := b.Body.Attributes["default"]; ok {
				v.def = a.Expr
			}
			for _, vb := range b.Body.Blocks {
				if vb.Type == "validation" {
					v.validations = append(v.validations, validation{vb.Body.Attributes["condition"].Expr, vb.Body.Attributes["error_message"].Expr})
				}
			}
			m.variables[v.name] = v
		case "locals":
			for name, a := range b.Body.Attributes {
				if _, dup := m.locals[name]; dup {
					return fmt.Errorf("tfconfig: %s: duplicate local %q", path, name)
				}
				m.locals[name] = a.Expr
			}
		case "output":
			m.outputs[b.Labels[0]] = b.Body.Attributes["value"].Expr
		case "resource", "data":
			r := &resourceBlock{mode: "managed", typ: b.Labels[0], name: b.Labels[1], body: b.Body, file: path}
			if b.Type == "data" {
				r.mode = "data"
			}
			if a, ok := b.Body.Attributes["count"]; ok {
				r.count = a.Expr
			}
			if a, ok := b.Body.Attributes["for_each"]; ok {
				r.forEach = a.Expr
			}
			m.resources = append(m.resources, r)
		case "module":
			c := &moduleCall{name: b.Labels[0], args: map[string]hcl.Expression{}}
			for name, a := range b.Body.Attributes {
				switch {
				case name == "source":
					v, diags := a.Expr.Value(nil)
					if diags.HasErrors() {
						return fmt.Errorf("tfconfig: %s: module %q source: %s", path, c.name, diags.Error())
					}
					c.source = v.AsString()
				case name == "count" || name == "for_each":
					return fmt.Errorf("tfconfig: %s: module %q: count and for_each on modules are not supported", path, c.name)
				case callMeta[name]:
				default:
					c.args[name] = a.Expr
				}
			}
			if !strings.HasPrefix(c.source, "./") && !strings.HasPrefix(c.source, "../") {
				return fmt.Errorf("tfconfig: %s: module %q: only local sources are supported, not %q", path, c.name, c.source)
			}
			m.calls[c.name] = c
		}
	}
	return nil
}
