package jsonata

import (
	"regexp"
	"strings"
)

// signature is a function's type signature in jsonata-js notation, e.g. "<s-nn?:s>". Arguments
// are validated the way signature.js does it: each argument is mapped to a type letter and the
// letters are matched against a regular expression built from the signature.
type signature struct {
	definition string
	params     []sigParam
	re         *regexp.Regexp
}

type sigParam struct {
	typ          string // s n b l o a f j x or a choice "(sf)"
	regex        string
	context      bool // '-': use the context value when the argument is missing
	contextRegex *regexp.Regexp
	subtype      string
}

var arraySignatureMapping = map[string]string{"a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings"}

func parseSignature(sig string) (*signature, *Error) {
	s := &signature{definition: sig}
	var params []*sigParam
	param := &sigParam{}
	var prev *sigParam = param
	next := func() {
		params = append(params, param)
		prev = param
		param = &sigParam{}
	}
	closing := func(start int, open, close byte) int {
		depth := 1
		pos := start
		for pos < len(sig) {
			pos++
			if pos >= len(sig) {
				break
			}
			if sig[pos] == close {
				depth--
				if depth == 0 {
					break
				}
			} else if sig[pos] == open {
				depth++
			}
		}
		return pos
	}
	for pos := 1; pos < len(sig); pos++ {
		c := sig[pos]
		if c == ':' {
			break
		}
		switch c {
		case 's', 'n', 'b', 'l', 'o':
			param.regex = "[" + string(c) + "m]"
			param.typ = string(c)
			next()
		case 'a':
			param.regex = "[asnblfom]"
			param.typ = "a"
			next()
		case 'f':
			param.regex = "f"
			param.typ = "f"
			next()
		case 'j':
			param.regex = "[asnblom]"
			param.typ = "j"
			next()
		case 'x':
			param.regex = "[asnblfom]"
			param.typ = "x"
			next()
		case '-':
			re, err := regexp.Compile(prev.regex)
			if err != nil { // "<+->": jsonata-js fails with a JavaScript SyntaxError
				return nil, newError("S0201", pos, sig, nil)
			}
			prev.context = true
			prev.contextRegex = re
			prev.regex += "?"
		case '?', '+':
			prev.regex += string(c)
		case '(':
			end := closing(pos, '(', ')')
			choice := sig[pos+1 : min(end, len(sig))]
			if strings.Contains(choice, "<") {
				return nil, newError("S0402", pos, "", errArgs{"value": choice})
			}
			param.regex = "[" + choice + "m]"
			param.typ = "(" + choice + ")"
			pos = end
			next()
		case '<':
			if prev.typ == "a" || prev.typ == "f" {
				end := closing(pos, '<', '>')
				prev.subtype = sig[pos+1 : min(end, len(sig))]
				pos = end
			} else {
				return nil, newError("S0401", pos, "", errArgs{"value": prev.typ})
			}
		}
	}
	var re strings.Builder
	re.WriteString("^")
	for _, p := range params {
		re.WriteString("(" + p.regex + ")")
		s.params = append(s.params, *p)
	}
	re.WriteString("$")
	compiled, err := regexp.Compile(re.String())
	if err != nil {
		return nil, newError("S0201", 0, sig, nil)
	}
	s.re = compiled
	return s, nil
}

// typeLetter is signature.js's getSymbol.
func typeLetter(v any) byte {
	switch v := v.(type) {
	case undefinedType:
		return 'm'
	case nil:
		return 'l'
	case string:
		return 's'
	case bool:
		return 'b'
	case map[string]any:
		return 'o'
	default:
		if isFunc(v) {
			return 'f'
		}
		if _, ok := toNumber(v); ok {
			return 'n'
		}
		if _, ok := asArray(v); ok {
			return 'a'
		}
	}
	return 'm'
}

// validate checks args against the signature, filling in the context value for a missing '-'
// argument and wrapping a single value where an array is expected.
func (s *signature) validate(args []any, context any, name string, pos int) []any {
	letters := make([]byte, len(args))
	for i, a := range args {
		letters[i] = typeLetter(a)
	}
	supplied := string(letters)
	m := s.re.FindStringSubmatch(supplied)
	if m == nil {
		s.throwValidation(args, supplied, name, pos)
	}
	var out []any
	argIndex := 0
	for i, p := range s.params {
		match := m[i+1]
		if match == "" {
			if p.context && p.contextRegex != nil {
				if p.contextRegex.MatchString(string(typeLetter(context))) {
					out = append(out, context)
				} else {
					throw("T0411", pos, name, errArgs{"value": context, "index": float64(argIndex + 1)})
				}
			} else {
				out = append(out, argAt(args, argIndex))
				argIndex++
			}
			continue
		}
		for _, single := range []byte(match) {
			arg := argAt(args, argIndex)
			if p.typ == "a" {
				if single == 'm' {
					arg = undefined
				} else {
					ok := true
					if p.subtype != "" {
						if single != 'a' && match != p.subtype {
							ok = false
						} else if single == 'a' {
							items, _ := asArray(arg)
							if len(items) > 0 {
								first := typeLetter(items[0])
								if first != p.subtype[0] {
									ok = false
								} else {
									for _, it := range items {
										if typeLetter(it) != first {
											ok = false
											break
										}
									}
								}
							}
						}
					}
					if !ok {
						throw("T0412", pos, name, errArgs{"value": arg, "index": float64(argIndex + 1), "type": arraySignatureMapping[p.subtype]})
					}
					if single != 'a' {
						arg = []any{arg}
					}
				}
			}
			out = append(out, arg)
			argIndex++
		}
	}
	return out
}

func argAt(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return undefined
}

func (s *signature) throwValidation(args []any, supplied, name string, pos int) {
	partial := "^"
	goodTo := 0
	for _, p := range s.params {
		partial += p.regex
		re, err := regexp.Compile(partial)
		if err != nil {
			break
		}
		loc := re.FindString(supplied)
		if loc == "" && !re.MatchString(supplied) {
			throw("T0410", pos, name, errArgs{"value": argAt(args, goodTo), "index": float64(goodTo + 1)})
		}
		goodTo = len(loc)
	}
	throw("T0410", pos, name, errArgs{"value": argAt(args, goodTo), "index": float64(goodTo + 1)})
}
