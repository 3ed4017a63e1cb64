package metadata

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
)

// withFill puts n 0xFF fill bytes (T.81 B.1.1.2) before the marker that ends
// each scan: the next scan's tables and header, and EOI.
func withFill(t testing.TB, src []byte, n int) []byte {
	t.Helper()
	var at []int64
	rd := jpeg.NewReader(bytes.NewReader(src))
	inScan := false
	for {
		part, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case part.Kind == jpeg.KindECS:
			inScan = true
		case inScan:
			at = append(at, part.Offset)
			inScan = false
		}
	}
	var out []byte
	prev := int64(0)
	for _, off := range at {
		out = append(out, src[prev:off]...)
		out = append(out, bytes.Repeat([]byte{0xFF}, n)...)
		prev = off
	}
	return append(out, src[prev:]...)
}

// TestLongFillRuns: libjpeg decodes files with any number of fill bytes
// before a marker without a warning; runs longer than the parser's buffer
// after a scan were refused as corrupt. Now they strip, verify and decode to
// the source's pixels, and an oriented one rotates as jpegtran -perfect does.
func TestLongFillRuns(t *testing.T) {
	needJPEGTools(t)
	for _, progressive := range []bool{false, true} {
		for _, o := range []int{1, 6} {
			name := fmt.Sprintf("prog%v_o%d", progressive, o)
			src := withFill(t, orientedJPEG(t, 48, 32, "2x2", false, progressive, o), 200_000)
			if _, err := tool(src, "djpeg", "-strict", "-pnm"); err != nil {
				t.Fatalf("%s: djpeg -strict refuses the fixture: %v", name, err)
			}
			checkOriented(t, name, src, o)
			out := stripDecodes(t, name, src)
			if o == 1 && !bytes.Equal(mustTool(t, src, "djpeg", "-pnm"), mustTool(t, out, "djpeg", "-pnm")) {
				t.Errorf("%s: pixels differ", name)
			}
		}
	}
}
