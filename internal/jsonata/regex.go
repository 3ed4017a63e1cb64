package jsonata

import (
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// regexLiteral is a compiled /pattern/flags. JavaScript regular expressions are mapped onto Go's
// RE2: what RE2 cannot do (lookaround, backreferences) is refused at compile time with S0303.
type regexLiteral struct {
	source string
	flags  string
	re     *regexp.Regexp
	// from finds the leftmost match at or after a position with the text before it in view (for
	// ^, \b and the like, as JavaScript's lastIndex does): applied to the text from the rune
	// before that position, it skips that rune, then as little as it must, and captures the match.
	from *regexp.Regexp
}

// jsSpace is what JavaScript's \s matches beyond RE2's [\t\n\f\r ].
const jsSpace = `\x0B\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`

// compileRegex translates a JavaScript pattern to RE2 syntax where the two differ in meaning
// (\s, '.', \uXXXX, \/, [^], \0) and compiles it.
func compileRegex(pattern, flags string) (*regexLiteral, error) {
	var sb strings.Builder
	if flags != "" {
		sb.WriteString("(?" + flags + ")")
	}
	src := []rune(pattern)
	inClass := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '\\' && i+1 < len(src) {
			n := src[i+1]
			i++
			switch {
			case n == 'u' && i+4 < len(src) && isHex(src[i+1:i+5]):
				sb.WriteString(`\x{` + string(src[i+1:i+5]) + `}`)
				i += 4
			case n == '/':
				sb.WriteString("/")
			case n == 's' && inClass:
				sb.WriteString(`\s` + jsSpace)
			case n == 's':
				sb.WriteString(`[\s` + jsSpace + `]`)
			case n == 'S' && !inClass:
				sb.WriteString(`[^\s` + jsSpace + `]`)
			case n == '0' && (i+1 >= len(src) || src[i+1] < '0' || src[i+1] > '9'):
				sb.WriteString(`\x00`)
			default:
				sb.WriteRune(c)
				sb.WriteRune(n)
			}
			continue
		}
		switch {
		case inClass:
			if c == ']' {
				inClass = false
			}
			sb.WriteRune(c)
		case c == '[' && i+2 < len(src) && src[i+1] == '^' && src[i+2] == ']':
			sb.WriteString(`[\s\S]`) // [^] matches any character
			i += 2
		case c == '[' && i+1 < len(src) && src[i+1] == ']':
			sb.WriteString(`[^\x00-\x{10FFFF}]`) // [] matches nothing
			i++
		case c == '[':
			inClass = true
			sb.WriteRune(c)
			if i+1 < len(src) && src[i+1] == '^' {
				sb.WriteRune('^')
				i++
			}
		case c == '.':
			sb.WriteString(`[^\n\r\x{2028}\x{2029}]`)
		default:
			sb.WriteRune(c)
		}
	}
	translated := sb.String()
	re, err := regexp.Compile(translated)
	if err != nil {
		return nil, err
	}
	prefix := ""
	if flags != "" {
		prefix = "(?" + flags + ")"
		translated = translated[len(prefix):]
	}
	from, err := regexp.Compile(prefix + `\A(?s:.)(?s:.*?)(` + translated + `)`)
	if err != nil {
		return nil, err
	}
	return &regexLiteral{source: pattern, flags: flags, re: re, from: from}, nil
}

func isHex(rs []rune) bool {
	for _, r := range rs {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// exec finds the first match at or after byte offset from: submatch byte offsets, or nil.
func (r *regexLiteral) exec(s string, from int) []int {
	if from > len(s) {
		return nil
	}
	if from == 0 {
		return r.re.FindStringSubmatchIndex(s)
	}
	_, size := utf8.DecodeLastRuneInString(s[:from])
	base := from - size
	loc := r.from.FindStringSubmatchIndex(s[base:])
	if loc == nil {
		return nil
	}
	loc = loc[2:] // group 1 is the match; the pattern's own groups follow
	for i := range loc {
		if loc[i] >= 0 {
			loc[i] += base
		}
	}
	return loc
}

// matches lists successive matches as jsonata-js's matcher closure yields them: after a match,
// the search resumes at its end, and a later empty match is an error (D1004), since JavaScript's
// lastIndex would not advance past it.
func (r *regexLiteral) matches(s string, limit int, pos int) [][]int {
	var out [][]int
	m := r.exec(s, 0)
	for m != nil && (limit < 0 || len(out) < limit) {
		out = append(out, m)
		last := m[1]
		if last >= len(s) {
			break
		}
		m = r.exec(s, last)
		if m != nil && m[0] == m[1] {
			throw("D1004", pos, "", errArgs{"value": r.source})
		}
	}
	return out
}

// utf16Index converts a byte offset in s to JavaScript's UTF-16 index.
func utf16Index(s string, byteOff int) int {
	n := 0
	for _, r := range s[:byteOff] {
		n += utf16.RuneLen(r)
	}
	return n
}

// matchObject is the object a regex yields when called as a function; its next member is a
// function that yields the following match.
func (ev *evaluator) matchObject(r *regexLiteral, s string, m []int, pos int) any {
	next := &builtin{name: "next", fn: func(ev *evaluator, c *call, _ []any) any {
		if m[1] >= len(s) {
			return undefined
		}
		n := r.exec(s, m[1])
		if n == nil {
			return undefined
		}
		if n[0] == n[1] {
			throw("D1004", pos, "", errArgs{"value": r.source})
		}
		return ev.matchObject(r, s, n, pos)
	}}
	groups := groupsOf(s, m)
	obj := map[string]any{
		"match":  s[m[0]:m[1]],
		"start":  float64(utf16Index(s, m[0])),
		"end":    float64(utf16Index(s, m[1])),
		"groups": groups,
		"next":   next,
	}
	return ev.newObject(obj, []string{"match", "start", "end", "groups", "next"})
}

// groupsOf lists a match's capturing groups; a group that did not take part is undefined.
func groupsOf(s string, m []int) []any {
	groups := []any{}
	for i := 2; i+1 < len(m); i += 2 {
		if m[i] < 0 {
			groups = append(groups, undefined)
		} else {
			groups = append(groups, s[m[i]:m[i+1]])
		}
	}
	return groups
}
