package jsonata

// formatDateTime and parseDateTime implement XPath picture strings. This first version knows only
// the ISO 8601 default picture and refuses others with D3150.
func formatDateTime(c *call, ms float64, picture string, offH, offM int) any {
	if picture != "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]" {
		throw("D3150", c.pos, c.name, errArgs{"value": picture})
	}
	t := unixMilliUTC(ms).Add(offsetDuration(offH, offM))
	s := t.Format("2006-01-02T15:04:05.000")
	if offH == 0 && offM == 0 {
		return s + "Z"
	}
	return s + formatOffset(offH, offM)
}

func parseDateTime(c *call, s, picture string) any {
	throw("D3150", c.pos, c.name, errArgs{"value": picture})
	return nil
}
