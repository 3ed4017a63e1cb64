package console

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // previews of uploads that are not JPEGs (a GIF named .jpg)
	"image/jpeg"
	_ "image/png" // previews of uploads that are not JPEGs (a PNG named .jpg)
	"io"
)

const (
	thumbSize      = 360
	maxThumbBytes  = 64 << 20 // larger uploads are not previewed
	maxThumbPixels = 64 << 20 // nor decompression bombs
)

var errNoPreview = errors.New("no preview")

// thumbnail renders a small JPEG of an object as a viewer shows it: EXIF orientation
// applied, re-encoded from pixels, so no byte of the original's metadata reaches the page.
func (c *Console) thumbnail(ctx context.Context, bucket, key, version string) ([]byte, error) {
	var t []byte
	err := c.withObject(ctx, bucket, key, version, func(id string, body io.Reader) error {
		var ok bool
		if t, ok = c.thumbs.get(id); ok {
			return nil
		}
		data, err := io.ReadAll(io.LimitReader(body, maxThumbBytes+1))
		if err != nil {
			return fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
		}
		if len(data) > maxThumbBytes {
			return fmt.Errorf("object larger than %d bytes", maxThumbBytes)
		}
		// Decoding a large photo takes memory in proportion to its pixels: two at a time.
		select {
		case c.decoding <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		t, err = renderThumbnail(data)
		<-c.decoding
		if err != nil {
			return err
		}
		c.thumbs.put(id, t)
		return nil
	})
	if err != nil && !errors.Is(err, errNoPreview) {
		err = fmt.Errorf("%w: %v", errNoPreview, err)
	}
	return t, err
}

func renderThumbnail(data []byte) ([]byte, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoPreview, err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxThumbPixels {
		return nil, fmt.Errorf("%w: %dx%d is too many pixels", errNoPreview, cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoPreview, err)
	}
	small := orient(scaleDown(img, thumbSize), exifOrientation(data))
	var b bytes.Buffer
	if err := jpeg.Encode(&b, small, &jpeg.Options{Quality: 82}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// scaleDown fits img into a size×size box, averaging a grid of up to 4×4 samples per
// output pixel: cheap on large photos, smooth enough for a preview.
func scaleDown(img image.Image, size int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	tw, th := w, h
	if w > size || h > size {
		if w >= h {
			tw, th = size, max(1, h*size/w)
		} else {
			tw, th = max(1, w*size/h), size
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	for y := range th {
		y0, y1 := y*h/th, max((y+1)*h/th, y*h/th+1)
		for x := range tw {
			x0, x1 := x*w/tw, max((x+1)*w/tw, x*w/tw+1)
			var r, g, bl, n uint32
			sy := max(1, (y1-y0)/4)
			sx := max(1, (x1-x0)/4)
			for yy := y0; yy < y1; yy += sy {
				for xx := x0; xx < x1; xx += sx {
					cr, cg, cb, _ := img.At(b.Min.X+xx, b.Min.Y+yy).RGBA()
					r, g, bl, n = r+cr, g+cg, bl+cb, n+1
				}
			}
			dst.SetRGBA(x, y, color.RGBA{uint8(r / n >> 8), uint8(g / n >> 8), uint8(bl / n >> 8), 255})
		}
	}
	return dst
}

// orient applies an EXIF orientation (1–8) so the preview shows what a viewer shows.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		for x := range w {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			dst.SetRGBA(dx, dy, src.RGBAAt(x, y))
		}
	}
	return dst
}

// exifOrientation reads the Orientation tag (0x0112) of IFD0 from a JPEG's APP1 Exif
// segment; 1 when absent or unreadable.
func exifOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	i := 2
	for i+4 <= len(b) && b[i] == 0xFF {
		m := b[i+1]
		if m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01 || m == 0xFF {
			i++
			if m != 0xFF {
				i++
			}
			continue
		}
		if m == 0xDA || m == 0xD9 { // start of scan: no more metadata segments
			break
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			break
		}
		seg := b[i+4 : i+2+n]
		if m == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[off:]))
	for k := range min(n, 512) {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			break
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
		}
	}
	return 1
}
