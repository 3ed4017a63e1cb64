package dct

import (
	"bytes"
	"errors"
	"testing"
)

// markerAt returns the offset of the first marker m in a fixture's header
// segments or restart markers.
func markerAt(t *testing.T, b []byte, m byte) int {
	t.Helper()
	i := bytes.Index(b, []byte{0xFF, m})
	if i < 0 {
		t.Fatalf("fixture has no marker 0x%02X", m)
	}
	return i
}

func TestDecodeRefuses(t *testing.T) {
	needTools(t)
	base := fixture{"2x2", true, false, 64, 48}.build(t)
	patched := func(f func(b []byte) []byte) []byte {
		return f(bytes.Clone(base))
	}
	sof := markerAt(t, base, mSOF0)
	tests := []struct {
		name string
		data []byte
		want any
	}{
		{"arithmetic", patched(func(b []byte) []byte { b[sof+1] = 0xC9; return b }), new(*UnsupportedError)},
		{"lossless", patched(func(b []byte) []byte { b[sof+1] = 0xC3; return b }), new(*UnsupportedError)},
		{"12-bit", patched(func(b []byte) []byte { b[sof+4] = 12; return b }), new(*UnsupportedError)},
		{"DNL height", patched(func(b []byte) []byte { b[sof+5], b[sof+6] = 0, 0; return b }), new(*UnsupportedError)},
		{"no EOI", base[:len(base)-2], new(*FormatError)},
		{"truncated scan", append(bytes.Clone(base[:len(base)*2/3]), 0xFF, mEOI), new(*FormatError)},
		{"restart out of sequence", patched(func(b []byte) []byte {
			i := markerAt(t, b, mRST0+1)
			b[i+1] = mRST0 + 5
			return b
		}), new(*FormatError)},
		{"DRI length 1", patched(func(b []byte) []byte {
			i := markerAt(t, b, mDRI)
			return append(b[:i:i], append([]byte{0xFF, mDRI, 0, 3, 0}, b[i+6:]...)...)
		}), new(*FormatError)},
		{"not a JPEG", []byte("GIF89a"), new(*FormatError)},
		{"empty", nil, new(*FormatError)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.data, Limits{})
			if err == nil {
				t.Fatal("Decode accepted it")
			}
			if !errors.As(err, tc.want) {
				t.Fatalf("error %T (%v), want %T", err, err, tc.want)
			}
		})
	}
	if _, err := Decode(base, Limits{MaxPixels: 64*48 - 1}); !errors.As(err, new(*LimitError)) {
		t.Fatalf("pixel limit: got %v", err)
	}
	// The coefficient memory bound: exactly what the frame needs passes, a byte
	// less is refused before allocating; Check keeps no coefficients.
	img, err := Decode(base, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	need := img.coefficientBytes()
	img.Release()
	if img, err := Decode(base, Limits{MaxCoefficientBytes: need}); err != nil {
		t.Fatalf("coefficient bound of exactly %d bytes: %v", need, err)
	} else {
		img.Release()
	}
	if _, err := Decode(base, Limits{MaxCoefficientBytes: need - 1}); !errors.As(err, new(*LimitError)) {
		t.Fatalf("coefficient bound of %d bytes for %d: got %v", need-1, need, err)
	}
	if err := Check(base, Limits{MaxCoefficientBytes: 1}); err != nil {
		t.Fatalf("Check with a coefficient bound: %v", err)
	}
	// A frame that claims far more blocks than the file has bits is refused
	// before its coefficients are allocated.
	bomb := patched(func(b []byte) []byte { b[sof+5], b[sof+7] = 0x40, 0x40; return b }) // 16448 x 16448
	if _, err := Decode(bomb, Limits{}); !errors.As(err, new(*LimitError)) {
		t.Fatalf("bomb: got %v", err)
	}
}

func TestNotPerfect(t *testing.T) {
	needTools(t)
	img, err := Decode(fixture{"2x2", false, false, 61, 48}.build(t), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	// 61 is not whole 16-pixel MCUs: mirroring the width is refused,
	// mirroring the height (48) is not.
	for tr, ok := range map[Transform]bool{FlipH: false, Rotate270: false, Rotate180: false, Transverse: false,
		FlipV: true, Rotate90: true, Transpose: true} {
		_, err := img.Transform(tr)
		var npe *NotPerfectError
		switch {
		case ok && err != nil:
			t.Errorf("%s: %v", tr, err)
		case !ok && !errors.As(err, &npe):
			t.Errorf("%s: got %v, want *NotPerfectError", tr, err)
		case !ok && (npe.MCUWidth != 16 || npe.MCUHeight != 16 || npe.Width != 61):
			t.Errorf("%s: %+v", tr, npe)
		}
	}
}

func TestFromOrientation(t *testing.T) {
	want := []Transform{Identity, FlipH, Rotate180, FlipV, Transpose, Rotate90, Transverse, Rotate270}
	for o := 1; o <= 8; o++ {
		if got, ok := FromOrientation(o); !ok || got != want[o-1] {
			t.Errorf("Orientation %d: got %s, want %s", o, got, want[o-1])
		}
	}
	for _, o := range []int{0, 9, -1, 65535} {
		if _, ok := FromOrientation(o); ok {
			t.Errorf("Orientation %d accepted", o)
		}
	}
}

// TestSixteenBitQuant: a quantisation table with entries above 255 is
// written with 16-bit precision in an extended sequential (SOF1) frame,
// which libjpeg decodes and Decode reads back unchanged.
func TestSixteenBitQuant(t *testing.T) {
	needTools(t)
	img, err := Decode(fixture{"2x2", false, false, 32, 16}.build(t), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	img.Components[0].Quant[63] = 300
	out := encode(t, img)
	if !bytes.Contains(out, []byte{0xFF, mSOF1}) || bytes.Contains(out, []byte{0xFF, mSOF0}) {
		t.Error("want an SOF1 frame and no SOF0")
	}
	back, err := Decode(out, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Equal(img, back); err != nil {
		t.Error(err)
	}
	if _, err := runErr(out, "djpeg", "-strict", "-pnm"); err != nil {
		t.Error(err)
	}
}
