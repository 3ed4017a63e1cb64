package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Token types, as jsonata-js names them.
const (
	tokOperator = "operator"
	tokString   = "string"
	tokNumber   = "number"
	tokValue    = "value" // true, false, null
	tokName     = "name"
	tokVariable = "variable"
	tokRegex    = "regex"
)

type token struct {
	typ   string
	value any // string, float64, bool, nil or *regexLiteral
	pos   int
}

// operators and their binding powers (jsonata-js parser.js). Characters listed here also end a name.
var operators = map[string]int{
	".": 75, "[": 80, "]": 0, "{": 70, "}": 0, "(": 80, ")": 0, ",": 0, "@": 80, "#": 80, ";": 80, ":": 80,
	"?": 20, "+": 50, "-": 50, "*": 60, "/": 60, "%": 60, "|": 20, "=": 40, "<": 40, ">": 40, "^": 40,
	"**": 60, "..": 20, ":=": 10, "!=": 40, "<=": 40, ">=": 40, "~>": 40, "?:": 40, "??": 40,
	"and": 30, "or": 25, "in": 40, "&": 50, "!": 0, "~": 0,
}

var escapes = map[rune]string{'"': "\"", '\\': "\\", '/': "/", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t"}

var numberPattern = regexp.MustCompile(`^-?(0|([1-9][0-9]*))(\.[0-9]+)?([Ee][-+]?[0-9]+)?`)

// lexer works on runes; the positions it reports are UTF-16 offsets, as jsonata-js's are.
type lexer struct {
	src []rune
	pos int
	u16 []int // u16[i]: the UTF-16 offset of rune i
}

func newLexer(src string) lexer {
	rs := []rune(src)
	u16 := make([]int, len(rs)+1)
	for i, r := range rs {
		u16[i+1] = u16[i] + utf16.RuneLen(r)
	}
	return lexer{src: rs, u16: u16}
}

// at16 is the UTF-16 offset of rune position i.
func (l *lexer) at16(i int) int {
	return l.u16[max(0, min(i, len(l.src)))]
}

func isSpace(c rune) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' }

func (l *lexer) at(i int) rune {
	if i < 0 || i >= len(l.src) {
		return 0
	}
	return l.src[i]
}

// next returns the next token or nil at the end. infix is true after an operand, where '/' divides
// instead of starting a regex.
func (l *lexer) next(infix bool) *token {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
	if l.pos >= len(l.src) {
		return nil
	}
	c := l.src[l.pos]
	if c == '/' && l.at(l.pos+1) == '*' {
		start := l.pos
		l.pos += 2
		for !(l.at(l.pos) == '*' && l.at(l.pos+1) == '/') {
			l.pos++
			if l.pos >= len(l.src) {
				throw("S0106", l.at16(start), "", nil)
			}
		}
		l.pos += 2
		return l.next(infix)
	}
	mk := func(typ string, v any, end int) *token { return &token{typ: typ, value: v, pos: l.at16(end)} }
	if !infix && c == '/' {
		l.pos++
		return l.scanRegex()
	}
	two := string(c) + string(l.at(l.pos+1))
	switch two {
	case "..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??":
		l.pos += 2
		return mk(tokOperator, two, l.pos)
	}
	if _, ok := operators[string(c)]; ok {
		l.pos++
		return mk(tokOperator, string(c), l.pos)
	}
	if c == '"' || c == '\'' {
		quote := c
		l.pos++
		var sb strings.Builder
		for l.pos < len(l.src) {
			c = l.src[l.pos]
			if c == '\\' {
				l.pos++
				c = l.at(l.pos)
				if e, ok := escapes[c]; ok {
					sb.WriteString(e)
				} else if c == 'u' {
					hex := string(l.src[l.pos+1 : min(l.pos+5, len(l.src))])
					n, err := strconv.ParseUint(hex, 16, 32)
					if len(hex) != 4 || err != nil {
						throw("S0104", l.at16(l.pos), "", nil)
					}
					l.pos += 4
					// JS strings are UTF-16: a surrogate pair written as two escapes is one character.
					if utf16.IsSurrogate(rune(n)) && l.at(l.pos+1) == '\\' && l.at(l.pos+2) == 'u' && l.pos+7 <= len(l.src) {
						if n2, err := strconv.ParseUint(string(l.src[l.pos+3:l.pos+7]), 16, 32); err == nil {
							if r := utf16.DecodeRune(rune(n), rune(n2)); r != 0xFFFD {
								sb.WriteRune(r)
								l.pos += 6
								l.pos++
								continue
							}
						}
					}
					sb.WriteRune(rune(n))
				} else {
					tok := ""
					if l.pos < len(l.src) {
						tok = string(c)
					}
					throw("S0103", l.at16(l.pos), tok, errArgs{"token": tok})
				}
			} else if c == quote {
				l.pos++
				return mk(tokString, sb.String(), l.pos)
			} else {
				sb.WriteRune(c)
			}
			l.pos++
		}
		throw("S0101", l.at16(l.pos), "", nil)
	}
	if m := numberPattern.FindString(string(l.src[l.pos:min(l.pos+400, len(l.src))])); m != "" {
		f, err := strconv.ParseFloat(m, 64)
		if err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			l.pos += len([]rune(m))
			return mk(tokNumber, f, l.pos)
		}
		throw("S0102", l.at16(l.pos), m, nil)
	}
	if c == '`' {
		l.pos++
		for end := l.pos; end < len(l.src); end++ {
			if l.src[end] == '`' {
				name := string(l.src[l.pos:end])
				l.pos = end + 1
				return mk(tokName, name, l.pos)
			}
		}
		l.pos = len(l.src)
		throw("S0105", l.at16(l.pos), "", nil)
	}
	i := l.pos
	for {
		ch := l.at(i)
		_, isOp := operators[string(ch)]
		if i >= len(l.src) || isSpace(ch) || isOp {
			if l.src[l.pos] == '$' {
				name := string(l.src[l.pos+1 : i])
				l.pos = i
				return mk(tokVariable, name, l.pos)
			}
			name := string(l.src[l.pos:i])
			l.pos = i
			switch name {
			case "or", "in", "and":
				return mk(tokOperator, name, l.pos)
			case "true":
				return mk(tokValue, true, l.pos)
			case "false":
				return mk(tokValue, false, l.pos)
			case "null":
				return mk(tokValue, nil, l.pos)
			}
			if l.pos == len(l.src) && name == "" {
				return nil
			}
			return mk(tokName, name, l.pos)
		}
		i++
	}
}

// scanRegex reads a regex literal after its opening slash, as jsonata-js does: a slash inside
// brackets or parentheses does not end it.
func (l *lexer) scanRegex() *token {
	start := l.pos
	depth := 0
	closing := func(p int) bool {
		if l.at(p) == '/' && depth == 0 {
			n := 0
			for l.at(p-(n+1)) == '\\' {
				n++
			}
			return n%2 == 0
		}
		return false
	}
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if closing(l.pos) {
			pattern := string(l.src[start:l.pos])
			if pattern == "" {
				throw("S0301", l.at16(l.pos), "", nil)
			}
			l.pos++
			fstart := l.pos
			for l.at(l.pos) == 'i' || l.at(l.pos) == 'm' {
				l.pos++
			}
			flags := string(l.src[fstart:l.pos])
			re, err := compileRegex(pattern, flags)
			if err != nil {
				throw("S0303", l.at16(start), "", errArgs{"value": "/" + pattern + "/" + flags + ": " + err.Error()})
			}
			return &token{typ: tokRegex, value: re, pos: l.at16(l.pos)}
		}
		if (c == '(' || c == '[' || c == '{') && l.at(l.pos-1) != '\\' {
			depth++
		}
		if (c == ')' || c == ']' || c == '}') && l.at(l.pos-1) != '\\' {
			depth--
		}
		l.pos++
	}
	throw("S0302", l.at16(l.pos), "", nil)
	return nil
}
