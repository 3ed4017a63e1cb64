package dct

import (
	"math/rand/v2"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// stepTables returns AC tables whose codes the multi-code tables meet: the
// T.81 K.3 ones, with long codes, and optimised ones from random symbol
// counts, with short codes, large magnitudes, ZRLs and runs of ends of band.
func stepTables(t *testing.T, rng *rand.Rand) map[string]*huffDecoder {
	specs := map[string]huffSpec{"K.3 luminance": stdACLuminance, "K.3 chrominance": stdACChrominance}
	for i := range 6 {
		var freq [256]int64
		for s := range freq {
			if r, t := s>>4, s&15; t <= 10 && (t > 0 || r == 0 || r == 15 || i%2 == 0) && rng.IntN(3) > 0 {
				freq[s] = 1 + int64(rng.IntN(1<<rng.IntN(12)))
			}
		}
		specs["optimised "+string(rune('a'+i))] = optimalTable(&freq)
	}
	tables := map[string]*huffDecoder{}
	for name, s := range specs {
		h, err := newHuffDecoder(s.counts, s.vals, true)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		tables[name] = h
	}
	return tables
}

// oneByOne decodes AC codes from acc one at a time with acCode, from
// position k of blk, until they have taken used bits: what a table step
// that takes used bits must do. It returns the next position (64 after an
// EOB), the positions given a non-zero coefficient, and false when a code
// fails to decode (runs of ends of band included), the block ends first or
// used is 0.
func oneByOne(h *huffDecoder, acc uint64, used uint, k int, blk *[64]int16) (int, uint64, bool) {
	var nz uint64
	if used == 0 {
		return k, nz, false // a step that reads nothing never ends
	}
	for n := uint(64); 64-n < used; k++ {
		if k > 63 {
			return k, nz, false // the block ended
		}
		if rs, _, _, err := decodeSymbol(h, acc, n); err != nil || rs&15 == 0 && rs>>4 != 0 && rs>>4 != 15 {
			return k, nz, false
		}
		var v int32
		var err error
		if acc, n, k, v, err = acCode(h, acc, n, k); err != nil {
			return k, nz, false
		}
		if v != 0 {
			blk[k&63] = int16(v)
			nz |= 1 << k
		}
		if 64-n > used {
			return k, nz, false
		}
	}
	return k, nz, true
}

// TestTableStepsMatchCodes: a step of the pair table (Decode) or of the
// multi table (Check) that fits in a block reads the same bits and sets the
// same coefficients as decoding its codes one at a time, for every
// lookahead and any position in the block; one that does not fit is one
// whose codes would not, or that the step does not hold.
func TestTableStepsMatchCodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for name, h := range stepTables(t, rng) {
		pair, multi := h.pairTable(), h.multiTable()
		steps := 0
		for i := range 1 << pairBits {
			acc := uint64(i)<<(64-pairBits) | rng.Uint64()>>pairBits
			for _, k := range []int{1, 2, 20, 47, 48, 60, 61, 62, 63} {
				if e := pair[i]; k+int(e>>13&63) <= 63 {
					steps++
					var got, want [64]int16
					next := k
					got[(uint(next)+uint(e>>8&31))&63] = int16(int32(e) >> 26)
					got[(uint(next)+uint(e>>4&15))&63] = int16(int32(e<<6) >> 26)
					next += int(e>>13&127) + 1
					wantNext, _, ok := oneByOne(h, acc, uint(e&15), k, &want)
					if !ok || got != want || min(next, 64) != wantNext {
						t.Fatalf("%s: pair entry %#x at %d, lookahead %012b: position %d, coefficients %v; one by one: %d, %v (ok %v)", name, e, k, i, next, got, wantNext, want, ok)
					}
				}
				if e := multi[i>>(pairBits-multiBits)]; k+int(e>>6&127) <= 64 {
					steps++
					var want [64]int16
					next := k + int(e>>6&255)
					wantNext, nz, ok := oneByOne(h, acc, uint(e&63), k, &want)
					if !ok || uint64(e>>16)<<k != nz || min(next, 64) != wantNext {
						t.Fatalf("%s: multi entry %#x at %d, lookahead %012b: position %d, mask %b; one by one: %d, %b (ok %v)", name, e, k, i, next, uint64(e>>16)<<k, wantNext, nz, ok)
					}
				}
			}
		}
		if steps == 0 {
			t.Fatalf("%s: no lookahead makes a step", name)
		}
	}
}

// TestHuffTableShared: a table defined again, by another file, gets the
// decoder built for it the first time, lookup tables included, while
// another table gets its own; files sharing tables decode at once on
// several goroutines exactly as one by one (go test -race checks that the
// tables built on first use are shared safely).
func TestHuffTableShared(t *testing.T) {
	a, err := huffTable(stdACLuminance.counts, stdACLuminance.vals, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := huffTable(stdACLuminance.counts, append([]byte(nil), stdACLuminance.vals...), true)
	if err != nil {
		t.Fatal(err)
	}
	c, err := huffTable(stdACLuminance.counts, stdACLuminance.vals, false)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a == c {
		t.Errorf("same table: shared %v; as a DC table: shared %v", a == b, a == c)
	}
	if a.pairTable() != b.pairTable() {
		t.Error("a shared decoder's pair table built twice")
	}

	files := [][]byte{
		jpegfixture.Blocks(64, 48, 1, jpegfixture.Coding{Noise: true}),
		jpegfixture.Blocks(48, 64, 2, jpegfixture.Coding{Noise: true, Progressive: true}),
		jpegfixture.Baseline(40, 24, 3),
	}
	want := make([]*Image, len(files))
	for i, f := range files {
		if want[i], err = Decode(f, Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	decoders = decoderCache{} // the tables are built again, on every goroutine at once
	errs := make(chan error, 4*len(files))
	for range 4 {
		for i, f := range files {
			go func() {
				img, err := Decode(f, Limits{})
				if err == nil {
					err = Equal(want[i], img)
				}
				if err == nil {
					err = Check(f, Limits{})
				}
				errs <- err
			}()
		}
	}
	for range 4 * len(files) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
