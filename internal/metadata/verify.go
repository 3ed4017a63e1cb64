package metadata

import (
	"errors"
	"fmt"
	"image/jpeg"
	"io"
)

// maxDecodeScans bounds the scans Verify lets image/jpeg decode: each scan
// walks every block, so thousands of tiny scans make a cheap file costly to
// decode (libjpeg-turbo guards the same way with its scan limit). Encoders
// write about ten.
const maxDecodeScans = 256

var errScanLimit = errors.New("scan limit reached")

// Verify inspects r and returns *MetadataRemainsError unless it is clean under p.
// With decode it also decodes the image with the standard library's
// image/jpeg, reading r only once: the decoder is fed only after the frame
// header has passed the pixel limit, so a decompression bomb never reaches it.
// Where image/jpeg cannot decode the coding process (arithmetic, lossless,
// 12-bit, DNL) or the file has more than 256 scans, Inspection.Decode says
// "skipped: <why>"; a failed decode of a supported process is *DecodeError.
func Verify(r io.Reader, p Policy, decode bool) (*Inspection, error) {
	if !decode {
		ins, err := Inspect(r, p)
		return ins, verdict(ins, err)
	}
	g := &gate{}
	var done chan error
	ins, err := inspect(r, p, func(in io.Reader, w *walker) io.Reader {
		w.onFrame = func() error {
			if ok, why := w.st.StdlibDecodable(); !ok {
				g.skip = "skipped: " + why
				return nil
			}
			pr, pw := io.Pipe()
			done = make(chan error, 1)
			go func() {
				_, err := jpeg.Decode(pr)
				io.Copy(io.Discard, pr) // let the inspection read to the end
				done <- err
			}()
			return g.open(pw)
		}
		w.onScan = func() {
			if w.st.Scans > maxDecodeScans && g.pw != nil && g.skip == "" {
				g.skip = fmt.Sprintf("skipped: more than %d scans", maxDecodeScans)
				g.pw.CloseWithError(errScanLimit)
			}
		}
		return io.TeeReader(in, g)
	})
	var decErr error
	if done != nil {
		g.pw.CloseWithError(err)
		decErr = <-done
	}
	if ins != nil {
		switch {
		case g.skip != "":
			ins.Decode = g.skip
		case done != nil && decErr == nil:
			ins.Decode = "ok"
		}
	}
	if err == nil && decErr != nil && g.skip == "" {
		if ok, why := ins.Structure.StdlibDecodable(); !ok {
			ins.Decode = "skipped: " + why // DNL is only known after the first scan
		} else {
			err = &DecodeError{Err: decErr}
		}
	}
	return ins, verdict(ins, err)
}

func verdict(ins *Inspection, err error) error {
	if err != nil {
		return err
	}
	if !ins.Clean {
		return &MetadataRemainsError{Problems: ins.Problems}
	}
	return nil
}

// gate holds the stream's first bytes until the frame header has been checked,
// then forwards everything to the decoder.
type gate struct {
	pending []byte
	pw      *io.PipeWriter
	skip    string
}

func (g *gate) Write(b []byte) (int, error) {
	switch {
	case g.pw != nil:
		g.pw.Write(b) // the decoder drains to the end; an error here is the decoder's to report
	case g.skip == "":
		g.pending = append(g.pending, b...)
	}
	return len(b), nil
}

func (g *gate) open(pw *io.PipeWriter) error {
	g.pw = pw
	pw.Write(g.pending)
	g.pending = nil
	return nil
}
