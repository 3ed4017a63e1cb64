package dct

// Transform is a lossless geometric transform of an image.
type Transform int

// The eight orientations. Each value maps an EXIF Orientation tag to the
// transform that makes the stored image look the way the tag says it should
// (as exiftran -a does): Orientation n needs FromOrientation(n).
const (
	Identity   Transform = iota
	FlipH                // mirror left-right (Orientation 2)
	Rotate180            // (Orientation 3)
	FlipV                // mirror top-bottom (Orientation 4)
	Transpose            // mirror across the top-left to bottom-right diagonal (Orientation 5)
	Rotate90             // clockwise (Orientation 6)
	Transverse           // mirror across the top-right to bottom-left diagonal (Orientation 7)
	Rotate270            // clockwise, that is 90 counter-clockwise (Orientation 8)
)

// FromOrientation returns the transform that displays an image stored with
// EXIF Orientation o (1-8) upright; ok is false for other values.
func FromOrientation(o int) (t Transform, ok bool) {
	if o < 1 || o > 8 {
		return Identity, false
	}
	return Transform(o - 1), true
}

var transformNames = [...]string{"identity", "flip-horizontal", "rotate-180", "flip-vertical",
	"transpose", "rotate-90", "transverse", "rotate-270"}

func (t Transform) String() string {
	if t < 0 || int(t) >= len(transformNames) {
		return "invalid-transform"
	}
	return transformNames[t]
}

// Transposes reports whether t swaps the image's width and height.
func (t Transform) Transposes() bool {
	transpose, _, _ := t.geometry()
	return transpose
}

// geometry splits a transform into: transpose the image, then mirror the
// result horizontally (mx) and/or vertically (my). An output pixel (x, y)
// therefore comes from the input pixel found by undoing the mirrors in output
// coordinates and then swapping the axes.
func (t Transform) geometry() (transpose, mx, my bool) {
	switch t {
	case FlipH:
		return false, true, false
	case FlipV:
		return false, false, true
	case Rotate180:
		return false, true, true
	case Transpose:
		return true, false, false
	case Transverse:
		return true, true, true
	case Rotate90:
		return true, true, false
	case Rotate270:
		return true, false, true
	}
	return false, false, false
}

// Perfect reports whether t keeps every block whole on an image of this size
// and MCU, with the rule jpegtran -perfect applies: the image must be whole
// MCUs along each axis of the input that ends up mirrored.
func (t Transform) Perfect(width, height, mcuW, mcuH int) bool {
	transpose, mx, my := t.geometry()
	// A mirror of the output's x axis mirrors the input's y axis when the
	// image is transposed.
	mirrorW, mirrorH := mx, my
	if transpose {
		mirrorW, mirrorH = my, mx
	}
	return !(mirrorW && width%mcuW != 0) && !(mirrorH && height%mcuH != 0)
}

// MCUSize returns the image's MCU size in pixels.
func (m *Image) MCUSize() (w, h int) { return m.mcuSize() }

// Transform returns a new image, t applied to m, or *NotPerfectError when the
// image is not whole MCUs along an axis t mirrors. Coefficients move between
// blocks and, within a block, are transposed and change sign at odd
// frequencies along a mirrored axis; quantisation tables and sampling factors
// are transposed with the image. The new image's coefficients come from
// memory Release handed back when there is some.
func (m *Image) Transform(t Transform) (*Image, error) {
	mw, mh := m.mcuSize()
	if t < Identity || t > Rotate270 {
		return nil, unsupported("transform %d", int(t))
	}
	if !t.Perfect(m.Width, m.Height, mw, mh) {
		return nil, &NotPerfectError{Transform: t, Width: m.Width, Height: m.Height, MCUWidth: mw, MCUHeight: mh}
	}
	transpose, mx, my := t.geometry()
	out := &Image{Width: m.Width, Height: m.Height}
	if transpose {
		out.Width, out.Height = m.Height, m.Width
	}
	out.Components = make([]Component, len(m.Components))
	for i := range m.Components {
		src := &m.Components[i]
		c := Component{ID: src.ID, H: src.H, V: src.V, Quant: src.Quant}
		if transpose {
			c.H, c.V = src.V, src.H
			for u := 0; u < 8; u++ {
				for v := 0; v < 8; v++ {
					c.Quant[u*8+v] = src.Quant[v*8+u]
				}
			}
		}
		out.Components[i] = c
	}
	out.grid()
	// Every block that carries samples is set below; only padding blocks
	// of reused memory need clearing.
	if out.alloc() {
		for i := range out.Components {
			if c := &out.Components[i]; c.BlocksW < c.Stride || c.BlocksH < c.Rows {
				clear(c.Coef)
			}
		}
	}

	// Per-coefficient permutation and sign, in zig-zag order:
	// out[k] = in[perm[k]] * sign[k].
	var unzig [64]uint8
	for k, n := range zigzag {
		unzig[n] = uint8(k)
	}
	var perm [64]uint8
	var sign [64]int16
	for k, n := range zigzag {
		u, v := int(n/8), int(n%8) // vertical, horizontal frequency of the output
		perm[k] = uint8(k)
		if transpose {
			perm[k] = unzig[v*8+u]
		}
		sign[k] = 1
		if (mx && v&1 == 1) != (my && u&1 == 1) {
			sign[k] = -1
		}
	}
	// Tiles of 8x8 blocks keep both sides in cache when transposing, where
	// one of them is read or written across rows.
	const tile = 8
	for i := range out.Components {
		src, dst := &m.Components[i], &out.Components[i]
		for by0 := 0; by0 < dst.BlocksH; by0 += tile {
			for bx0 := 0; bx0 < dst.BlocksW; bx0 += tile {
				for by := by0; by < min(by0+tile, dst.BlocksH); by++ {
					ty := by
					if my {
						ty = dst.BlocksH - 1 - by
					}
					for bx := bx0; bx < min(bx0+tile, dst.BlocksW); bx++ {
						tx := bx
						if mx {
							tx = dst.BlocksW - 1 - bx
						}
						sx, sy := tx, ty
						if transpose {
							sx, sy = ty, tx
						}
						in, o := (*[64]int16)(src.Block(sx, sy)), (*[64]int16)(dst.Block(bx, by))
						// Eight at a time: the loop's own work was a
						// third of each coefficient's.
						for k := 0; k < 64; k += 8 {
							p, s, q := (*[8]uint8)(perm[k:]), (*[8]int16)(sign[k:]), (*[8]int16)(o[k:])
							q[0] = in[p[0]&63] * s[0] // &63: no bounds check
							q[1] = in[p[1]&63] * s[1]
							q[2] = in[p[2]&63] * s[2]
							q[3] = in[p[3]&63] * s[3]
							q[4] = in[p[4]&63] * s[4]
							q[5] = in[p[5]&63] * s[5]
							q[6] = in[p[6]&63] * s[6]
							q[7] = in[p[7]&63] * s[7]
						}
					}
				}
			}
		}
	}
	return out, nil
}
