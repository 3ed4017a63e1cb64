package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"time"
)

func defineDateTime() {
	define("now", "<s?s?:s>", 2, func(ev *evaluator, c *call, a []any) any {
		ms := float64(ev.timestamp().UnixMilli())
		return ev.fromMillis(c, ms, argAt(a, 0), argAt(a, 1))
	})
	define("millis", "<:n>", 0, func(ev *evaluator, c *call, a []any) any {
		return float64(ev.timestamp().UnixMilli())
	})
	define("fromMillis", "<n-s?s?:s>", 3, func(ev *evaluator, c *call, a []any) any {
		ms, ok := toNumber(a[0])
		if !ok {
			return undefined
		}
		return ev.fromMillis(c, ms, argAt(a, 1), argAt(a, 2))
	})
	define("formatInteger", "<n-s:s>", 2, func(ev *evaluator, c *call, a []any) any {
		v, ok := toNumber(a[0])
		if !ok {
			return undefined
		}
		return formatIntegerWith(c, math.Floor(v), analyseIntegerPicture(c, strArg(a, 1)))
	})
	define("parseInteger", "<s-s:n>", 2, func(ev *evaluator, c *call, a []any) any {
		s, ok := a[0].(string)
		if !ok {
			return undefined
		}
		return parseInteger(c, s, strArg(a, 1))
	})
	define("toMillis", "<s-s?:n>", 2, func(ev *evaluator, c *call, a []any) any {
		s, ok := a[0].(string)
		if !ok {
			return undefined
		}
		if pic, ok := argAt(a, 1).(string); ok {
			return parseDateTime(ev, c, s, pic)
		}
		if !iso8601.MatchString(s) {
			throw("D3110", c.pos, c.name, errArgs{"value": s})
		}
		return parseISO(s)
	})
}

const isoPicture = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"

var iso8601 = regexp.MustCompile(`^\d{4}(-[01]\d)?(-[0-3]\d)?(T[0-2]\d:[0-5]\d:[0-5]\d)?(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$`)

// parseISO is Date.parse for the forms iso8601 admits; a form Date.parse rejects is NaN. Dates
// without an offset are taken as UTC (Node's local time zone on the AWS side is UTC).
func parseISO(s string) float64 {
	layouts := []string{
		"2006", "2006-01", "2006-01-02",
		"2006-01-02T15:04:05", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05Z0700",
		"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z0700",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return float64(t.UnixMilli())
		}
	}
	return math.NaN()
}

// fromMillis formats milliseconds since the epoch; without a picture, in ISO 8601 with
// millisecond precision, as jsonata-js does.
func (ev *evaluator) fromMillis(c *call, ms float64, picture, tz any) any {
	offH, offM := 0, 0
	if z, ok := tz.(string); ok {
		off, err := strconv.Atoi(leadingSigned(z))
		if err != nil {
			ms = math.NaN() // parseInt gave NaN: jsonata-js formats an invalid Date
		}
		offH = floorDiv(off, 100)
		offM = off % 100
	}
	if pic, ok := picture.(string); ok {
		return formatDateTime(c, ms, pic, offH, offM)
	}
	return formatDateTime(c, ms, isoPicture, offH, offM)
}

// leadingSigned is the prefix parseInt reads: an optional sign and digits.
func leadingSigned(s string) string {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	j := i
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return s[i:j]
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
