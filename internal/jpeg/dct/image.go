package dct

import "github.com/s3-image-sanitizer/s3-image-sanitizer/internal/reuse"

// Image is a JPEG frame as quantised DCT coefficients.
type Image struct {
	Width, Height int
	Components    []Component
	// Progressive and RestartInterval describe the source; Encode ignores them.
	Progressive     bool
	RestartInterval int
	// coef holds every component's Coef, one after the other: one slice
	// that Release can hand back for reuse.
	coef []int16
}

// Component is one colour component of an Image.
type Component struct {
	ID   byte
	H, V int // sampling factors; 1x1 for a single-component image
	// Quant is the quantisation table latched for this component (T.81
	// B.2.4.1), in natural (row-major) order.
	Quant [64]uint16
	// BlocksW x BlocksH are the blocks that carry image samples.
	BlocksW, BlocksH int
	// Stride x Rows is the allocated grid: BlocksW x BlocksH rounded up to
	// whole MCUs, so interleaved scans can address every block of an MCU.
	Stride, Rows int
	// Coef holds Stride*Rows blocks of 64 coefficients in zig-zag order
	// (T.81 Figure A.6), the order they are coded in.
	Coef []int16
}

// Block returns the 64 coefficients of block (bx, by), in zig-zag order.
func (c *Component) Block(bx, by int) []int16 {
	i := (by*c.Stride + bx) * 64
	return c.Coef[i : i+64 : i+64]
}

// Limits bound the work and memory one Decode may spend.
type Limits struct {
	MaxPixels int64 // width*height; 0 means DefaultLimits().MaxPixels
	MaxScans  int   // 0 means DefaultLimits().MaxScans
	// MaxCoefficientBytes bounds the memory of the frame's coefficients
	// (128 bytes per block, sampling factors included); 0 means no bound
	// beyond MaxPixels.
	MaxCoefficientBytes int64
}

// DefaultLimits allows 100 megapixels and 1000 scans: far beyond any camera's
// progressive script (libjpeg writes at most 10), yet bounded against files
// that repeat scans to make decoding slow.
func DefaultLimits() Limits { return Limits{MaxPixels: 100_000_000, MaxScans: 1000} }

// mcuSize returns the MCU size in pixels. A single-component frame is coded
// non-interleaved, so its MCU is one block whatever its sampling factors
// (T.81 A.2.2).
func (m *Image) mcuSize() (w, h int) {
	if len(m.Components) == 1 {
		return 8, 8
	}
	hmax, vmax := m.maxSampling()
	return 8 * hmax, 8 * vmax
}

func (m *Image) maxSampling() (hmax, vmax int) {
	hmax, vmax = 1, 1
	for i := range m.Components {
		hmax = max(hmax, m.Components[i].H)
		vmax = max(vmax, m.Components[i].V)
	}
	return hmax, vmax
}

// layout sets each component's block grid from the frame size and sampling
// factors (T.81 A.1.1) and allocates its coefficients, all zero.
func (m *Image) layout() {
	m.grid()
	if m.alloc() {
		clear(m.coef)
	}
}

// coefficientBytes is the memory alloc takes for the coefficients (grid set).
func (m *Image) coefficientBytes() int64 {
	var n int64
	for _, c := range m.Components {
		n += int64(c.Stride) * int64(c.Rows) * 64 * 2
	}
	return n
}

// alloc gives each component its coefficients, in one slice, from memory
// Release handed back if there is some (reused): their values are then
// arbitrary, otherwise zero.
func (m *Image) alloc() (reused bool) {
	n := 0
	for i := range m.Components {
		c := &m.Components[i]
		n += c.Stride * c.Rows * 64
	}
	m.coef, reused = coefFree.Get(n)
	n = 0
	for i := range m.Components {
		c := &m.Components[i]
		size := c.Stride * c.Rows * 64
		c.Coef = m.coef[n : n+size : n+size]
		n += size
	}
	return reused
}

// Release hands m's coefficient memory back for reuse by a later Decode or
// Transform, which then need not allocate and zero tens of megabytes.
// m's coefficients must not be used afterwards: Release sets every
// Component's Coef to nil. Calling it is optional; calling it twice does
// nothing more.
func (m *Image) Release() {
	if m.coef == nil {
		return
	}
	coefFree.Put(m.coef)
	m.coef = nil
	for i := range m.Components {
		m.Components[i].Coef = nil
	}
}

// coefFree holds released coefficients: up to 64 MB, enough for two
// rotations of 5-megapixel 4:2:0 photos at once (source and transformed
// image each), while a rare huge image is not kept.
var coefFree = reuse.List[int16]{Budget: 32 << 20}

// grid is layout without the allocation.
func (m *Image) grid() {
	hmax, vmax := m.maxSampling()
	mw, mh := m.mcuSize()
	mcusX, mcusY := ceilDiv(m.Width, mw), ceilDiv(m.Height, mh)
	for i := range m.Components {
		c := &m.Components[i]
		c.BlocksW = ceilDiv(ceilDiv(m.Width*c.H, hmax), 8)
		c.BlocksH = ceilDiv(ceilDiv(m.Height*c.V, vmax), 8)
		if len(m.Components) == 1 {
			c.Stride, c.Rows = c.BlocksW, c.BlocksH
		} else {
			c.Stride, c.Rows = mcusX*c.H, mcusY*c.V
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// zigzag maps a coefficient's position in zig-zag (coding) order to its
// natural-order index (T.81 Figure A.6).
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}
