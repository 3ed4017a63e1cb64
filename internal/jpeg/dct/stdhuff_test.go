package dct

import (
	"bytes"
	"errors"
	"testing"
)

// withoutDHT returns src without its DHT segments, as Motion-JPEG frames
// (AVI1, IP camera snapshots) are stored: decoders then use T.81 K.3's
// tables. src's header segments must precede its first scan, as cjpeg
// writes them.
func withoutDHT(t testing.TB, src []byte) []byte {
	t.Helper()
	out := append([]byte{}, src[:2]...)
	pos := 2
	for {
		if pos+4 > len(src) || src[pos] != 0xFF {
			t.Fatalf("no marker at offset %d", pos)
		}
		m := src[pos+1]
		if m == mSOS {
			return append(out, src[pos:]...)
		}
		n := int(src[pos+2])<<8 | int(src[pos+3])
		if m != mDHT {
			out = append(out, src[pos:pos+2+n]...)
		}
		pos += 2 + n
	}
}

// TestDefaultHuffmanTables: a sequential file without DHT segments decodes
// with the K.3 tables, as libjpeg-turbo decodes it. cjpeg codes with those
// very tables (without -optimize), so the file without them must decode to
// the same coefficients, and djpeg must agree that it is the same picture.
func TestDefaultHuffmanTables(t *testing.T) {
	needTools(t)
	for _, f := range []fixture{{"2x2", false, false, 64, 48}, {"1x1", true, false, 61, 43}, {"gray", false, false, 64, 43}, {"2x1", true, false, 64, 48}} {
		t.Run(f.String(), func(t *testing.T) {
			src := f.build(t)
			bare := withoutDHT(t, src)
			if len(bare) >= len(src) {
				t.Fatal("fixture has no DHT segment")
			}
			if want, got := run(t, src, "djpeg", "-pnm"), run(t, bare, "djpeg", "-pnm"); !bytes.Equal(want, got) {
				t.Fatal("djpeg: the file without DHT is another picture; the fixture is not coded with the K.3 tables")
			}
			want, err := Decode(src, Limits{})
			if err != nil {
				t.Fatalf("Decode with DHT: %v", err)
			}
			defer want.Release()
			got, err := Decode(bare, Limits{})
			if err != nil {
				t.Fatalf("Decode without DHT: %v", err)
			}
			defer got.Release()
			if err := Equal(want, got); err != nil {
				t.Fatal(err)
			}
			if err := Check(bare, Limits{}); err != nil {
				t.Fatalf("Check without DHT: %v", err)
			}
			if err := Compare(bare, want, Limits{}); err != nil {
				t.Fatalf("Compare without DHT: %v", err)
			}
		})
	}
}

// TestDefaultHuffmanTablesOnlyZeroAndOne: K.3 defines tables for ids 0 and
// 1 only; a scan naming an undefined table 2 is still refused (libjpeg:
// JERR_NO_HUFF_TABLE).
func TestDefaultHuffmanTablesOnlyZeroAndOne(t *testing.T) {
	needTools(t)
	bare := withoutDHT(t, fixture{"gray", false, false, 16, 16}.build(t))
	sos := markerAt(t, bare, mSOS)
	bare[sos+6] = 0x22 // the component's DC and AC table selectors: 2 and 2
	var fe *FormatError
	if _, err := Decode(bare, Limits{}); !errors.As(err, &fe) {
		t.Fatalf("Decode: %v, want *FormatError", err)
	}
}
