package jsonata

import (
	"strings"
	"unicode"
)

// JavaScript's toUpperCase/toLowerCase apply Unicode's SpecialCasing.txt, where one character
// can map to several; Go's strings.ToUpper maps rune to rune. These are the unconditional
// multi-character mappings, and the final-sigma rule of toLowerCase.
var specialUpper = map[rune]string{
	'ß': "SS", 'ŉ': "ʼN", 'ǰ': "J̌", 'ΐ': "Ϊ́", 'ΰ': "Ϋ́", 'և': "ԵՒ", 'ẖ': "H̱", 'ẗ': "T̈", 'ẘ': "W̊", 'ẙ': "Y̊", 'ẚ': "Aʾ",
	'ﬀ': "FF", 'ﬁ': "FI", 'ﬂ': "FL", 'ﬃ': "FFI", 'ﬄ': "FFL", 'ﬅ': "ST", 'ﬆ': "ST", 'ﬓ': "ՄՆ", 'ﬔ': "ՄԵ", 'ﬕ': "ՄԻ", 'ﬖ': "ՎՆ", 'ﬗ': "ՄԽ",
}

func jsUpper(s string) string {
	var sb strings.Builder
	for _, r := range s {
		if m, ok := specialUpper[r]; ok {
			sb.WriteString(m)
		} else {
			sb.WriteRune(unicode.ToUpper(r))
		}
	}
	return sb.String()
}

func jsLower(s string) string {
	rs := []rune(s)
	var sb strings.Builder
	for i, r := range rs {
		switch {
		case r == 'İ':
			sb.WriteString("i\u0307")
		case r == 'Σ' && i > 0 && unicode.IsLetter(rs[i-1]) && (i+1 == len(rs) || !unicode.IsLetter(rs[i+1])):
			sb.WriteRune('ς')
		default:
			sb.WriteRune(unicode.ToLower(r))
		}
	}
	return sb.String()
}
