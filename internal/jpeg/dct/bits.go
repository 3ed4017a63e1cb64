package dct

import (
	"sync"
	"sync/atomic"
)

const lutBits = 10

// fastEOB marks the end-of-block code in huffDecoder.fast (runs are 0-15).
const fastEOB = 0xFF

// huffDecoder decodes one Huffman table (T.81 F.2.2.3, with a lookup table
// for codes up to lutBits long).
type huffDecoder struct {
	lut [1 << lutBits]uint16 // length<<8 | symbol; 0 when longer than lutBits
	// fast decodes a code and its magnitude bits at once when both fit in
	// lutBits: value<<16 | run<<8 | total length (run 0 in a DC table), or
	// fastEOB<<8 | length for the end-of-block code of an AC table; 0
	// otherwise. The value is already sign-extended (T.81 F.2.2.1).
	fast [1 << lutBits]int32
	// multi, built on first use by a sequential scan that keeps no
	// coefficients (multiTable), skips several AC codes at once. It and
	// pair are atomic: decoders are shared (huffTable).
	multi   atomic.Pointer[[1 << multiBits]uint32]
	pair    atomic.Pointer[[1 << pairBits]uint32] // pairTable
	maxcode [17]int32                             // largest code of each length, -1 if none
	valptr  [17]int32                             // index in vals of the first code of each length
	mincode [17]int32
	vals    [256]byte
	nvals   int
	// The table as a DHT states it, what huffTable finds it by.
	counts [16]byte
	ac     bool
}

// huffTable returns the decoder of a table (newHuffDecoder), from the last
// tables decoded when it is one of them. The files of a camera or library
// share their tables (T.81 K.3's, most often), whose decoders, with their
// multi-code tables, then cost no building: up to a tenth of a Check.
// Decoders do not change once built but for those tables, which are built
// once whoever asks first.
func huffTable(counts [16]byte, vals []byte, ac bool) (*huffDecoder, error) {
	if h := decoders.find(counts, vals, ac); h != nil {
		return h, nil
	}
	h, err := newHuffDecoder(counts, vals, ac)
	if err == nil {
		decoders.add(h)
	}
	return h, err
}

// decoders holds the decoders of the last tables decoded: a table used
// again since the clock hand last passed it stays, so the common tables
// outlive a stream of files that each have their own (an encoder's
// optimised tables) going through.
var decoders decoderCache

type decoderCache struct {
	mu    sync.Mutex
	slots [16]*huffDecoder
	used  [16]bool
	hand  int
}

func (c *decoderCache) find(counts [16]byte, vals []byte, ac bool) *huffDecoder {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, h := range c.slots {
		if h != nil && h.ac == ac && h.counts == counts && string(h.vals[:h.nvals]) == string(vals) {
			c.used[i] = true
			return h
		}
	}
	return nil
}

func (c *decoderCache) add(h *huffDecoder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.used[c.hand] {
		c.used[c.hand] = false
		c.hand = (c.hand + 1) % len(c.slots)
	}
	c.slots[c.hand] = h
	c.hand = (c.hand + 1) % len(c.slots)
}

// newHuffDecoder builds a table from a DHT's code counts and symbols; ac
// adds the combined code-and-value lookup for AC tables.
func newHuffDecoder(counts [16]byte, vals []byte, ac bool) (*huffDecoder, error) {
	h := &huffDecoder{nvals: len(vals), counts: counts, ac: ac}
	copy(h.vals[:], vals)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		h.valptr[l] = k
		h.mincode[l] = code
		if n == 0 {
			h.maxcode[l] = -1
		} else {
			if code+n > 1<<l {
				return nil, formatErr("Huffman table has too many codes of length %d", l)
			}
			for i := int32(0); i < n; i++ {
				if l <= lutBits {
					c := code + i
					shift := lutBits - l
					e := uint16(l)<<8 | uint16(vals[k+i])
					for j := c << shift; j < (c+1)<<shift; j++ {
						h.lut[j] = e
					}
				}
			}
			h.maxcode[l] = code + n - 1
		}
		code = (code + n) << 1
		k += n
	}
	for i, e := range h.lut {
		l, rs := uint(e>>8), e&0xFF
		r, t := uint(rs>>4), uint(rs&15)
		if !ac {
			// A DC symbol is a magnitude category (T.81 F.1.2.1); those
			// above 11 are errors the slow path reports.
			if l == 0 || rs > 11 || l+uint(rs) > lutBits {
				continue
			}
			r, t = 0, uint(rs)
		} else if l != 0 && rs == 0 {
			h.fast[i] = fastEOB<<8 | int32(l)
			continue
		}
		if l == 0 || l+t > lutBits || ac && t == 0 {
			continue
		}
		var v int32
		if t > 0 {
			v = int32(i>>(lutBits-l-t)) & (1<<t - 1)
			if v < 1<<(t-1) {
				v += -1<<t + 1
			}
		}
		h.fast[i] = v<<16 | int32(r<<8) | int32(l+t)
	}
	return h, nil
}
