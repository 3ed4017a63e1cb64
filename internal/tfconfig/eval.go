package tfconfig

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// Options are the facts a plan would take from the provider and the command line.
type Options struct {
	AccountID string
	Region    string
	Partition string
	// Variables are the root module's input variables (as -var would give them); others take their defaults.
	Variables map[string]cty.Value
}

// Resource is one resource or data source instance with its evaluated arguments and computed attributes.
type Resource struct {
	Module string // "" for the root module, else "module.storage" and so on
	Mode   string // "managed" or "data"
	Type   string
	Name   string
	Key    cty.Value // cty.NilVal without count/for_each, else the instance key
	Value  cty.Value // an object: arguments, nested blocks (as tuples of objects), computed attributes
	File   string
	Body   *hclsyntax.Body
}

// Address is the instance's address as Terraform prints it, e.g. module.storage.aws_s3_bucket.this["audit"].
func (r *Resource) Address() string {
	a := r.Type + "." + r.Name
	if r.Mode == "data" {
		a = "data." + a
	}
	if r.Module != "" {
		a = r.Module + "." + a
	}
	switch {
	case r.Key == cty.NilVal:
	case r.Key.Type() == cty.String:
		a += fmt.Sprintf("[%q]", r.Key.AsString())
	default:
		a += "[" + r.Key.AsBigFloat().String() + "]"
	}
	return a
}

// Plan is an evaluated configuration.
type Plan struct {
	Resources []*Resource
	Outputs   map[string]cty.Value
}

// maxPasses bounds the fixpoint evaluation; each pass resolves at least one more level of references.
const maxPasses = 64

// Evaluate loads the root module in dir and the local modules it calls, and evaluates them all.
func Evaluate(dir string, opts Options) (*Plan, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	e := &evaluator{opts: opts, root: abs, fns: functions(abs), modules: map[string]*module{}}
	root, err := e.instance("", abs)
	if err != nil {
		return nil, err
	}
	inputs := map[string]cty.Value{}
	for k, v := range opts.Variables {
		inputs[k] = v
	}
	converged := false
	for pass := 0; pass < maxPasses; pass++ {
		changed, err := e.pass(root, inputs, true)
		if err != nil {
			return nil, err
		}
		if !changed {
			converged = true
			break
		}
	}
	if !converged {
		return nil, fmt.Errorf("tfconfig: evaluation did not converge after %d passes", maxPasses)
	}
	var diags hcl.Diagnostics
	root.collectDiags(&diags)
	if diags.HasErrors() {
		return nil, &Error{Diagnostics: diags}
	}
	p := &Plan{Outputs: root.outputs}
	root.collectResources(&p.Resources)
	return p, nil
}

// Error lists the problems an evaluation found, each as Terraform would report it at plan time.
type Error struct {
	Diagnostics hcl.Diagnostics
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("tfconfig: configuration errors:")
	for _, d := range e.Diagnostics {
		b.WriteString("\n  ")
		if d.Subject != nil {
			fmt.Fprintf(&b, "%s:%d: ", d.Subject.Filename, d.Subject.Start.Line)
		}
		b.WriteString(d.Summary)
		if d.Detail != "" {
			b.WriteString(": " + d.Detail)
		}
	}
	return b.String()
}

type evaluator struct {
	opts    Options
	root    string
	fns     map[string]function.Function
	modules map[string]*module
}

// modInstance is the evaluation state of one module call (or the root module).
type modInstance struct {
	path      string
	mod       *module
	vars      map[string]cty.Value
	locals    map[string]cty.Value
	resources map[string]cty.Value // "type.name" or "data.type.name" -> instance value(s)
	instances map[string][]*Resource
	children  map[string]*modInstance
	outputs   map[string]cty.Value
	diags     hcl.Diagnostics
	snapshot  string
}

func (e *evaluator) instance(path, dir string) (*modInstance, error) {
	m, ok := e.modules[dir]
	if !ok {
		var err error
		if m, err = loadModule(dir); err != nil {
			return nil, err
		}
		e.modules[dir] = m
	}
	mi := &modInstance{
		path: path, mod: m,
		vars: map[string]cty.Value{}, locals: map[string]cty.Value{}, resources: map[string]cty.Value{},
		instances: map[string][]*Resource{}, children: map[string]*modInstance{}, outputs: map[string]cty.Value{},
	}
	for name, call := range m.calls {
		childPath := "module." + name
		if path != "" {
			childPath = path + "." + childPath
		}
		child, err := e.instance(childPath, filepath.Join(dir, call.source))
		if err != nil {
			return nil, err
		}
		for arg := range call.args {
			if _, ok := child.mod.variables[arg]; !ok {
				return nil, fmt.Errorf("tfconfig: module %q (%s) has no variable %q", name, call.source, arg)
			}
		}
		mi.children[name] = child
	}
	return mi, nil
}

// pass evaluates everything in the module once, with the values of the previous pass, and tells whether any
// value changed.
func (e *evaluator) pass(mi *modInstance, inputs map[string]cty.Value, isRoot bool) (bool, error) {
	mi.diags = nil
	for name, v := range mi.mod.variables {
		val, diags := e.variableValue(v, inputs, isRoot)
		mi.diags = append(mi.diags, diags...)
		mi.vars[name] = val
	}
	ctx := e.context(mi)
	for name, expr := range mi.mod.locals {
		val, diags := expr.Value(ctx)
		mi.diags = append(mi.diags, diags...)
		if diags.HasErrors() {
			val = cty.DynamicVal
		}
		mi.locals[name] = val
	}
	ctx = e.context(mi)
	for _, r := range mi.mod.resources {
		val, insts, diags := e.resource(ctx, mi, r)
		mi.diags = append(mi.diags, diags...)
		mi.resources[r.addr()] = val
		mi.instances[r.addr()] = insts
	}
	childChanged := false
	for name, call := range mi.mod.calls {
		ctx = e.context(mi)
		args := map[string]cty.Value{}
		for arg, expr := range call.args {
			val, diags := expr.Value(ctx)
			mi.diags = append(mi.diags, diags...)
			if diags.HasErrors() {
				val = cty.DynamicVal
			}
			args[arg] = val
		}
		changed, err := e.pass(mi.children[name], args, false)
		if err != nil {
			return false, err
		}
		childChanged = childChanged || changed
	}
	ctx = e.context(mi)
	for name, expr := range mi.mod.outputs {
		val, diags := expr.Value(ctx)
		mi.diags = append(mi.diags, diags...)
		if diags.HasErrors() {
			val = cty.DynamicVal
		}
		mi.outputs[name] = val
	}
	for _, v := range mi.mod.variables {
		mi.diags = append(mi.diags, e.validate(mi, v)...)
	}
	snap := mi.snap()
	changed := snap != mi.snapshot
	mi.snapshot = snap
	return changed || childChanged, nil
}

func (mi *modInstance) snap() string {
	all := map[string]cty.Value{}
	for k, v := range mi.vars {
		all["var."+k] = v
	}
	for k, v := range mi.locals {
		all["local."+k] = v
	}
	for k, v := range mi.resources {
		all[k] = v
	}
	for k, v := range mi.outputs {
		all["output."+k] = v
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for _, k := range keys {
		s += k + "=" + all[k].GoString() + "\n"
	}
	return s
}

func (e *evaluator) variableValue(v *variable, inputs map[string]cty.Value, isRoot bool) (cty.Value, hcl.Diagnostics) {
	ty, defaults := cty.DynamicPseudoType, (*typeexpr.Defaults)(nil)
	if v.typ != nil {
		var diags hcl.Diagnostics
		ty, defaults, diags = typeexpr.TypeConstraintWithDefaults(v.typ)
		if diags.HasErrors() {
			return cty.DynamicVal, diags
		}
	}
	val, given := inputs[v.name]
	if !given || val.IsNull() {
		if v.def == nil {
			if !given && isRoot {
				return cty.DynamicVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("root variable %q has no value and no default", v.name)}}
			}
			if !given {
				return cty.DynamicVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("required variable %q not given", v.name)}}
			}
		} else {
			var diags hcl.Diagnostics
			val, diags = v.def.Value(nil)
			if diags.HasErrors() {
				return cty.DynamicVal, diags
			}
		}
	}
	if !val.IsWhollyKnown() {
		return cty.UnknownVal(ty), nil
	}
	if defaults != nil {
		val = defaults.Apply(val)
	}
	conv, err := convert.Convert(val, ty)
	if err != nil {
		return cty.DynamicVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("variable %q: %s", v.name, err)}}
	}
	return conv, nil
}

func (e *evaluator) validate(mi *modInstance, v *variable) hcl.Diagnostics {
	var diags hcl.Diagnostics
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.name: mi.vars[v.name]})},
		Functions: e.fns,
	}
	for _, val := range v.validations {
		ok, d := val.condition.Value(ctx)
		if d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		if !ok.IsKnown() || ok.IsNull() || ok.True() {
			continue
		}
		msg, _ := val.message.Value(ctx)
		text := "invalid value"
		if msg.IsKnown() && !msg.IsNull() && msg.Type() == cty.String {
			text = msg.AsString()
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("%s variable %q: %s", mi.path, v.name, text)})
	}
	return diags
}

func (e *evaluator) context(mi *modInstance) *hcl.EvalContext {
	vars := map[string]cty.Value{
		"var":   objectOrEmpty(mi.vars),
		"local": objectOrEmpty(mi.locals),
		"path": cty.ObjectVal(map[string]cty.Value{
			"module": cty.StringVal(mi.mod.dir),
			"root":   cty.StringVal(e.root),
			"cwd":    cty.StringVal(e.root),
		}),
		"terraform": cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")}),
	}
	mods := map[string]cty.Value{}
	for name, child := range mi.children {
		outs := map[string]cty.Value{}
		for o := range child.mod.outputs {
			v, ok := child.outputs[o]
			if !ok {
				v = cty.DynamicVal
			}
			outs[o] = v
		}
		mods[name] = objectOrEmpty(outs)
	}
	vars["module"] = objectOrEmpty(mods)
	byType := map[string]map[string]cty.Value{}
	data := map[string]map[string]cty.Value{}
	for _, r := range mi.mod.resources {
		v, ok := mi.resources[r.addr()]
		if !ok {
			v = cty.DynamicVal
		}
		target := byType
		if r.mode == "data" {
			target = data
		}
		if target[r.typ] == nil {
			target[r.typ] = map[string]cty.Value{}
		}
		target[r.typ][r.name] = v
	}
	for typ, names := range byType {
		vars[typ] = cty.ObjectVal(names)
	}
	dataObj := map[string]cty.Value{}
	for typ, names := range data {
		dataObj[typ] = cty.ObjectVal(names)
	}
	vars["data"] = objectOrEmpty(dataObj)
	return &hcl.EvalContext{Variables: vars, Functions: e.fns}
}

func objectOrEmpty(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// resource evaluates every instance of a resource block.
func (e *evaluator) resource(ctx *hcl.EvalContext, mi *modInstance, r *resourceBlock) (cty.Value, []*Resource, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	one := func(key cty.Value, iter map[string]cty.Value) (cty.Value, *Resource) {
		c := ctx.NewChild()
		c.Variables = iter
		val, d := evalBody(c, r.body, true)
		diags = append(diags, d...)
		val = e.computed(r, mi.path, key, val)
		return val, &Resource{Module: mi.path, Mode: r.mode, Type: r.typ, Name: r.name, Key: key, Value: val, File: r.file, Body: r.body}
	}
	switch {
	case r.forEach != nil:
		fe, d := r.forEach.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() || !fe.IsWhollyKnown() || fe.IsNull() {
			return cty.DynamicVal, nil, diags
		}
		vals := map[string]cty.Value{}
		var insts []*Resource
		for it := fe.ElementIterator(); it.Next(); {
			k, v := it.Element()
			if fe.Type().IsSetType() {
				k = v
			}
			each := cty.ObjectVal(map[string]cty.Value{"key": k, "value": v})
			val, inst := one(k, map[string]cty.Value{"each": each})
			vals[k.AsString()] = val
			insts = append(insts, inst)
		}
		return objectOrEmpty(vals), insts, diags
	case r.count != nil:
		cv, d := r.count.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() || !cv.IsKnown() || cv.IsNull() {
			return cty.DynamicVal, nil, diags
		}
		n, _ := cv.AsBigFloat().Int64()
		var vals []cty.Value
		var insts []*Resource
		for i := int64(0); i < n; i++ {
			idx := cty.NumberIntVal(i)
			val, inst := one(idx, map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": idx})})
			vals = append(vals, val)
			insts = append(insts, inst)
		}
		if len(vals) == 0 {
			return cty.EmptyTupleVal, nil, diags
		}
		return cty.TupleVal(vals), insts, diags
	default:
		val, inst := one(cty.NilVal, nil)
		return val, []*Resource{inst}, diags
	}
}

var resourceMeta = map[string]bool{"count": true, "for_each": true, "depends_on": true, "provider": true}

// evalBody evaluates a block body to an object: arguments as values, nested blocks (dynamic ones expanded) as
// tuples of objects under the block type's name.
func evalBody(ctx *hcl.EvalContext, body *hclsyntax.Body, top bool) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	attrs := map[string]cty.Value{}
	for name, a := range body.Attributes {
		if top && resourceMeta[name] {
			continue
		}
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			v = cty.DynamicVal
		}
		attrs[name] = v
	}
	blocks := map[string][]cty.Value{}
	unknownBlocks := map[string]bool{}
	for _, b := range body.Blocks {
		switch {
		case top && (b.Type == "lifecycle" || b.Type == "provisioner" || b.Type == "connection"):
			continue
		case b.Type == "dynamic":
			name := b.Labels[0]
			iterName := name
			if it, ok := b.Body.Attributes["iterator"]; ok {
				iterName = hcl.ExprAsKeyword(it.Expr)
			}
			fe, d := b.Body.Attributes["for_each"].Expr.Value(ctx)
			diags = append(diags, d...)
			if d.HasErrors() || !fe.IsWhollyKnown() || fe.IsNull() {
				unknownBlocks[name] = true
				continue
			}
			var content *hclsyntax.Body
			for _, inner := range b.Body.Blocks {
				if inner.Type == "content" {
					content = inner.Body
				}
			}
			if content == nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "dynamic " + name + " has no content", Subject: &b.TypeRange})
				continue
			}
			if _, ok := blocks[name]; !ok {
				blocks[name] = []cty.Value{}
			}
			for it := fe.ElementIterator(); it.Next(); {
				k, v := it.Element()
				c := ctx.NewChild()
				c.Variables = map[string]cty.Value{iterName: cty.ObjectVal(map[string]cty.Value{"key": k, "value": v})}
				val, d := evalBody(c, content, false)
				diags = append(diags, d...)
				blocks[name] = append(blocks[name], val)
			}
		default:
			val, d := evalBody(ctx, b.Body, false)
			diags = append(diags, d...)
			blocks[b.Type] = append(blocks[b.Type], val)
		}
	}
	for name, list := range blocks {
		if len(list) == 0 {
			attrs[name] = cty.EmptyTupleVal
		} else {
			attrs[name] = cty.TupleVal(list)
		}
	}
	for name := range unknownBlocks {
		attrs[name] = cty.DynamicVal
	}
	return objectOrEmpty(attrs), diags
}

func (mi *modInstance) collectDiags(out *hcl.Diagnostics) {
	for _, d := range mi.diags {
		if d.Severity == hcl.DiagError {
			if mi.path != "" {
				d.Summary = mi.path + ": " + d.Summary
			}
			*out = append(*out, d)
		}
	}
	for _, name := range sortedNames(mi.children) {
		mi.children[name].collectDiags(out)
	}
}

func (mi *modInstance) collectResources(out *[]*Resource) {
	for _, r := range mi.mod.resources {
		*out = append(*out, mi.instances[r.addr()]...)
	}
	for _, name := range sortedNames(mi.children) {
		mi.children[name].collectResources(out)
	}
}

func sortedNames[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
