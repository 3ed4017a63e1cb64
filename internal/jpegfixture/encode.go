package jpegfixture

import (
	"bufio"
	"bytes"
	"io"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
)

// Coding chooses how Encode codes its synthetic picture.
type Coding struct {
	// Progressive writes SOF2 with a DC scan over all components, then one AC
	// scan per component (so there are markers between scans); otherwise SOF0
	// with one interleaved scan.
	Progressive bool
	// Components is 1 (grey), 3 (YCbCr) or 4 (CMYK; add Adobe(0), or Adobe(2)
	// for YCCK). Zero means 3.
	Components int
	// RestartInterval, when > 0, writes DRI and a restart marker after every
	// that many MCUs in every scan.
	RestartInterval int
	// Noise gives every block random AC coefficients (about 0.7 bytes per pixel
	// and component); otherwise blocks are flat and the data is tiny.
	Noise bool
}

// Blocks returns a w×h JPEG coded as c: a picture of 8×8 blocks (a gradient
// from seed), decodable by libjpeg and image/jpeg.
func Blocks(w, h int, seed uint32, c Coding) []byte {
	var buf bytes.Buffer
	if err := Encode(&buf, w, h, seed, c); err != nil {
		panic(err) // a bytes.Buffer does not fail
	}
	return buf.Bytes()
}

// Progressive returns a w×h progressive JPEG with flat blocks (see Blocks).
func Progressive(w, h int, seed uint32) []byte {
	return Blocks(w, h, seed, Coding{Progressive: true})
}

// Encode streams a w×h JPEG coded as c to out, using a few kilobytes of
// memory whatever the size: with Noise, a 12000×8000 colour image is about 200 MB.
// Dimensions must be 1–65535.
func Encode(out io.Writer, w, h int, seed uint32, c Coding) error {
	nc := c.Components
	if nc == 0 {
		nc = 3
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	jw := jpeg.NewWriter(bw)
	jw.WriteMarker(jpeg.SOI)
	dqt := []byte{0}
	for i := 0; i < 64; i++ {
		dqt = append(dqt, 8)
	}
	jw.WriteSegment(jpeg.DQT, dqt)
	sofMarker := byte(jpeg.SOF0)
	if c.Progressive {
		sofMarker = jpeg.SOF2
	}
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(nc)}
	for i := 0; i < nc; i++ {
		sof = append(sof, byte(i+1), 0x11, 0)
	}
	jw.WriteSegment(sofMarker, sof)
	jw.WriteSegment(jpeg.DHT, append(append([]byte{0x00}, dcBits[:]...), dcVals...))
	jw.WriteSegment(jpeg.DHT, append(append([]byte{0x10}, acBits[:]...), acVals...))
	if c.RestartInterval > 0 {
		jw.WriteSegment(jpeg.DRI, []byte{byte(c.RestartInterval >> 8), byte(c.RestartInterval)})
	}
	e := &encoder{w: bw, jw: jw, bw: (w + 7) / 8, bh: (h + 7) / 8, seed: seed, c: c, nc: nc}
	if c.Progressive {
		e.scan(allComponents(nc), 0, 0)
		for i := 0; i < nc; i++ {
			e.scan([]int{i}, 1, 63)
		}
	} else {
		e.scan(allComponents(nc), 0, 63)
	}
	jw.WriteMarker(jpeg.EOI)
	if err := bw.Flush(); err != nil {
		return err
	}
	return jw.WriteData(nil)
}

func allComponents(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// Huffman tables: the T.81 K.3 luminance DC table, and a small AC table with
// EOB and run 0 sizes 1–3, all 3-bit codes.
var (
	dcBits = [16]byte{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}
	dcVals = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	acBits = [16]byte{0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	acVals = []byte{0x00, 0x01, 0x02, 0x03}
)

type code struct {
	bits uint32
	n    uint
}

// canonical derives the codes of a DHT table (T.81 C.2), indexed by symbol.
func canonical(bits [16]byte, vals []byte) *[256]code {
	m := new([256]code)
	c, k := uint32(0), 0
	for l := 1; l <= 16; l++ {
		for i := 0; i < int(bits[l-1]); i++ {
			m[vals[k]] = code{c, uint(l)}
			c++
			k++
		}
		c <<= 1
	}
	return m
}

var dcCodes, acCodes = canonical(dcBits, dcVals), canonical(acBits, acVals)

type encoder struct {
	w      *bufio.Writer
	jw     *jpeg.Writer
	bw, bh int
	seed   uint32
	rnd    uint32
	c      Coding
	nc     int
	acc    uint64
	nbits  uint
}

// scan writes one SOS and its entropy-coded data for components comps and
// spectral band ss..se (Ah = Al = 0).
func (e *encoder) scan(comps []int, ss, se byte) {
	sos := []byte{byte(len(comps))}
	for _, ci := range comps {
		sos = append(sos, byte(ci+1), 0x00)
	}
	sos = append(sos, ss, se, 0)
	e.jw.WriteSegment(jpeg.SOS, sos)
	e.rnd = e.seed*2654435761 + 12345
	pred := make([]int, e.nc)
	mcus := e.bw * e.bh
	restarts := 0
	for m := 0; m < mcus; m++ {
		if ri := e.c.RestartInterval; ri > 0 && m > 0 && m%ri == 0 {
			e.flush()
			e.w.Write([]byte{0xFF, byte(jpeg.RST0 + restarts%8)})
			restarts++
			clear(pred)
		}
		bx, by := m%e.bw, m/e.bw
		for _, ci := range comps {
			if ss == 0 {
				dc := (bx*9+by*5+ci*40+int(e.seed))%200 - 100
				d := dc - pred[ci]
				pred[ci] = dc
				s := size(d)
				e.put(dcCodes[byte(s)])
				e.putValue(d, s)
			}
			if se > 0 {
				e.ac(int(max(ss, 1)), int(se))
			}
		}
	}
	e.flush()
}

// ac codes coefficients k0..63: random ±1..7 values with Noise, else one EOB.
func (e *encoder) ac(k0, k1 int) {
	if !e.c.Noise {
		e.put(acCodes[0x00])
		return
	}
	for k := k0; k <= k1; k++ {
		e.rnd ^= e.rnd << 13
		e.rnd ^= e.rnd >> 17
		e.rnd ^= e.rnd << 5
		v := int(e.rnd%7) + 1
		if e.rnd&0x100 != 0 {
			v = -v
		}
		s := size(v)
		e.put(acCodes[byte(s)])
		e.putValue(v, s)
	}
}

func size(v int) int {
	if v < 0 {
		v = -v
	}
	s := 0
	for v > 0 {
		s++
		v >>= 1
	}
	return s
}

// putValue appends the s low bits that code v (T.81 F.1.2.1.1).
func (e *encoder) putValue(v, s int) {
	if s == 0 {
		return
	}
	if v < 0 {
		v += 1<<s - 1
	}
	e.put(code{uint32(v) & (1<<s - 1), uint(s)})
}

// put appends a code, stuffing 0x00 after every 0xFF byte.
func (e *encoder) put(c code) {
	e.acc = e.acc<<c.n | uint64(c.bits)
	e.nbits += c.n
	for e.nbits >= 8 {
		b := byte(e.acc >> (e.nbits - 8))
		e.w.WriteByte(b)
		if b == 0xFF {
			e.w.WriteByte(0)
		}
		e.nbits -= 8
	}
}

// flush pads the last byte with 1 bits (T.81 F.1.2.3).
func (e *encoder) flush() {
	if e.nbits > 0 {
		pad := 8 - e.nbits
		e.put(code{1<<pad - 1, pad})
	}
	e.acc = 0
}
