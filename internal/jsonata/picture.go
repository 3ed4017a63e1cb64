package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Picture strings for integers ($formatInteger, $parseInteger) and dates ($fromMillis, $now,
// $toMillis), after XPath F&O 3.1 as jsonata-js implements them (datetime.js).

var (
	fewWords      = []string{"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"}
	ordinalWords  = []string{"Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"}
	decadeWords   = []string{"Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred"}
	magnitudes    = []string{"Thousand", "Million", "Billion", "Trillion"}
	dayNames      = []string{"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	monthNames    = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	decimalGroups = []rune{0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10}
)

func numberToWords(value float64, ordinal bool) string {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return ""
	}
	var lookup func(num float64, prev, ord bool) string
	lookup = func(num float64, prev, ord bool) string {
		words := ""
		switch {
		case num <= 19:
			if prev {
				words = " and "
			}
			if ord {
				words += ordinalWords[int(num)]
			} else {
				words += fewWords[int(num)]
			}
		case num < 100:
			tens, rem := math.Floor(num/10), math.Mod(num, 10)
			if prev {
				words = " and "
			}
			words += decadeWords[int(tens)-2]
			if rem > 0 {
				words += "-" + lookup(rem, false, ord)
			} else if ord {
				words = words[:len(words)-1] + "ieth"
			}
		case num < 1000:
			hundreds, rem := math.Floor(num/100), math.Mod(num, 100)
			if prev {
				words = ", "
			}
			words += fewWords[int(hundreds)] + " Hundred"
			if rem > 0 {
				words += lookup(rem, true, ord)
			} else if ord {
				words += "th"
			}
		default:
			mag := int(math.Floor(math.Log10(num) / 3))
			if mag > len(magnitudes) {
				mag = len(magnitudes)
			}
			factor := math.Pow(10, float64(mag*3))
			mant := math.Floor(num / factor)
			rem := num - mant*factor
			if prev {
				words = ", "
			}
			words += lookup(mant, false, false) + " " + magnitudes[mag-1]
			if rem > 0 {
				words += lookup(rem, true, ord)
			} else if ord {
				words += "th"
			}
		}
		return words
	}
	return lookup(value, false, ordinal)
}

var romanNumerals = []struct {
	v float64
	s string
}{{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"}, {40, "xl"}, {10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"}}

func decimalToRoman(v float64) string {
	var sb strings.Builder
	for guard := 0; v >= 1 && guard < 100000; guard++ {
		for _, n := range romanNumerals {
			if v >= n.v {
				sb.WriteString(n.s)
				v -= n.v
				break
			}
		}
	}
	return sb.String()
}

func decimalToLetters(v float64, a rune) string {
	var letters []rune
	for v > 0 {
		letters = append([]rune{rune(math.Mod(v-1, 26)) + a}, letters...)
		v = math.Floor((v - 1) / 26)
	}
	return string(letters)
}

type integerFormat struct {
	primary                         string // decimal, letters, roman, words, sequence
	letterCase                      string // upper, lower, title
	ordinal                         bool
	zeroCode                        rune
	mandatory, optional, parseWidth int
	regular                         bool
	separators                      []separator // when regular: one, its position the interval
	token                           string
}

type separator struct {
	position int
	char     string
}

func analyseIntegerPicture(c *call, picture string) *integerFormat {
	f := &integerFormat{primary: "decimal", letterCase: "lower"}
	primary := picture
	if semi := strings.LastIndex(picture, ";"); semi != -1 {
		primary = picture[:semi]
		if strings.HasPrefix(picture[semi+1:], "o") {
			f.ordinal = true
		}
	}
	switch primary {
	case "A":
		f.letterCase, f.primary = "upper", "letters"
	case "a":
		f.primary = "letters"
	case "I":
		f.letterCase, f.primary = "upper", "roman"
	case "i":
		f.primary = "roman"
	case "W":
		f.letterCase, f.primary = "upper", "words"
	case "Ww":
		f.letterCase, f.primary = "title", "words"
	case "w":
		f.primary = "words"
	default:
		zero := rune(-1)
		pos := 0
		rs := []rune(primary)
		for i := len(rs) - 1; i >= 0; i-- {
			cp := rs[i]
			digit := false
			for _, g := range decimalGroups {
				if cp >= g && cp <= g+9 {
					digit = true
					f.mandatory++
					pos++
					if zero == -1 {
						zero = g
					} else if g != zero {
						throw("D3131", c.pos, c.name, nil)
					}
					break
				}
			}
			if !digit {
				if cp == '#' {
					pos++
					f.optional++
				} else {
					f.separators = append(f.separators, separator{pos, string(cp)})
				}
			}
		}
		if f.mandatory > 0 {
			f.zeroCode = zero
			if r := regularSeparators(f.separators); r > 0 {
				f.regular = true
				f.separators = []separator{{r, f.separators[0].char}}
			}
		} else {
			f.primary = "sequence"
			f.token = primary
		}
	}
	return f
}

func regularSeparators(seps []separator) int {
	if len(seps) == 0 {
		return 0
	}
	var idx []int
	for _, s := range seps {
		if s.char != seps[0].char {
			return 0
		}
		idx = append(idx, s.position)
	}
	return regularGrouping(idx)
}

func formatIntegerWith(c *call, value float64, f *integerFormat) string {
	negative := value < 0
	value = math.Abs(value)
	var s string
	switch f.primary {
	case "letters":
		a := 'a'
		if f.letterCase == "upper" {
			a = 'A'
		}
		s = decimalToLetters(value, a)
	case "roman":
		s = decimalToRoman(value)
		if f.letterCase == "upper" {
			s = strings.ToUpper(s)
		}
	case "words":
		s = numberToWords(value, f.ordinal)
		if f.letterCase == "upper" {
			s = strings.ToUpper(s)
		} else if f.letterCase == "lower" {
			s = strings.ToLower(s)
		}
	case "decimal":
		s = jsNumber(value)
		if pad := f.mandatory - len(s); pad > 0 {
			if c.env != nil {
				c.env.ev.charge(int64(pad)) // a width like [Y,2000000000] must meet the budget
			}
			s = strings.Repeat("0", pad) + s
		}
		if f.zeroCode != '0' {
			rs := []rune(s)
			for i, r := range rs {
				rs[i] = r + f.zeroCode - '0'
			}
			s = string(rs)
		}
		rs := []rune(s)
		if f.regular {
			step := f.separators[0].position
			n := (len(rs) - 1) / step
			for ii := n; ii > 0; ii-- {
				p := len(rs) - ii*step
				rs = append(rs[:p], append([]rune(f.separators[0].char), rs[p:]...)...)
			}
		} else {
			// substr(0, p) + sep + substr(p), where a negative p (a picture longer than the
			// number) takes nothing on the left and the last -p characters on the right.
			for i := len(f.separators) - 1; i >= 0; i-- {
				sep := f.separators[i]
				p := len(rs) - sep.position
				left, right := rs[:max(p, 0)], rs[max(p, 0):]
				if p < 0 {
					right = rs[max(len(rs)+p, 0):]
				}
				out := append(append(append([]rune{}, left...), []rune(sep.char)...), right...)
				rs = out
			}
		}
		s = string(rs)
		if f.ordinal {
			suffix := map[byte]string{'1': "st", '2': "nd", '3': "rd"}[s[len(s)-1]]
			if suffix == "" || (len(s) > 1 && s[len(s)-2] == '1') {
				suffix = "th"
			}
			s += suffix
		}
	case "sequence":
		throw("D3130", c.pos, c.name, errArgs{"value": f.token})
	}
	if negative {
		s = "-" + s
	}
	return s
}

type dateMarker struct {
	literal      string
	isLiteral    bool
	component    byte
	compName     string // the component as written, for messages
	pres1, pres2 string
	ordinal      bool
	names        string
	intFormat    *integerFormat
	// The width modifier's minimum and maximum, as parseInt reads them (NaN when they do not
	// parse); has* is false where jsonata-js has undefined (no modifier, or "*").
	widthMin, widthMax float64
	hasMin, hasMax     bool
	n                  float64 // the year's digit count; -1: all
}

// clip is s cut to at most n characters, as substring(0, n) does with a number n.
func clip(s string, n float64) string {
	if math.IsNaN(n) || float64(len(s)) <= n {
		return s
	}
	return s[:int(math.Max(0, n))]
}

var defaultPresentation = map[byte]string{'Y': "1", 'M': "1", 'D': "1", 'd': "1", 'F': "n", 'W': "1", 'w': "1", 'X': "1", 'x': "1", 'H': "1", 'h': "1", 'P': "n", 'm': "01", 's': "01", 'f': "1", 'Z': "01:01", 'z': "01:01", 'C': "n", 'E': "n"}

var spaces = regexp.MustCompile(`\s+`)

func analyseDateTimePicture(c *call, picture string) []*dateMarker {
	var spec []*dateMarker
	addLiteral := func(s string) {
		if s != "" {
			spec = append(spec, &dateMarker{isLiteral: true, literal: strings.ReplaceAll(s, "]]", "]")})
		}
	}
	start, pos := 0, 0
	for pos < len(picture) {
		if picture[pos] == '[' {
			if pos+1 < len(picture) && picture[pos+1] == '[' {
				addLiteral(picture[start:pos])
				spec = append(spec, &dateMarker{isLiteral: true, literal: "["})
				pos += 2
				start = pos
				continue
			}
			addLiteral(picture[start:pos])
			start = pos
			end := strings.Index(picture[start:], "]")
			if end == -1 {
				throw("D3135", c.pos, c.name, nil)
			}
			pos = start + end
			marker := spaces.ReplaceAllString(picture[start+1:pos], "")
			d := &dateMarker{n: -1}
			if marker != "" {
				d.component = marker[0]
				d.compName = string([]rune(marker)[:1])
			}
			var pres string
			if comma := strings.LastIndex(marker, ","); comma != -1 {
				width := marker[comma+1:]
				minS, maxS := width, ""
				hasMax := false
				if dash := strings.Index(width, "-"); dash != -1 {
					minS, maxS, hasMax = width[:dash], width[dash+1:], true
				}
				d.hasMin = minS != "*"
				d.widthMin = jsParseInt(minS)
				if hasMax && maxS != "*" {
					d.hasMax = true
					d.widthMax = jsParseInt(maxS)
				}
				// marker.substring(1, comma): JavaScript swaps reversed bounds, so "[,]" has ",".
				pres = string(runeSub([]rune(marker), 1, utf8.RuneCountInString(marker[:comma])))
			} else if marker != "" {
				pres = marker[1:]
			}
			switch {
			case len(pres) == 1:
				d.pres1 = pres
			case len(pres) > 1:
				last := pres[len(pres)-1]
				if strings.IndexByte("atco", last) != -1 {
					d.pres2 = string(last)
					d.ordinal = last == 'o'
					d.pres1 = pres[:len(pres)-1]
				} else {
					d.pres1 = pres
				}
			default:
				p, ok := defaultPresentation[d.component]
				if !ok {
					throw("D3132", c.pos, c.name, errArgs{"value": d.compName})
				}
				d.pres1 = p
			}
			switch {
			case d.pres1[0] == 'n':
				d.names = "lower"
			case d.pres1[0] == 'N':
				if len(d.pres1) > 1 && d.pres1[1] == 'n' {
					d.names = "title"
				} else {
					d.names = "upper"
				}
			case strings.IndexByte("YMDdFWwXxHhmsf", d.component) != -1:
				pattern := d.pres1
				if d.pres2 != "" {
					pattern += ";" + d.pres2
				}
				d.intFormat = analyseIntegerPicture(c, pattern)
				// Only a decimal format has digit counts; in jsonata-js the others' are
				// undefined, so a minimum width and the year's digit count leave them be.
				decimal := d.intFormat.primary == "decimal"
				if decimal && d.hasMin && float64(d.intFormat.mandatory) < d.widthMin {
					d.intFormat.mandatory = int(d.widthMin)
				}
				if d.component == 'Y' {
					d.n = -1
					if d.hasMax {
						d.n = d.widthMax
						d.intFormat.mandatory = 0 // a NaN or negative count pads nothing
						if d.n > 0 {
							d.intFormat.mandatory = int(d.n)
						}
					} else if w := d.intFormat.mandatory + d.intFormat.optional; decimal && w >= 2 {
						d.n = float64(w)
					}
				}
				if len(spec) > 0 && spec[len(spec)-1].intFormat != nil {
					prev := spec[len(spec)-1].intFormat
					prev.parseWidth = prev.mandatory
				}
			}
			if d.component == 'Z' || d.component == 'z' {
				d.intFormat = analyseIntegerPicture(c, d.pres1)
			}
			spec = append(spec, d)
			start = pos + 1
		}
		pos++
	}
	addLiteral(picture[start:min(pos, len(picture))])
	return spec
}

const millisInDay = 86400000.0

func utcMillis(year, month int) float64 {
	return float64(time.Date(year, time.Month(month+1), 1, 0, 0, 0, 0, time.UTC).UnixMilli())
}

func utcDay(year, month, day int) float64 {
	return float64(time.Date(year, time.Month(month+1), day, 0, 0, 0, 0, time.UTC).UnixMilli())
}

// startOfFirstWeek is the start of the ISO week containing the 4th of the month (month 0-based).
func startOfFirstWeek(year, month int) float64 {
	jan1 := utcMillis(year, month)
	dow := int(time.UnixMilli(int64(jan1)).UTC().Weekday())
	if dow == 0 {
		dow = 7
	}
	if dow > 4 {
		return jan1 + float64(8-dow)*millisInDay
	}
	return jan1 - float64(dow-1)*millisInDay
}

func deltaWeeks(start, end float64) float64 { return (end-start)/(millisInDay*7) + 1 }

// dateFragment is getDateTimeFragment: a component's value (a number or a string) or nil.
func dateFragment(t time.Time, comp byte) any {
	y, mo, d := t.Year(), int(t.Month())-1, t.Day()
	switch comp {
	case 'Y':
		return float64(y)
	case 'M':
		return float64(mo + 1)
	case 'D':
		return float64(d)
	case 'd':
		return (utcDay(y, mo, d)-utcMillis(y, 0))/millisInDay + 1
	case 'F':
		wd := int(t.Weekday())
		if wd == 0 {
			wd = 7
		}
		return float64(wd)
	case 'W':
		today := utcDay(y, mo, d)
		week := deltaWeeks(startOfFirstWeek(y, 0), today)
		if week > 52 {
			if today >= startOfFirstWeek(y+1, 0) {
				week = 1
			}
		} else if week < 1 {
			week = deltaWeeks(startOfFirstWeek(y-1, 0), today)
		}
		return math.Floor(week)
	case 'w':
		today := utcDay(y, mo, d)
		week := deltaWeeks(startOfFirstWeek(y, mo), today)
		ny, nm := y, mo+1
		if mo == 11 {
			ny, nm = y+1, 0
		}
		py, pm := y, mo-1
		if mo == 0 {
			py, pm = y-1, 11
		}
		if week > 4 {
			if today >= startOfFirstWeek(ny, nm) {
				week = 1
			}
		} else if week < 1 {
			week = deltaWeeks(startOfFirstWeek(py, pm), today)
		}
		return math.Floor(week)
	case 'X':
		now := float64(t.UnixMilli())
		switch {
		case now < startOfFirstWeek(y, 0):
			return float64(y - 1)
		case now >= startOfFirstWeek(y+1, 0):
			return float64(y + 1)
		}
		return float64(y)
	case 'x':
		now := float64(t.UnixMilli())
		ny, nm := y, mo+1
		if mo == 11 {
			ny, nm = y+1, 0
		}
		switch {
		case now < startOfFirstWeek(y, mo):
			if mo == 0 {
				return 12.0
			}
			return float64(mo)
		case now >= startOfFirstWeek(ny, nm):
			return float64(nm + 1)
		}
		return float64(mo + 1)
	case 'H':
		return float64(t.Hour())
	case 'h':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return float64(h)
	case 'P':
		if t.Hour() >= 12 {
			return "pm"
		}
		return "am"
	case 'm':
		return float64(t.Minute())
	case 's':
		return float64(t.Second())
	case 'f':
		return float64(t.Nanosecond() / 1e6)
	case 'C', 'E':
		return "ISO"
	}
	return nil
}

// formatDateTime formats milliseconds since the epoch with a picture, at an offset given as
// hours and minutes (jsonata-js reads "+hhmm" with parseInt, so "-0530" is -6 h -30 min).
func formatDateTime(c *call, ms float64, picture string, offH, offM int) any {
	spec := analyseDateTimePicture(c, picture)
	// A JavaScript Date holds at most 8.64e15 ms either side of the epoch; beyond, or NaN, it is
	// an invalid date whose every field is NaN.
	invalid := math.IsNaN(ms) || math.Abs(ms) > 8.64e15
	if invalid {
		ms = 0
	}
	// A Date truncates its milliseconds toward zero.
	t := time.UnixMilli(int64(math.Trunc(ms))).UTC().Add(time.Duration(60*offH+offM) * time.Minute)
	var sb strings.Builder
	for _, d := range spec {
		if d.isLiteral {
			sb.WriteString(d.literal)
			continue
		}
		sb.WriteString(formatComponent(c, t, d, offH, offM, invalid))
	}
	return sb.String()
}

func formatComponent(c *call, t time.Time, d *dateMarker, offH, offM int, invalid bool) string {
	value := dateFragment(t, d.component)
	if _, isNum := value.(float64); isNum && invalid {
		value = math.NaN()
	}
	switch {
	case strings.IndexByte("YMDdFWwXxHhms", d.component) != -1:
		n, _ := value.(float64)
		if d.component == 'Y' && d.n != -1 {
			n = math.Mod(n, math.Pow(10, d.n))
		}
		if d.names != "" {
			var s string
			switch d.component {
			case 'M', 'x':
				if invalid {
					return "undefined" // jsonata-js indexes its month names with NaN
				}
				s = monthNames[int(n)-1]
			case 'F':
				if invalid {
					return "undefined"
				}
				s = dayNames[int(n)]
			default:
				throw("D3133", c.pos, c.name, errArgs{"value": d.compName})
			}
			if d.names == "upper" {
				s = strings.ToUpper(s)
			} else if d.names == "lower" {
				s = strings.ToLower(s)
			}
			if d.hasMax {
				s = clip(s, d.widthMax)
			}
			return s
		}
		return formatIntegerWith(c, n, d.intFormat)
	case d.component == 'f':
		if d.intFormat == nil { // [fN]: jsonata-js fails with a TypeError here
			throw("D3133", c.pos, c.name, errArgs{"value": d.compName})
		}
		n, _ := value.(float64)
		return formatIntegerWith(c, n, d.intFormat)
	case d.component == 'Z' || d.component == 'z':
		offset := offH*100 + offM
		var s string
		if d.intFormat.regular {
			s = formatIntegerWith(c, float64(offset), d.intFormat)
		} else {
			switch digits := d.intFormat.mandatory; {
			case digits == 1 || digits == 2:
				s = formatIntegerWith(c, float64(offH), d.intFormat)
				if offM != 0 {
					s += ":" + formatIntegerWith(c, float64(offM), analyseIntegerPicture(c, "00"))
				}
			case digits == 3 || digits == 4:
				s = formatIntegerWith(c, float64(offset), d.intFormat)
			default:
				throw("D3134", c.pos, c.name, errArgs{"value": float64(digits)})
			}
		}
		if offset >= 0 {
			s = "+" + s
		}
		if d.component == 'z' {
			s = "GMT" + s
		}
		if offset == 0 && d.pres2 == "t" {
			s = "Z"
		}
		return s
	case d.component == 'P':
		s, _ := value.(string)
		if d.names == "upper" {
			s = strings.ToUpper(s)
		}
		return s
	}
	if s, ok := value.(string); ok {
		return s
	}
	return "undefined"
}

// wordValues maps number words (lower case) to their values, in jsonata-js's order, which the
// words regex alternation follows.
var wordKeys, wordValues = func() ([]string, map[string]float64) {
	var keys []string
	vals := map[string]float64{}
	add := func(k string, v float64) {
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = v
	}
	for i, w := range fewWords {
		add(strings.ToLower(w), float64(i))
	}
	for i, w := range ordinalWords {
		add(strings.ToLower(w), float64(i))
	}
	for i, w := range decadeWords {
		lw := strings.ToLower(w)
		add(lw, float64((i+2)*10))
		add(lw[:len(lw)-1]+"ieth", float64((i+2)*10))
	}
	add("hundredth", 100)
	for i, w := range magnitudes {
		lw := strings.ToLower(w)
		v := math.Pow(10, float64((i+1)*3))
		add(lw, v)
		add(lw+"th", v)
	}
	return keys, vals
}()

var wordSplit = regexp.MustCompile(`,\s|\sand\s|[\s\\-]`)

func wordsToNumber(text string) float64 {
	segs := []float64{0}
	for _, part := range wordSplit.Split(text, -1) {
		v, ok := wordValues[part]
		if !ok {
			v = math.NaN()
		}
		if v < 100 {
			top := segs[len(segs)-1]
			segs = segs[:len(segs)-1]
			if top >= 1000 {
				segs = append(segs, top)
				top = 0
			}
			segs = append(segs, top+v)
		} else {
			segs[len(segs)-1] *= v
		}
	}
	sum := 0.0
	for _, x := range segs {
		sum += x
	}
	return sum
}

func romanToDecimal(roman string) float64 {
	values := map[rune]float64{'M': 1000, 'D': 500, 'C': 100, 'L': 50, 'X': 10, 'V': 5, 'I': 1}
	dec, mx := 0.0, 1.0
	rs := []rune(roman)
	for i := len(rs) - 1; i >= 0; i-- {
		v, ok := values[rs[i]]
		if !ok {
			return math.NaN()
		}
		if v < mx {
			dec -= v
		} else {
			mx = v
			dec += v
		}
	}
	return dec
}

func lettersToDecimal(letters string, a rune) float64 {
	dec := 0.0
	u := []rune(letters)
	for i := 0; i < len(u); i++ {
		dec += float64(u[len(u)-i-1]-a+1) * math.Pow(26, float64(i))
	}
	return dec
}

// jsParseInt is parseInt(s, 10): the leading integer, NaN if there is none.
func jsParseInt(s string) float64 {
	t := leadingSigned(strings.TrimLeft(s, " \t\n\r"))
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// integerMatcher is generateRegex for an integer picture: a regex and a parser for its match.
func integerMatcher(c *call, f *integerFormat) (string, func(string) any) {
	upper := f.letterCase == "upper"
	switch f.primary {
	case "letters":
		a, re := 'a', "[a-z]+"
		if upper {
			a, re = 'A', "[A-Z]+"
		}
		return re, func(v string) any { return lettersToDecimal(v, a) }
	case "roman":
		re := "[mdclxvi]+"
		if upper {
			re = "[MDCLXVI]+"
		}
		return re, func(v string) any {
			if !upper {
				v = strings.ToUpper(v)
			}
			return romanToDecimal(v)
		}
	case "words":
		return "(?:" + strings.Join(append(append([]string{}, wordKeys...), "and", `[\-, ]`), "|") + ")+",
			func(v string) any { return wordsToNumber(strings.ToLower(v)) }
	case "decimal":
		re := "[0-9]+"
		if f.parseWidth > 0 {
			re = "[0-9]{" + strconv.Itoa(f.parseWidth) + "}"
		}
		if f.ordinal {
			re += "(?:th|st|nd|rd)"
		}
		return re, func(v string) any {
			digits := v
			if f.ordinal {
				digits = digits[:max(0, len(digits)-2)]
			}
			if f.regular {
				digits = strings.ReplaceAll(digits, ",", "")
			} else {
				for _, sep := range f.separators {
					digits = strings.ReplaceAll(digits, sep.char, "")
				}
			}
			if f.zeroCode != '0' {
				rs := []rune(digits)
				for i, r := range rs {
					rs[i] = r - f.zeroCode + '0'
				}
				digits = string(rs)
			}
			return jsParseInt(digits)
		}
	}
	throw("D3130", c.pos, c.name, errArgs{"value": f.token})
	return "", nil
}

func parseInteger(c *call, value, picture string) any {
	_, parse := integerMatcher(c, analyseIntegerPicture(c, picture))
	return parse(value)
}

type datePart struct {
	regex     string
	component byte
	parse     func(string) any
}

// parseDateTime is $toMillis with a picture: the picture becomes a regex whose groups give the
// components; missing components are taken from the evaluation's timestamp (before the first
// given one) or their minimum (after it), as jsonata-js does.
func parseDateTime(ev *evaluator, c *call, timestamp, picture string) any {
	spec := analyseDateTimePicture(c, picture)
	var parts []datePart
	for _, d := range spec {
		var p datePart
		switch {
		case d.isLiteral:
			p.regex = regexp.QuoteMeta(d.literal)
		case d.component == 'Z' || d.component == 'z':
			var sep string
			if d.intFormat.regular {
				sep = d.intFormat.separators[0].char
			}
			if d.component == 'z' {
				p.regex = "GMT"
			}
			p.regex += "[-+][0-9]+"
			if sep != "" {
				p.regex += regexp.QuoteMeta(sep) + "[0-9]+"
			}
			z := d.component
			p.parse = func(v string) any {
				if z == 'z' {
					v = v[min(3, len(v)):]
				}
				var h, m float64
				if sep != "" {
					i := strings.Index(v, sep)
					h, m = jsParseInt(v[:i]), jsParseInt(v[i+len(sep):])
				} else if len(v)-1 <= 2 {
					h = jsParseInt(v)
				} else {
					h, m = jsParseInt(v[:3]), jsParseInt(v[3:])
				}
				return h*60 + m
			}
		case d.component == 'f':
			p.regex = "[0-9]+"
			p.parse = func(v string) any {
				f, _ := strconv.ParseFloat("0."+v[:min(3, len(v))], 64)
				return f * 1000
			}
		case d.intFormat != nil:
			p.regex, p.parse = integerMatcher(c, d.intFormat)
		default:
			p.regex = "[a-zA-Z]+"
			lookup := map[string]float64{}
			switch d.component {
			case 'M', 'x':
				for i, name := range monthNames {
					if d.hasMax && d.widthMax != 0 {
						name = clip(name, d.widthMax)
					}
					lookup[name] = float64(i + 1)
				}
			case 'F':
				for i, name := range dayNames[1:] {
					if d.hasMax && d.widthMax != 0 {
						name = clip(name, d.widthMax)
					}
					lookup[name] = float64(i + 1)
				}
			case 'P':
				lookup = map[string]float64{"am": 0, "AM": 0, "pm": 1, "PM": 1}
			default:
				throw("D3133", c.pos, c.name, errArgs{"value": d.compName})
			}
			p.parse = func(v string) any {
				if n, ok := lookup[v]; ok {
					return n
				}
				return undefined
			}
		}
		p.component = d.component
		parts = append(parts, p)
	}
	var full strings.Builder
	full.WriteString("(?i)^")
	for _, p := range parts {
		full.WriteString("(" + p.regex + ")")
	}
	full.WriteString("$")
	re, err := regexp.Compile(full.String())
	if err != nil {
		throw("D3136", c.pos, c.name, nil)
	}
	m := re.FindStringSubmatch(timestamp)
	if m == nil {
		return undefined
	}
	comps := map[byte]any{}
	for i := 1; i < len(m); i++ {
		if p := parts[i-1]; p.parse != nil {
			comps[p.component] = p.parse(m[i])
		}
	}
	if len(comps) == 0 {
		return undefined
	}
	get := func(k byte) any {
		if v, ok := comps[k]; ok {
			return v
		}
		return undefined
	}
	mask := 0
	shift := func(k byte) {
		mask <<= 1
		if jsTruthy(get(k)) {
			mask++
		}
	}
	isType := func(t int) bool { return ^t&mask == 0 && t&mask != 0 }
	for _, k := range []byte("YXMxWwdD") {
		shift(k)
	}
	dateA := isType(161)
	dateB := !dateA && isType(130)
	dateC := isType(84)
	dateD := !dateC && isType(72)
	mask = 0
	for _, k := range []byte("PHhmsf") {
		shift(k)
	}
	timeA := isType(23)
	timeB := !timeA && isType(47)
	dateComps := "YMD"
	switch {
	case dateB:
		dateComps = "YD"
	case dateC:
		dateComps = "XxwF"
	case dateD:
		dateComps = "XWF"
	}
	timeComps := "Hmsf"
	if timeB {
		timeComps = "Phmsf"
	}
	now := ev.timestamp().UTC()
	startSpecified, endSpecified := false, false
	for _, k := range []byte(dateComps + timeComps) {
		if get(k) == undefined {
			if startSpecified {
				if strings.IndexByte("MDd", k) != -1 {
					comps[k] = 1.0
				} else {
					comps[k] = 0.0
				}
				endSpecified = true
			} else {
				comps[k] = dateFragment(now, k)
			}
		} else {
			startSpecified = true
			if endSpecified {
				throw("D3136", c.pos, c.name, nil)
			}
		}
	}
	num := func(k byte) float64 {
		f, ok := toNumber(get(k))
		if !ok {
			return math.NaN()
		}
		return f
	}
	if num('M') > 0 {
		comps['M'] = num('M') - 1
	} else {
		comps['M'] = 0.0
	}
	if dateB {
		first := dateUTC(num('Y'), 0, 1, 0, 0, 0, 0)
		derived := time.UnixMilli(int64(first + (num('d')-1)*millisInDay)).UTC()
		comps['M'] = float64(int(derived.Month()) - 1)
		comps['D'] = float64(derived.Day())
	}
	if dateC || dateD {
		throw("D3136", c.pos, c.name, nil)
	}
	if timeB {
		h := num('h')
		if h == 12 {
			h = 0
		}
		if num('P') == 1 {
			h += 12
		}
		comps['H'] = h
	}
	millis := dateUTC(num('Y'), num('M'), num('D'), num('H'), num('m'), num('s'), num('f'))
	if z := get('Z'); jsTruthy(z) {
		f, _ := toNumber(z)
		millis -= f * 60 * 1000
	} else if z := get('z'); jsTruthy(z) {
		f, _ := toNumber(z)
		millis -= f * 60 * 1000
	}
	return millis
}

// dateUTC is Date.UTC: fields may overflow into the next unit; a year 0-99 means 1900-1999.
func dateUTC(y, mo, d, h, mi, s, ms float64) float64 {
	for _, f := range []float64{y, mo, d, h, mi, s, ms} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return math.NaN()
		}
	}
	y, mo, d, h, mi, s, ms = math.Trunc(y), math.Trunc(mo), math.Trunc(d), math.Trunc(h), math.Trunc(mi), math.Trunc(s), math.Trunc(ms)
	if y >= 0 && y <= 99 {
		y += 1900
	}
	if math.Abs(y) > 400000 {
		return math.NaN()
	}
	ym := y + math.Floor(mo/12)
	mn := math.Mod(mo, 12)
	if mn < 0 {
		mn += 12
	}
	day := float64(time.Date(int(ym), time.Month(int(mn)+1), 1, 0, 0, 0, 0, time.UTC).Unix()) / 86400
	t := (day+d-1)*millisInDay + h*3600000 + mi*60000 + s*1000 + ms
	if math.Abs(t) > 8.64e15 {
		return math.NaN()
	}
	return t
}
