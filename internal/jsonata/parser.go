package jsonata

// The parser is a Pratt (top-down operator precedence) parser that mirrors jsonata-js's parser.js,
// followed by the same AST post-processing (processAST): paths are flattened into steps,
// predicates become filter stages, grouping, order-by and the @/# bindings attach to steps, and
// parent (%) references are resolved to ancestor slots.

// maxParseDepth bounds nesting so that a hostile expression cannot exhaust the Go stack.
const maxParseDepth = 500

type node struct {
	typ   string // binary, unary, path, name, string, number, value, variable, function, partial, lambda, ...
	value any    // operator, literal, or name
	pos   int
	id    string // parser symbol id: the operator, "(name)", "(literal)", "(regex)", "(end)"

	lhs, rhs    *node
	expressions []*node    // array constructor, block
	expression  *node      // unary minus
	pairs       [][2]*node // object constructor / raw group
	terms       []sortTerm
	steps       []*node // path

	procedure *node
	arguments []*node
	params    []string // lambda parameters without '$'
	signature *signature
	body      *node
	thunk     bool

	condition, then, els *node
	pattern, update, del *node
	regex                *regexLiteral

	keepArray, keepSingletonArray, consarray, tuple bool
	predicate                                       []*stage
	stages                                          []*stage
	group                                           *group
	focus, index                                    string
	hasIndex                                        bool
	ancestor                                        *slot
	seekingParent                                   []*slot
	slot                                            *slot
}

type sortTerm struct {
	descending bool
	expr       *node
}

type stage struct {
	typ   string // filter or index
	expr  *node
	value string // index variable
	pos   int
}

type group struct {
	pairs [][2]*node
	pos   int
}

type slot struct {
	label string
	level int
	index int
}

type parser struct {
	lex      lexer
	src      string
	node     *node
	depth    int
	ancestry []*node
	labels   int
}

func lbp(n *node) int {
	switch n.id {
	case "(end)", "(name)", "(literal)", "(regex)", ":", ";", ",", ")", "]", "}", "..", "|", "**", "!", "~":
		return 0
	}
	return operators[n.id]
}

func (p *parser) advance(id string, infix bool) *node {
	if id != "" && p.node.id != id {
		code := "S0202"
		if p.node.id == "(end)" {
			code = "S0203"
		}
		throw(code, p.node.pos, tokenText(p.node), errArgs{"value": id, "token": tokenValue(p.node)})
	}
	t := p.lex.next(infix)
	if t == nil {
		p.node = &node{id: "(end)", typ: "(end)", value: "(end)", pos: p.lex.at16(len(p.lex.src))}
		return p.node
	}
	n := &node{typ: t.typ, value: t.value, pos: t.pos}
	switch t.typ {
	case tokName, tokVariable:
		n.id = "(name)"
	case tokOperator:
		op := t.value.(string)
		if op == "!" || op == "~" {
			throw("S0204", t.pos, op, nil)
		}
		n.id = op
	case tokString, tokNumber, tokValue:
		n.id = "(literal)"
	case tokRegex:
		n.id = "(regex)"
		n.regex = t.value.(*regexLiteral)
	}
	p.node = n
	return n
}

// tokenValue is a token's value as jsonata-js reports it in messages.
func tokenValue(n *node) any {
	if _, ok := n.value.(*regexLiteral); ok {
		return map[string]any{} // a RegExp shows as {} in JSON
	}
	return n.value
}

func tokenText(n *node) string {
	switch v := n.value.(type) {
	case string:
		return v
	case nil:
		return "null"
	case *regexLiteral:
		return v.source
	}
	return describe(n.value, nil)
}

func (p *parser) expression(rbp int) *node {
	p.depth++
	if p.depth > maxParseDepth {
		throw("S0201", p.node.pos, "expression nested too deeply", nil)
	}
	t := p.node
	p.advance("", true)
	left := p.nud(t)
	for rbp < lbp(p.node) {
		t = p.node
		p.advance("", false)
		left = p.led(t, left)
	}
	p.depth--
	return left
}

func (p *parser) nud(t *node) *node {
	switch t.id {
	case "(end)", "(name)", "(literal)", "(regex)", "and", "or", "in":
		if t.id == "(regex)" {
			t.typ = "regex"
		}
		return t
	case "-":
		t.expression = p.expression(70)
		t.typ = "unary"
		return t
	case "*":
		t.typ = "wildcard"
		return t
	case "**":
		t.typ = "descendant"
		return t
	case "%":
		t.typ = "parent"
		return t
	case "(":
		var exprs []*node
		for p.node.id != ")" {
			exprs = append(exprs, p.expression(0))
			if p.node.id != ";" {
				break
			}
			p.advance(";", false)
		}
		p.advance(")", true)
		t.typ = "block"
		t.expressions = exprs
		return t
	case "[":
		var items []*node
		if p.node.id != "]" {
			for {
				item := p.expression(0)
				if p.node.id == ".." {
					r := &node{typ: "binary", value: "..", pos: p.node.pos, lhs: item}
					p.advance("..", false)
					r.rhs = p.expression(0)
					item = r
				}
				items = append(items, item)
				if p.node.id != "," {
					break
				}
				p.advance(",", false)
			}
		}
		p.advance("]", true)
		t.expressions = items
		t.typ = "unary"
		return t
	case "{":
		t.pairs = p.objectPairs()
		t.typ = "unary"
		return t
	case "|":
		t.typ = "transform"
		t.pattern = p.expression(0)
		p.advance("|", false)
		t.update = p.expression(0)
		if p.node.id == "," {
			p.advance(",", false)
			t.del = p.expression(0)
		}
		p.advance("|", false)
		return t
	}
	throw("S0211", t.pos, tokenText(t), nil)
	return nil
}

func (p *parser) objectPairs() [][2]*node {
	var pairs [][2]*node
	if p.node.id != "}" {
		for {
			k := p.expression(0)
			p.advance(":", false)
			v := p.expression(0)
			pairs = append(pairs, [2]*node{k, v})
			if p.node.id != "," {
				break
			}
			p.advance(",", false)
		}
	}
	p.advance("}", true)
	return pairs
}

func (p *parser) led(t *node, left *node) *node {
	switch t.id {
	case ".", "+", "-", "*", "/", "%", "=", "<", ">", "!=", "<=", ">=", "&", "and", "or", "in", "~>":
		t.lhs = left
		t.rhs = p.expression(operators[t.id])
		t.typ = "binary"
		return t
	case "??":
		t.typ = "condition"
		t.condition = &node{typ: "function", value: "(", pos: t.pos,
			procedure: &node{typ: "variable", value: "exists", pos: t.pos},
			arguments: []*node{cloneRaw(left)}}
		t.then = left
		t.els = p.expression(0)
		return t
	case "(":
		t.procedure = left
		t.typ = "function"
		if p.node.id != ")" {
			for {
				if p.node.typ == tokOperator && p.node.id == "?" {
					t.typ = "partial"
					t.arguments = append(t.arguments, p.node)
					p.advance("?", false)
				} else {
					t.arguments = append(t.arguments, p.expression(0))
				}
				if p.node.id != "," {
					break
				}
				p.advance(",", false)
			}
		}
		p.advance(")", true)
		if left.typ == tokName && (left.value == "function" || left.value == "λ") {
			for i, a := range t.arguments {
				if a.typ != tokVariable {
					throw("S0208", a.pos, tokenText(a), errArgs{"value": float64(i + 1)})
				}
				t.params = append(t.params, a.value.(string))
			}
			t.typ = "lambda"
			if p.node.id == "<" {
				sigPos := p.node.pos
				depth := 1
				sig := "<"
				for depth > 0 && p.node.id != "{" && p.node.id != "(end)" {
					tok := p.advance("", false)
					if tok.id == ">" {
						depth--
					} else if tok.id == "<" {
						depth++
					}
					sig += tokenText(tok)
				}
				p.advance(">", false)
				s, err := parseSignature(sig)
				if err != nil {
					err.Position = sigPos + err.Position
					panic(err)
				}
				t.signature = s
			}
			p.advance("{", false)
			t.body = p.expression(0)
			p.advance("}", false)
		}
		return t
	case "[":
		if p.node.id == "]" {
			step := left
			for step != nil && step.typ == "binary" && step.value == "[" {
				step = step.lhs
			}
			step.keepArray = true
			p.advance("]", false)
			return left
		}
		t.lhs = left
		t.rhs = p.expression(operators["]"])
		t.typ = "binary"
		p.advance("]", true)
		return t
	case "^":
		p.advance("(", false)
		var terms []sortTerm
		for {
			term := sortTerm{}
			if p.node.id == "<" {
				p.advance("<", false)
			} else if p.node.id == ">" {
				term.descending = true
				p.advance(">", false)
			}
			term.expr = p.expression(0)
			terms = append(terms, term)
			if p.node.id != "," {
				break
			}
			p.advance(",", false)
		}
		p.advance(")", false)
		t.lhs = left
		t.terms = terms
		t.typ = "binary"
		return t
	case "{":
		t.lhs = left
		t.pairs = p.objectPairs()
		t.typ = "binary"
		return t
	case ":=":
		if left.typ != tokVariable {
			throw("S0212", left.pos, tokenText(left), nil)
		}
		t.lhs = left
		t.rhs = p.expression(operators[":="] - 1)
		t.typ = "binary"
		return t
	case "@", "#":
		t.lhs = left
		t.rhs = p.expression(operators[t.id])
		if t.rhs.typ != tokVariable {
			throw("S0214", t.rhs.pos, t.id, nil)
		}
		t.typ = "binary"
		return t
	case "?":
		t.typ = "condition"
		t.condition = left
		t.then = p.expression(0)
		if p.node.id == ":" {
			p.advance(":", false)
			t.els = p.expression(0)
		}
		return t
	case "?:":
		t.typ = "condition"
		t.condition = cloneRaw(left)
		t.then = left
		t.els = p.expression(0)
		return t
	}
	throw("S0201", t.pos, tokenText(t), nil)
	return nil
}

// cloneRaw deep-copies an unprocessed parse tree: jsonata-js copies the operand of ?: and ?? with
// JSON.parse(JSON.stringify(...)) so that processing one copy cannot affect the other.
func cloneRaw(n *node) *node {
	if n == nil {
		return nil
	}
	c := *n
	c.lhs, c.rhs, c.expression = cloneRaw(n.lhs), cloneRaw(n.rhs), cloneRaw(n.expression)
	c.procedure, c.body = cloneRaw(n.procedure), cloneRaw(n.body)
	c.condition, c.then, c.els = cloneRaw(n.condition), cloneRaw(n.then), cloneRaw(n.els)
	c.pattern, c.update, c.del = cloneRaw(n.pattern), cloneRaw(n.update), cloneRaw(n.del)
	c.expressions = cloneList(n.expressions)
	c.arguments = cloneList(n.arguments)
	c.steps = cloneList(n.steps)
	if n.pairs != nil {
		c.pairs = make([][2]*node, len(n.pairs))
		for i, pr := range n.pairs {
			c.pairs[i] = [2]*node{cloneRaw(pr[0]), cloneRaw(pr[1])}
		}
	}
	if n.terms != nil {
		c.terms = make([]sortTerm, len(n.terms))
		for i, t := range n.terms {
			c.terms[i] = sortTerm{t.descending, cloneRaw(t.expr)}
		}
	}
	return &c
}

func cloneList(ns []*node) []*node {
	if ns == nil {
		return nil
	}
	out := make([]*node, len(ns))
	for i, n := range ns {
		out[i] = cloneRaw(n)
	}
	return out
}

func parse(src string) (ast *node, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			ast, err = nil, e
		}
	}()
	p := &parser{lex: newLexer(src), src: src}
	p.advance("", false)
	expr := p.expression(0)
	if p.node.id != "(end)" {
		throw("S0201", p.node.pos, tokenText(p.node), errArgs{"token": tokenValue(p.node)})
	}
	p.depth = 0
	expr = p.process(expr)
	if expr.typ == "parent" || expr.seekingParent != nil {
		throw("S0217", expr.pos, expr.typ, nil)
	}
	return expr, nil
}

func (p *parser) seekParent(n *node, s *slot) *slot {
	switch n.typ {
	case "name", "wildcard":
		s.level--
		if s.level == 0 {
			if n.ancestor == nil {
				n.ancestor = s
			} else {
				p.ancestry[s.index].slot.label = n.ancestor.label
				n.ancestor = s
			}
			n.tuple = true
		}
	case "parent":
		s.level++
	case "block":
		if len(n.expressions) > 0 {
			n.tuple = true
			s = p.seekParent(n.expressions[len(n.expressions)-1], s)
		}
	case "path":
		n.tuple = true
		i := len(n.steps) - 1
		s = p.seekParent(n.steps[i], s)
		i--
		for s.level > 0 && i >= 0 {
			s = p.seekParent(n.steps[i], s)
			i--
		}
	default:
		throw("S0217", n.pos, n.typ, nil)
	}
	return s
}

func pushAncestry(result, value *node) {
	if value.seekingParent != nil || value.typ == "parent" {
		slots := append([]*slot(nil), value.seekingParent...)
		if value.typ == "parent" {
			slots = append(slots, value.slot)
		}
		result.seekingParent = append(result.seekingParent, slots...)
	}
}

func (p *parser) resolveAncestry(path *node) {
	i := len(path.steps) - 1
	last := path.steps[i]
	slots := append([]*slot(nil), last.seekingParent...)
	if last.typ == "parent" {
		slots = append(slots, last.slot)
	}
	for _, s := range slots {
		i = len(path.steps) - 2
		for s.level > 0 {
			if i < 0 {
				path.seekingParent = append(path.seekingParent, s)
				break
			}
			step := path.steps[i]
			i--
			for i >= 0 && step.focus != "" && path.steps[i].focus != "" {
				step = path.steps[i]
				i--
			}
			s = p.seekParent(step, s)
		}
	}
}

func (p *parser) process(expr *node) *node {
	p.depth++
	if p.depth > maxParseDepth*4 {
		throw("S0201", expr.pos, "expression nested too deeply", nil)
	}
	defer func() { p.depth-- }()
	var result *node
	switch expr.typ {
	case "binary":
		op, _ := expr.value.(string)
		switch op {
		case ".":
			lstep := p.process(expr.lhs)
			if lstep.typ == "path" {
				result = lstep
			} else {
				result = &node{typ: "path", steps: []*node{lstep}}
			}
			if lstep.typ == "parent" {
				result.seekingParent = []*slot{lstep.slot}
			}
			rest := p.process(expr.rhs)
			if rest.typ == "path" {
				result.steps = append(result.steps, rest.steps...)
			} else {
				if rest.predicate != nil {
					rest.stages = rest.predicate
					rest.predicate = nil
				}
				result.steps = append(result.steps, rest)
			}
			for _, step := range result.steps {
				if step.typ == "number" || step.typ == "value" {
					throw("S0213", step.pos, "", errArgs{"value": step.value})
				}
				if step.typ == "string" {
					step.typ = "name"
				}
			}
			for _, step := range result.steps {
				if step.keepArray {
					result.keepSingletonArray = true
				}
			}
			first := result.steps[0]
			if first.typ == "unary" && first.value == "[" {
				first.consarray = true
			}
			last := result.steps[len(result.steps)-1]
			if last.typ == "unary" && last.value == "[" {
				last.consarray = true
			}
			p.resolveAncestry(result)
		case "[":
			result = p.process(expr.lhs)
			step := result
			isStages := false
			if result.typ == "path" {
				step = result.steps[len(result.steps)-1]
				isStages = true
			}
			if step.group != nil {
				throw("S0209", expr.pos, "", nil)
			}
			pred := p.process(expr.rhs)
			if pred.seekingParent != nil {
				for _, s := range pred.seekingParent {
					if s.level == 1 {
						p.seekParent(step, s)
					} else {
						s.level--
					}
				}
				pushAncestry(step, pred)
			}
			st := &stage{typ: "filter", expr: pred, pos: expr.pos}
			if isStages {
				step.stages = append(step.stages, st)
			} else {
				step.predicate = append(step.predicate, st)
			}
		case "{":
			result = p.process(expr.lhs)
			if result.group != nil {
				throw("S0210", expr.pos, "", nil)
			}
			g := &group{pos: expr.pos}
			for _, pr := range expr.pairs {
				g.pairs = append(g.pairs, [2]*node{p.process(pr[0]), p.process(pr[1])})
			}
			result.group = g
		case "^":
			result = p.process(expr.lhs)
			if result.typ != "path" {
				result = &node{typ: "path", steps: []*node{result}}
			}
			sortStep := &node{typ: "sort", pos: expr.pos}
			for _, t := range expr.terms {
				e := p.process(t.expr)
				pushAncestry(sortStep, e)
				sortStep.terms = append(sortStep.terms, sortTerm{t.descending, e})
			}
			result.steps = append(result.steps, sortStep)
			p.resolveAncestry(result)
		case ":=":
			result = &node{typ: "bind", value: expr.value, pos: expr.pos}
			result.lhs = p.process(expr.lhs)
			result.rhs = p.process(expr.rhs)
			pushAncestry(result, result.rhs)
		case "@":
			result = p.process(expr.lhs)
			step := result
			if result.typ == "path" {
				step = result.steps[len(result.steps)-1]
			}
			if step.stages != nil || step.predicate != nil {
				throw("S0215", expr.pos, "", nil)
			}
			if step.typ == "sort" {
				throw("S0216", expr.pos, "", nil)
			}
			if expr.keepArray {
				step.keepArray = true
			}
			step.focus = expr.rhs.value.(string)
			step.tuple = true
		case "#":
			result = p.process(expr.lhs)
			step := result
			if result.typ == "path" {
				step = result.steps[len(result.steps)-1]
			} else {
				result = &node{typ: "path", steps: []*node{result}}
				if step.predicate != nil {
					step.stages = step.predicate
					step.predicate = nil
				}
			}
			name := expr.rhs.value.(string)
			if step.stages == nil {
				step.index = name
				step.hasIndex = true
			} else {
				step.stages = append(step.stages, &stage{typ: "index", value: name, pos: expr.pos})
			}
			step.tuple = true
		case "~>":
			result = &node{typ: "apply", value: expr.value, pos: expr.pos}
			result.lhs = p.process(expr.lhs)
			result.rhs = p.process(expr.rhs)
			result.keepArray = result.lhs.keepArray || result.rhs.keepArray
		default:
			result = &node{typ: expr.typ, value: expr.value, pos: expr.pos}
			result.lhs = p.process(expr.lhs)
			result.rhs = p.process(expr.rhs)
			pushAncestry(result, result.lhs)
			pushAncestry(result, result.rhs)
		}
	case "unary":
		result = &node{typ: expr.typ, value: expr.value, pos: expr.pos}
		switch expr.value {
		case "[":
			for _, item := range expr.expressions {
				v := p.process(item)
				pushAncestry(result, v)
				result.expressions = append(result.expressions, v)
			}
			if result.expressions == nil {
				result.expressions = []*node{}
			}
		case "{":
			for _, pr := range expr.pairs {
				k := p.process(pr[0])
				pushAncestry(result, k)
				v := p.process(pr[1])
				pushAncestry(result, v)
				result.pairs = append(result.pairs, [2]*node{k, v})
			}
		default:
			result.expression = p.process(expr.expression)
			if expr.value == "-" && result.expression.typ == "number" {
				result = result.expression
				result.value = -result.value.(float64)
			} else {
				pushAncestry(result, result.expression)
			}
		}
	case "function", "partial":
		result = &node{typ: expr.typ, value: expr.value, pos: expr.pos}
		for _, a := range expr.arguments {
			v := p.process(a)
			pushAncestry(result, v)
			result.arguments = append(result.arguments, v)
		}
		result.procedure = p.process(expr.procedure)
	case "lambda":
		result = &node{typ: "lambda", params: expr.params, signature: expr.signature, pos: expr.pos}
		result.body = tailCallOptimize(p.process(expr.body))
	case "condition":
		result = &node{typ: "condition", pos: expr.pos}
		result.condition = p.process(expr.condition)
		pushAncestry(result, result.condition)
		result.then = p.process(expr.then)
		pushAncestry(result, result.then)
		if expr.els != nil {
			result.els = p.process(expr.els)
			pushAncestry(result, result.els)
		}
	case "transform":
		result = &node{typ: "transform", pos: expr.pos}
		result.pattern = p.process(expr.pattern)
		result.update = p.process(expr.update)
		if expr.del != nil {
			result.del = p.process(expr.del)
		}
	case "block":
		result = &node{typ: "block", pos: expr.pos}
		for _, item := range expr.expressions {
			part := p.process(item)
			pushAncestry(result, part)
			if part.consarray || (part.typ == "path" && part.steps[0].consarray) {
				result.consarray = true
			}
			result.expressions = append(result.expressions, part)
		}
	case tokName:
		result = &node{typ: "path", steps: []*node{expr}}
		if expr.keepArray {
			result.keepSingletonArray = true
		}
	case "parent":
		result = &node{typ: "parent", pos: expr.pos, slot: &slot{label: "!" + itoa(p.labels), level: 1, index: len(p.ancestry)}}
		p.labels++
		p.ancestry = append(p.ancestry, result)
	case tokString, tokNumber, tokValue, "wildcard", "descendant", tokVariable, "regex":
		result = expr
	case tokOperator:
		if expr.value == "and" || expr.value == "or" || expr.value == "in" {
			expr.typ = tokName
			result = p.process(expr)
		} else if expr.value == "?" {
			result = expr
		} else {
			throw("S0201", expr.pos, tokenText(expr), nil)
		}
	default:
		code := "S0206"
		if expr.id == "(end)" {
			code = "S0207"
		}
		throw(code, expr.pos, tokenText(expr), nil)
	}
	if expr.keepArray {
		result.keepArray = true
	}
	return result
}

// tailCallOptimize wraps a function call in tail position in a thunk, so that apply can loop
// instead of recursing: a tail-recursive lambda then runs in constant stack.
func tailCallOptimize(expr *node) *node {
	switch {
	case expr.typ == "function" && expr.predicate == nil:
		return &node{typ: "lambda", thunk: true, pos: expr.pos, body: expr}
	case expr.typ == "condition":
		expr.then = tailCallOptimize(expr.then)
		if expr.els != nil {
			expr.els = tailCallOptimize(expr.els)
		}
	case expr.typ == "block":
		if n := len(expr.expressions); n > 0 {
			expr.expressions[n-1] = tailCallOptimize(expr.expressions[n-1])
		}
	}
	return expr
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
