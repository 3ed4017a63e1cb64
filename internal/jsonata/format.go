package jsonata

import (
	"math"
	"strconv"
	"strings"
)

// formatNumber is $formatNumber: XPath F&O 3.1 format-number with a picture string, following
// jsonata-js's implementation step for step (including its quirks), on runes.
func formatNumber(c *call, value float64, picture string, options map[string]any) string {
	props := map[string]string{
		"decimal-separator": ".", "grouping-separator": ",", "exponent-separator": "e", "infinity": "Infinity",
		"minus-sign": "-", "NaN": "NaN", "percent": "%", "per-mille": "\u2030", "zero-digit": "0", "digit": "#",
		"pattern-separator": ";",
	}
	for k, v := range options {
		if s, ok := v.(string); ok {
			props[k] = s
		}
	}
	first := func(s string) rune {
		for _, r := range s {
			return r
		}
		return 0
	}
	zero := first(props["zero-digit"])
	isDigit := func(r rune) bool { return r >= zero && r < zero+10 }
	decSep, grpSep, expSep := first(props["decimal-separator"]), first(props["grouping-separator"]), first(props["exponent-separator"])
	digit, percent, permille := first(props["digit"]), first(props["percent"]), first(props["per-mille"])
	isActive := func(r rune) bool {
		return isDigit(r) || r == decSep || r == expSep || r == grpSep || r == digit || r == first(props["pattern-separator"])
	}
	subs := strings.Split(picture, props["pattern-separator"])
	if len(subs) > 2 {
		throw("D3080", c.pos, c.name, nil)
	}
	type parts struct {
		prefix, suffix, active, mantissa, integer, fraction, sub []rune
		exponent                                                 []rune
		hasExponent                                              bool
	}
	split := func(sub string) parts {
		s := []rune(sub)
		p := parts{sub: s}
		p.prefix = []rune{}
		for i, ch := range s {
			if isActive(ch) && ch != expSep {
				p.prefix = s[:i]
				break
			}
		}
		p.suffix = []rune{}
		for i := len(s) - 1; i >= 0; i-- {
			if isActive(s[i]) && s[i] != expSep {
				p.suffix = s[i+1:]
				break
			}
		}
		p.active = s[len(p.prefix) : len(s)-len(p.suffix)]
		expPos := indexRune(s, expSep, len(p.prefix))
		if expPos == -1 || expPos > len(s)-len(p.suffix) {
			p.mantissa = p.active
		} else {
			p.mantissa = runeSub(p.active, 0, expPos)
			p.exponent = runeSub(p.active, expPos+1, len(p.active))
			p.hasExponent = true
		}
		if dp := indexRune(p.mantissa, decSep, 0); dp == -1 {
			p.integer = p.mantissa
			p.fraction = p.suffix
		} else {
			p.integer = p.mantissa[:dp]
			p.fraction = p.mantissa[dp+1:]
		}
		return p
	}
	count := func(rs []rune, f func(rune) bool) int {
		n := 0
		for _, r := range rs {
			if f(r) {
				n++
			}
		}
		return n
	}
	validate := func(p parts) {
		code := ""
		s := p.sub
		dp := indexRune(s, decSep, 0)
		if dp != lastIndexRune(s, decSep) {
			code = "D3081"
		}
		if indexRune(s, percent, 0) != lastIndexRune(s, percent) {
			code = "D3082"
		}
		if indexRune(s, permille, 0) != lastIndexRune(s, permille) {
			code = "D3083"
		}
		if indexRune(s, percent, 0) != -1 && indexRune(s, permille, 0) != -1 {
			code = "D3084"
		}
		if count(p.mantissa, func(r rune) bool { return isDigit(r) || r == digit }) == 0 {
			code = "D3085"
		}
		if count(p.active, func(r rune) bool { return !isActive(r) }) > 0 {
			code = "D3086"
		}
		if dp != -1 {
			if runeAt(s, dp-1) == grpSep || runeAt(s, dp+1) == grpSep {
				code = "D3087"
			}
		} else if len(p.integer) > 0 && p.integer[len(p.integer)-1] == grpSep {
			code = "D3088"
		}
		if strings.Contains(string(s), string([]rune{grpSep, grpSep})) {
			code = "D3089"
		}
		if od := indexRune(p.integer, digit, 0); od != -1 && count(p.integer[:od], isDigit) > 0 {
			code = "D3090"
		}
		if od := lastIndexRune(p.fraction, digit); od != -1 && count(p.fraction[od:], isDigit) > 0 {
			code = "D3091"
		}
		if p.hasExponent && len(p.exponent) > 0 && (indexRune(s, percent, 0) != -1 || indexRune(s, permille, 0) != -1) {
			code = "D3092"
		}
		if p.hasExponent && (len(p.exponent) == 0 || count(p.exponent, func(r rune) bool { return !isDigit(r) }) > 0) {
			code = "D3093"
		}
		if code != "" {
			throw(code, c.pos, c.name, nil)
		}
	}
	type pic struct {
		intGroups                []int
		regular                  int
		minInt, scaling          int
		prefix, suffix, sub      []rune
		fracGroups               []int
		minFrac, maxFrac, minExp int
	}
	analyse := func(p parts) pic {
		groupPositions := func(part []rune, toLeft bool) []int {
			var out []int
			pos := indexRune(part, grpSep, 0)
			for pos != -1 {
				var side []rune // substring clamps: pos can come from the integer part
				if toLeft {
					side = runeSub(part, 0, pos)
				} else {
					side = runeSub(part, pos, len(part))
				}
				out = append(out, count(side, func(r rune) bool { return isDigit(r) || r == digit }))
				pos = indexRune(p.integer, grpSep, pos+1) // sic: jsonata-js searches the integer part
			}
			return out
		}
		a := pic{prefix: p.prefix, suffix: p.suffix, sub: p.sub}
		a.intGroups = groupPositions(p.integer, false)
		a.regular = regularGrouping(a.intGroups)
		a.fracGroups = groupPositions(p.fraction, true)
		a.minInt = count(p.integer, isDigit)
		a.scaling = a.minInt
		a.minFrac = count(p.fraction, isDigit)
		a.maxFrac = count(p.fraction, func(r rune) bool { return isDigit(r) || r == digit })
		if a.minInt == 0 && a.maxFrac == 0 {
			if p.hasExponent {
				a.minFrac, a.maxFrac = 1, 1
			} else {
				a.minInt = 1
			}
		}
		if p.hasExponent && a.minInt == 0 && indexRune(p.integer, digit, 0) != -1 {
			a.minInt = 1
		}
		if a.minInt == 0 && a.minFrac == 0 {
			a.minFrac = 1
		}
		if p.hasExponent {
			a.minExp = count(p.exponent, isDigit)
		}
		return a
	}
	var ps []parts
	for _, s := range subs {
		ps = append(ps, split(s))
	}
	for _, p := range ps {
		validate(p)
	}
	var pics []pic
	for _, p := range ps {
		pics = append(pics, analyse(p))
	}
	minus := props["minus-sign"]
	if len(pics) == 1 {
		neg := pics[0]
		neg.prefix = append([]rune(minus), pics[0].prefix...)
		pics = append(pics, neg)
	}
	p := pics[0]
	if !(value >= 0) {
		p = pics[1]
	}
	adjusted := value
	if indexRune(p.sub, percent, 0) != -1 {
		adjusted = value * 100
	} else if indexRune(p.sub, permille, 0) != -1 {
		adjusted = value * 1000
	}
	mantissa := adjusted
	exponent, hasExp := 0, false
	if p.minExp != 0 {
		hasExp = true
		maxM, minM := math.Pow(10, float64(p.scaling)), math.Pow(10, float64(p.scaling-1))
		if mantissa != 0 {
			for i := 0; math.Abs(mantissa) < minM && i < 400; i++ {
				mantissa *= 10
				exponent--
			}
			for i := 0; math.Abs(mantissa) > maxM && i < 400; i++ {
				mantissa /= 10
				exponent++
			}
		}
	}
	rounded := round(mantissa, float64(p.maxFrac))
	makeString := func(v float64, dp int) []rune {
		s := []rune(toFixed(math.Abs(v), dp))
		if zero != '0' {
			for i, r := range s {
				if r >= '0' && r <= '9' {
					s[i] = zero + (r - '0')
				}
			}
		}
		return s
	}
	sv := makeString(rounded, p.maxFrac)
	if i := indexRune(sv, '.', 0); i == -1 {
		sv = append(sv, decSep)
	} else {
		sv[i] = decSep
	}
	for len(sv) > 0 && sv[0] == zero {
		sv = sv[1:]
	}
	for len(sv) > 0 && sv[len(sv)-1] == zero {
		sv = sv[:len(sv)-1]
	}
	dp := indexRune(sv, decSep, 0)
	padLeft := p.minInt - dp
	padRight := p.minFrac - (len(sv) - dp - 1)
	if padLeft > 0 {
		sv = append([]rune(strings.Repeat(string(zero), padLeft)), sv...)
	}
	if padRight > 0 {
		sv = append(sv, []rune(strings.Repeat(string(zero), padRight))...)
	}
	// insert is [s.slice(0, at), r, s.slice(at)].join(''): a negative at counts from the end.
	insert := func(s []rune, at int, r rune) []rune {
		if at < 0 {
			at += len(s)
		}
		at = max(0, min(at, len(s)))
		out := make([]rune, 0, len(s)+1)
		out = append(out, s[:at]...)
		out = append(out, r)
		return append(out, s[at:]...)
	}
	dp = indexRune(sv, decSep, 0)
	if p.regular > 0 {
		groups := (dp - 1) / p.regular
		if dp-1 < 0 {
			groups = -1
		}
		for g := 1; g <= groups; g++ {
			sv = insert(sv, dp-g*p.regular, grpSep)
		}
	} else {
		for _, pos := range p.intGroups {
			sv = insert(sv, dp-pos, grpSep)
			dp++
		}
	}
	dp = indexRune(sv, decSep, 0)
	for _, pos := range p.fracGroups {
		sv = insert(sv, pos+dp+1, grpSep)
	}
	dp = indexRune(sv, decSep, 0)
	if indexRune(p.sub, decSep, 0) == -1 || dp == len(sv)-1 {
		sv = sv[:len(sv)-1]
	}
	if hasExp {
		se := makeString(float64(exponent), 0)
		if pad := p.minExp - len(se); pad > 0 {
			se = append([]rune(strings.Repeat(string(zero), pad)), se...)
		}
		sign := ""
		if exponent < 0 {
			sign = minus
		}
		sv = append(append(append(sv, []rune(props["exponent-separator"])...), []rune(sign)...), se...)
	}
	return string(p.prefix) + string(sv) + string(p.suffix)
}

func regularGrouping(idx []int) int {
	if len(idx) == 0 {
		return 0
	}
	gcd := func(a, b int) int {
		for b != 0 {
			a, b = b, a%b
		}
		return a
	}
	f := idx[0]
	for _, x := range idx[1:] {
		f = gcd(f, x)
	}
	for i := 1; i <= len(idx); i++ {
		found := false
		for _, x := range idx {
			if x == i*f {
				found = true
			}
		}
		if !found {
			return 0
		}
	}
	return f
}

// toFixed is Number.prototype.toFixed for values below 1e21.
func toFixed(v float64, dp int) string {
	if math.Abs(v) >= 1e21 {
		return jsNumber(v)
	}
	return strconv.FormatFloat(v, 'f', dp, 64)
}

func indexRune(s []rune, r rune, from int) int {
	for i := max(from, 0); i < len(s); i++ {
		if s[i] == r {
			return i
		}
	}
	return -1
}

func lastIndexRune(s []rune, r rune) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == r {
			return i
		}
	}
	return -1
}

func runeAt(s []rune, i int) rune {
	if i < 0 || i >= len(s) {
		return -1
	}
	return s[i]
}

// runeSub is String.prototype.substring on runes: bounds are clamped and swapped if reversed.
func runeSub(s []rune, a, b int) []rune {
	a, b = max(0, min(a, len(s))), max(0, min(b, len(s)))
	if a > b {
		a, b = b, a
	}
	return s[a:b]
}

func defineFormatting() {
	define("formatNumber", "<n-so?:s>", 3, func(ev *evaluator, c *call, a []any) any {
		v, ok := toNumber(a[0])
		if !ok {
			return undefined
		}
		opts, _ := argAt(a, 2).(map[string]any)
		return formatNumber(c, v, strArg(a, 1), opts)
	})
}
