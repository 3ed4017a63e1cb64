package sanitize

import "strings"

// CompareSequencers orders two S3 event sequencers for the same key: -1 when a is
// earlier, 0 when equal, +1 when later. Sequencers are hexadecimal strings of varying
// length; S3 says to right-pad the shorter with zeros and compare as strings. Case is
// ignored (S3 sends upper case).
func CompareSequencers(a, b string) int {
	a, b = strings.ToUpper(a), strings.ToUpper(b)
	for len(a) < len(b) {
		a += "0"
	}
	for len(b) < len(a) {
		b += "0"
	}
	return strings.Compare(a, b)
}
