package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // previews of uploads that are not JPEGs (a GIF named .jpg)
	"image/jpeg"
	_ "image/png" // previews of uploads that are not JPEGs (a PNG named .jpg)
	"io"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
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
	small := orient(scaleDown(img, thumbSize), orientationOf(data))
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

// orientationOf is the Exif Orientation the viewer applies to data, as the
// metadata policy reads it; 1 when absent, invalid or unreadable (a PNG named
// .jpg still gets an upright preview).
func orientationOf(data []byte) int {
	in, err := metadata.Inspect(bytes.NewReader(data), metadata.DefaultPolicy())
	if err != nil || in.Orientation < 1 || in.Orientation > 8 {
		return 1
	}
	return in.Orientation
}
