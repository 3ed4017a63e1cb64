package dct

import (
	"math/bits"
	"math/rand/v2"
	"testing"
)

// The reference encoder: the two passes the package encoded with before
// symbolize, one counting symbols and one coding them again from the
// coefficients, through a bit writer behind a pointer. AppendEncode
// must write exactly its bytes (TestEncodeMatchesReference,
// FuzzDecode).

func refAppendEncode(t testing.TB, img *Image) []byte {
	scans := planScans(img)
	buf := appendFrameHeader(nil, img, nil)
	for _, comps := range scans {
		ntab := 1
		if len(comps) > 1 {
			ntab = 2
		}
		table := make([]int, len(comps))
		for i := range comps {
			table[i] = min(i, 1)
		}
		dcFreq := make([][256]int64, ntab)
		acFreq := make([][256]int64, ntab)
		refWalkScan(img, comps, func(slot int, blk []int16, pred *int32) {
			if err := refCountBlock(blk, pred, &dcFreq[table[slot]], &acFreq[table[slot]]); err != nil {
				t.Fatalf("reference encoder: %v", err)
			}
		})
		var dcSpec, acSpec []huffSpec
		n := 0
		for t := 0; t < ntab; t++ {
			dcSpec = append(dcSpec, optimalTable(&dcFreq[t]))
			acSpec = append(acSpec, optimalTable(&acFreq[t]))
			n += 17 + len(dcSpec[t].vals) + 17 + len(acSpec[t].vals)
		}
		buf = appendMarker(buf, mDHT, n)
		for t := range dcSpec {
			buf = appendHuffSpec(buf, 0<<4|t, &dcSpec[t])
			buf = appendHuffSpec(buf, 1<<4|t, &acSpec[t])
		}
		buf = appendMarker(buf, mSOS, 4+2*len(comps))
		buf = append(buf, byte(len(comps)))
		for i, ci := range comps {
			buf = append(buf, img.Components[ci].ID, byte(table[i]<<4|table[i]))
		}
		buf = append(buf, 0, 63, 0)
		dc := make([]*huffEncoder, ntab)
		ac := make([]*huffEncoder, ntab)
		for t := range dcSpec {
			dc[t], ac[t] = dcSpec[t].encoder(), acSpec[t].encoder()
		}
		bw := bitWriter{buf: buf}
		refWalkScan(img, comps, func(slot int, blk []int16, pred *int32) {
			bw.block(blk, pred, dc[table[slot]], ac[table[slot]])
		})
		buf = bw.finish()
	}
	return append(buf, 0xFF, mEOI)
}

// refWalkScan is walkScan, which the reference shares: the order of the
// blocks is not what it checks.
func refWalkScan(img *Image, comps []int, fn func(slot int, blk []int16, pred *int32)) {
	_ = walkScan(img, comps, func(slot int, blk *[64]int16, pred *int32) error {
		if blk == nil {
			fn(slot, nil, pred)
		} else {
			fn(slot, blk[:], pred)
		}
		return nil
	})
}

func refCountBlock(blk []int16, pred *int32, dcFreq, acFreq *[256]int64) error {
	if blk == nil {
		dcFreq[0]++
		acFreq[0]++
		return nil
	}
	diff := int32(blk[0]) - *pred
	*pred = int32(blk[0])
	s := magnitude(diff)
	if s > 11 {
		return errTooLarge
	}
	dcFreq[s]++
	last := 0
	for m := nonzero((*[64]int16)(blk)); m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		r := k - last - 1
		last = k
		for ; r > 15; r -= 16 {
			acFreq[0xF0]++
		}
		s := magnitude(int32(blk[k]))
		if s > 10 {
			return errTooLarge
		}
		acFreq[r<<4|int(s)]++
	}
	if last < 63 {
		acFreq[0]++
	}
	return nil
}

// huffEncoder holds the code of each symbol of one Huffman table.
type huffEncoder struct {
	code [256]uint16
	size [256]uint8 // 0 for a symbol without a code
}

// encoder returns the canonical codes of a table (T.81 C.2).
func (s *huffSpec) encoder() *huffEncoder {
	e := &huffEncoder{}
	code, k := uint16(0), 0
	for l := 1; l <= 16; l++ {
		for n := 0; n < int(s.counts[l-1]); n++ {
			e.code[s.vals[k]] = code
			e.size[s.vals[k]] = uint8(l)
			code++
			k++
		}
		code <<= 1
	}
	return e
}

type bitWriter struct {
	buf []byte
	acc uint64
	n   uint
}

func (w *bitWriter) put(code uint32, size uint) {
	w.acc = w.acc<<size | uint64(code)
	w.n += size
	for w.n >= 8 {
		b := byte(w.acc >> (w.n - 8))
		w.buf = append(w.buf, b)
		if b == 0xFF {
			w.buf = append(w.buf, 0)
		}
		w.n -= 8
	}
}

func (w *bitWriter) finish() []byte {
	if pad := (8 - w.n%8) % 8; pad > 0 {
		w.put(1<<pad-1, pad)
	}
	return w.buf
}

func (w *bitWriter) block(blk []int16, pred *int32, dc, ac *huffEncoder) {
	if blk == nil {
		w.put(uint32(dc.code[0]), uint(dc.size[0]))
		w.put(uint32(ac.code[0]), uint(ac.size[0]))
		return
	}
	diff := int32(blk[0]) - *pred
	*pred = int32(blk[0])
	s := magnitude(diff)
	w.put(uint32(dc.code[s])<<s|extra(diff, s), uint(dc.size[s])+s)
	last := 0
	for m := nonzero((*[64]int16)(blk)); m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		r := k - last - 1
		last = k
		for ; r > 15; r -= 16 {
			w.put(uint32(ac.code[0xF0]), uint(ac.size[0xF0]))
		}
		v := int32(blk[k])
		s := magnitude(v)
		sym := r<<4 | int(s)
		w.put(uint32(ac.code[sym])<<s|extra(v, s), uint(ac.size[sym])+s)
	}
	if last < 63 {
		w.put(uint32(ac.code[0]), uint(ac.size[0]))
	}
}

// TestNonzero: nonzero marks exactly the AC coefficients that are not
// zero, whatever their values (the extremes included) and positions.
func TestNonzero(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	values := []int16{0, 1, -1, 2, 255, -256, 1023, -1024, 32767, -32768, 0x100, -0x100}
	for i := range 2000 {
		var blk [64]int16
		for k := range blk {
			if rng.IntN(64) < i%64 {
				blk[k] = values[rng.IntN(len(values))]
			}
		}
		var want uint64
		for k := 1; k < 64; k++ {
			if blk[k] != 0 {
				want |= 1 << k
			}
		}
		if got := nonzero(&blk); got != want {
			t.Fatalf("nonzero(%v) = %064b, want %064b", blk, got, want)
		}
	}
}

// TestEncodeCoefficientRange: AC coefficients of magnitude up to 1023 encode
// and decode back, in blocks where every coefficient codes (symbolizeDense)
// and in sparse ones; one of 1024 or -1024 is refused with errTooLarge.
func TestEncodeCoefficientRange(t *testing.T) {
	for _, dense := range []bool{true, false} {
		for _, v := range []int16{1023, -1023, 1024, -1024} {
			img := &Image{Width: 8, Height: 8, Components: []Component{{ID: 1, H: 1, V: 1}}}
			img.Components[0].Quant[0] = 1
			img.layout()
			blk := img.Components[0].Block(0, 0)
			for k := 1; k < 64 && dense; k++ {
				blk[k] = int16(k%5) - 2 | 1 // odd: never zero
			}
			blk[40] = v
			out, err := AppendEncode(nil, img)
			if v == 1024 || v == -1024 {
				if err != errTooLarge {
					t.Errorf("dense %v, %d: %v, want %v", dense, v, err, errTooLarge)
				}
				continue
			}
			if err != nil {
				t.Fatalf("dense %v, %d: %v", dense, v, err)
			}
			back, err := Decode(out, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if err := Equal(img, back); err != nil {
				t.Errorf("dense %v, %d: %v", dense, v, err)
			}
		}
	}
}
