package dct

import (
	"math/bits"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The refinement scans (T.81 G.1.2.3) decode most codes in refineSkip
// (Check) and refineCommon (Decode) and leave the others to acRefine's
// general loop: codes longer than lutBits, runs of ends of band, ZRLs, runs
// that stop more than 8 coefficients on, the last bytes of an interval.
// These tests make files that take each of those paths many times.

// refineScripts are jpegtran -scans scripts for three components (gray
// files use component 0's lines): each AC band is refined several times.
var refineScripts = map[string]string{
	// Three refinement levels over the whole band: each with many new
	// coefficients and correction bits, and long runs at low quality.
	"deep": `0,1,2: 0-0, 0, 0;
0: 1-63, 0, 3;
1: 1-63, 0, 2;
2: 1-63, 0, 2;
0: 1-63, 3, 2;
0: 1-63, 2, 1;
1: 1-63, 2, 1;
2: 1-63, 2, 1;
0: 1-63, 1, 0;
1: 1-63, 1, 0;
2: 1-63, 1, 0;
`,
	// Narrow bands: a run's 8 coefficients cross the end of the band, and
	// runs of ends of band cover many blocks.
	"narrow": `0,1,2: 0-0, 0, 1;
0: 1-2, 0, 2;
0: 3-9, 0, 2;
0: 10-63, 0, 2;
1: 1-63, 0, 1;
2: 1-1, 0, 1;
2: 2-63, 0, 1;
0,1,2: 0-0, 1, 0;
0: 1-2, 2, 1;
0: 3-9, 2, 1;
0: 10-63, 2, 1;
0: 1-2, 1, 0;
0: 3-9, 1, 0;
0: 10-63, 1, 0;
1: 1-63, 1, 0;
2: 1-1, 1, 0;
2: 2-63, 1, 0;
`,
}

// refinementFiles returns progressive files whose refinement scans take
// every path: noisy (dense: correction bits, runs stopping past 8
// coefficients) and flat (sparse: long runs and runs of ends of band), with
// restart intervals of 1 and 5 MCUs (runs of ends of band cut at their
// boundaries) and without. It needs cjpeg and jpegtran.
func refinementFiles(t testing.TB) map[string][]byte {
	files := map[string][]byte{}
	dir := t.TempDir()
	for name, script := range refineScripts {
		path := filepath.Join(dir, name+".txt")
		if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"100", "30"} {
			for _, rst := range []string{"0", "1", "5"} {
				src := run(t, testPPM(72, 40, 3), "cjpeg", "-quality", q, "-sample", "1x1")
				files[name+"_q"+q+"_rst"+rst] = run(t, src, "jpegtran", "-scans", path, "-restart", rst)
			}
		}
	}
	return files
}

// TestRefinement: Decode and Check agree with the reference decoder on the
// refinement files (each must decode), and Check finds the same non-zero
// coefficients as Decode after every scan: it skips the correction bits by
// counting them, so a miscount shows here, not only at the end of the data.
func TestRefinement(t *testing.T) {
	needTools(t)
	for name, src := range refinementFiles(t) {
		if _, err := agree(t, name, src, Limits{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		decodeNZ, checkNZ := scanNonZero(t, src, false), scanNonZero(t, src, true)
		if len(decodeNZ) < 10 {
			t.Fatalf("%s: %d scans", name, len(decodeNZ))
		}
		for i := range decodeNZ {
			if !reflect.DeepEqual(decodeNZ[i], checkNZ[i]) {
				t.Fatalf("%s: after scan %d, Check's non-zero coefficients differ from Decode's", name, i)
			}
		}
	}
}

// scanNonZero decodes src (with Check's decoder when check is set) and
// returns a copy of the decoder's non-zero coefficient bitmaps after each
// scan.
func scanNonZero(t *testing.T, src []byte, check bool) [][][]uint64 {
	var out [][][]uint64
	d := &decoder{noCoef: check}
	d.refScan = func(d *decoder, sc []scanComp, kind, ss, se, ah, al int) error {
		err := d.decodeScan(sc, kind, ss, se, al)
		var nz [][]uint64
		for _, c := range d.nz {
			nz = append(nz, append([]uint64(nil), c...))
		}
		out = append(out, nz)
		return err
	}
	if _, err := d.decode(src, Limits{}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNthZeroIn checks every row of nthBits against a loop that skips run
// set bits, as acRefine's general path does.
func TestNthZeroIn(t *testing.T) {
	for v := uint64(0); v < 256; v++ {
		for run := uint(0); run < 16; run++ {
			z := v
			for i := run; i > 0 && z != 0; i-- {
				z &= z - 1
			}
			want := uint(8)
			if z != 0 {
				want = uint(bits.TrailingZeros64(z))
			}
			// The bits above the first 8 are not looked at.
			if got := nthZeroIn(v|0xFF00, run); got != want {
				t.Fatalf("nthZeroIn(%08b, %d) = %d, want %d", v, run, got, want)
			}
		}
	}
}

// TestRefineLongestCodes: refineSkip and refineCommon keep their bits
// filled for codes that take the most bits the loops allow, 17: a 9-bit code
// for a run of 0 and a new coefficient, its sign bit and 7 correction bits
// (for the non-zero coefficients the run passes, 7 of every 8). Each band
// of 63 coefficients then takes 8 codes, 136 bits, read from one fill of
// at least 56 bits after another.
func TestRefineLongestCodes(t *testing.T) {
	var counts [16]byte
	counts[8] = 16 // 9-bit codes; symbol 0x01 has code 000000000
	vals := make([]byte, 16)
	for i := range vals {
		vals[i] = byte(i<<4 | 1)
	}
	h, err := newHuffDecoder(counts, vals, true)
	if err != nil {
		t.Fatal(err)
	}
	// Coefficients 1-6, 8-14, ... are non-zero: 7, 15, ..., 63 are the
	// zeros a run of 0 stops at, passing 7 (6 for the first).
	var notZero uint64 = 1 // position 0 is not in the band 1-63
	for i := 0; i < 64; i++ {
		if i%8 != 7 {
			notZero |= 1 << i
		}
	}
	// Each code: 000000000, sign 1 (positive), correction bits 1010101
	// (1010101 less the last for the first: it passes 6). No 0xFF byte:
	// nothing stuffed.
	var w bitWriter
	for i := 0; i < 8; i++ {
		w.put(0, 9)
		w.put(1, 1)
		if i == 0 {
			w.put(0b101010, 6)
		} else {
			w.put(0b1010101, 7)
		}
	}
	w.put(0xA5C3, 16)                               // what follows: the next bits in acc
	data := append(w.finish(), make([]byte, 16)...) // the loops leave when a fill has not 8 bytes
	const used = 8*17 - 1

	acc, n, pos, nz, k := refineSkip(&h.fast, data, 0, 0, 0, notZero, 1)
	if k != 64 || nz != ^uint64(0) || pos*8-int(n) != used || n < 16 || n > 64 || acc>>48 != 0xA5C3 {
		t.Errorf("refineSkip: k %d, non-zero %016x, %d bits read, %d left (%04x), want 64, all, %d, the next 16 (a5c3)",
			k, nz, pos*8-int(n), n, acc>>48, used)
	}

	var blk [64]int16
	for i := 1; i < 64; i++ {
		if notZero>>i&1 != 0 {
			blk[i] = -2
		}
	}
	acc, n, pos, nz, k = refineCommon(&blk, &h.fast, data, 0, 0, 0, notZero, 1, 0)
	if k != 64 || nz != ^uint64(0) || pos*8-int(n) != used || n < 16 || n > 64 || acc>>48 != 0xA5C3 {
		t.Errorf("refineCommon: k %d, non-zero %016x, %d bits read, %d left (%04x), want 64, all, %d, the next 16 (a5c3)",
			k, nz, pos*8-int(n), n, acc>>48, used)
	}
	for i := 1; i < 64; i++ {
		// The correction bits go to the coefficients in order: 1, 0, 1,
		// ... in each group of 7 from its first (group 0 starts at 1
		// with the second bit).
		want := int16(-2)
		switch g, j := i/8, i%8; {
		case j == 7:
			want = 1
		case g == 0 && j%2 == 0, g > 0 && j%2 == 1:
			want = -2
		default:
			want = -3
		}
		if blk[i] != want {
			t.Fatalf("refineCommon: coefficient %d is %d, want %d", i, blk[i], want)
		}
	}
}
