package dct

import "slices"

// huffSpec is a table as a DHT segment states it: how many codes of each
// length 1-16, then the symbols in code order.
type huffSpec struct {
	counts [16]byte
	vals   []byte
}

// optimalTable builds a length-limited Huffman code for the symbol
// frequencies freq, as libjpeg's jpeg_gen_optimal_table does (T.81 K.2): a
// pseudo-symbol 256 with frequency 1 keeps any real code from being all ones,
// and codes longer than 16 bits are shortened by moving pairs of leaves up.
func optimalTable(freq *[256]int64) huffSpec {
	var f [257]int64
	copy(f[:], freq[:])
	f[256] = 1
	var codesize [257]int
	var others [257]int
	for i := range others {
		others[i] = -1
	}
	for {
		c1, c2 := -1, -1
		for i := range f {
			if f[i] != 0 && (c1 < 0 || f[i] <= f[c1]) {
				c1 = i
			}
		}
		for i := range f {
			if f[i] != 0 && i != c1 && (c2 < 0 || f[i] <= f[c2]) {
				c2 = i
			}
		}
		if c2 < 0 {
			break
		}
		f[c1] += f[c2]
		f[c2] = 0
		codesize[c1]++
		for others[c1] >= 0 {
			c1 = others[c1]
			codesize[c1]++
		}
		others[c1] = c2
		codesize[c2]++
		for others[c2] >= 0 {
			c2 = others[c2]
			codesize[c2]++
		}
	}
	var bits [258]int // codes per length; a tree of 257 leaves is at most 256 deep
	maxLen := 0
	for _, s := range codesize {
		if s > 0 {
			bits[s]++
			maxLen = max(maxLen, s)
		}
	}
	for i := maxLen; i > 16; i-- {
		for bits[i] > 0 {
			j := i - 2
			for bits[j] == 0 {
				j--
			}
			bits[i] -= 2
			bits[i-1]++
			bits[j+1] += 2
			bits[j]--
		}
	}
	i := 16
	for bits[i] == 0 {
		i--
	}
	bits[i]-- // drop the pseudo-symbol's code, the longest
	var spec huffSpec
	for l := 1; l <= 16; l++ {
		spec.counts[l-1] = byte(bits[l])
	}
	syms := make([]int, 0, 256)
	for s := 0; s < 256; s++ {
		if codesize[s] > 0 {
			syms = append(syms, s)
		}
	}
	// Shortest original code first, ties by symbol value: the order in which
	// libjpeg hands out the limited lengths.
	slices.SortStableFunc(syms, func(a, b int) int { return codesize[a] - codesize[b] })
	for _, s := range syms {
		spec.vals = append(spec.vals, byte(s))
	}
	return spec
}
