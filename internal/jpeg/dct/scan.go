package dct

import (
	"bytes"
	"fmt"
)

// scanComp is one component of a scan with its entropy tables.
type scanComp struct {
	c      *Component
	ci     int // index of c in Image.Components
	dc, ac *huffDecoder
}

// scan kinds: how each block of a scan is coded.
const (
	scanSequential = iota // T.81 F.2.2
	scanDCFirst           // G.1.2.1
	scanDCRefine          // G.1.2.1
	scanACFirst           // G.1.2.2
	scanACRefine          // G.1.2.3
)

// parseSOS reads a scan header (T.81 B.2.3) and decodes the entropy-coded
// data that follows it at data[pos:]. It returns the offset of the marker
// that ends the scan.
func (d *decoder) parseSOS(seg, data []byte, pos int) (int, error) {
	img := d.img
	if img == nil {
		return 0, formatErr("SOS before SOF")
	}
	d.scans++
	if d.scans > d.lim.MaxScans {
		return 0, &LimitError{Msg: "too many scans"}
	}
	if len(seg) < 1 {
		return 0, formatErr("SOS length")
	}
	ns := int(seg[0])
	if ns < 1 || ns > 4 || len(seg) != 4+2*ns {
		return 0, formatErr("SOS length")
	}
	ss, se, ah, al := int(seg[1+2*ns]), int(seg[2+2*ns]), int(seg[3+2*ns]>>4), int(seg[3+2*ns]&15)
	kind := scanSequential
	if img.Progressive {
		switch {
		case ss == 0 && se != 0, ss > se, se > 63, ah > 13, al > 13, ah != 0 && al != ah-1:
			return 0, formatErr("progressive scan Ss=%d Se=%d Ah=%d Al=%d", ss, se, ah, al)
		case ss > 0 && ns != 1:
			return 0, formatErr("AC scan of %d components", ns)
		case ss == 0 && ah == 0:
			kind = scanDCFirst
		case ss == 0:
			kind = scanDCRefine
		case ah == 0:
			kind = scanACFirst
		default:
			kind = scanACRefine
		}
	}
	sc := make([]scanComp, ns)
	blocks := 0
	for i := 0; i < ns; i++ {
		id, td, ta := seg[1+2*i], int(seg[2+2*i]>>4), int(seg[2+2*i]&15)
		ci := -1
		for j := range img.Components {
			if img.Components[j].ID == id {
				ci = j
			}
		}
		if ci < 0 {
			return 0, formatErr("scan names unknown component %d", id)
		}
		for j := 0; j < i; j++ {
			if sc[j].c == &img.Components[ci] {
				return 0, formatErr("scan names component %d twice", id)
			}
		}
		if td > 3 || ta > 3 {
			return 0, formatErr("Huffman table selector")
		}
		c := &img.Components[ci]
		needDC := kind == scanSequential || kind == scanDCFirst
		needAC := kind == scanSequential || kind == scanACFirst || kind == scanACRefine
		// A table no DHT has defined falls back to T.81 K.3's, installed
		// as if defined (a later DHT replaces it), as libjpeg-turbo's
		// jpeg_std_huff_table does.
		if needDC && d.dc[td] == nil {
			d.dc[td] = defaultTable(0, td)
		}
		if needAC && d.ac[ta] == nil {
			d.ac[ta] = defaultTable(1, ta)
		}
		sc[i] = scanComp{c: c, ci: ci, dc: d.dc[td], ac: d.ac[ta]}
		if needDC && sc[i].dc == nil {
			return 0, formatErr("scan uses undefined DC table %d", td)
		}
		if needAC && sc[i].ac == nil {
			return 0, formatErr("scan uses undefined AC table %d", ta)
		}
		if !d.latched[ci] {
			q := d.quant[d.tq[ci]]
			if q == nil {
				return 0, formatErr("component %d uses undefined quantisation table %d", id, d.tq[ci])
			}
			c.Quant = *q
			d.latched[ci] = true
		}
		blocks += c.H * c.V
		if kind == scanSequential {
			if d.stream && d.scanned[ci] {
				// The first scan was compared already; the last one
				// would count. Such a file is not what Encode writes.
				return 0, &MismatchError{fmt.Sprintf("component %d coded twice", ci)}
			}
			// A sequential scan codes each block whole; were a component
			// scanned twice, libjpeg would start from zeros again.
			if d.scanned[ci] {
				clear(c.Coef)
			}
			d.scanned[ci] = true
		}
	}
	if ns > 1 && blocks > 10 {
		return 0, formatErr("%d blocks per MCU", blocks)
	}
	end := d.unstuffScan(data, pos)
	if d.refScan != nil {
		return end, d.refScan(d, sc, kind, ss, se, ah, al)
	}
	return end, d.decodeScan(sc, kind, ss, se, al)
}

// unstuffScan copies the entropy-coded data at data[pos:] into d.unstuff
// without stuffed zero bytes, split at restart markers (T.81 B.1.1.5, F.1.2.3),
// and returns the offset of the marker that ends it (len(data) if none).
func (d *decoder) unstuffScan(data []byte, pos int) int {
	out, spans := d.unstuff[:0], d.spans[:0]
	if out == nil {
		// Enough for this scan and every later one: a single allocation.
		out, _ = unstuffFree.Get(len(data) - pos)
		out = out[:0]
	}
	start, rst := 0, -1
	i := pos
	for i < len(data) {
		j := bytes.IndexByte(data[i:], 0xFF)
		if j < 0 {
			out = append(out, data[i:]...)
			i = len(data)
			break
		}
		out = append(out, data[i:i+j]...)
		i += j
		if i+1 >= len(data) {
			i = len(data)
			break
		}
		c := data[i+1]
		if c == 0 {
			out = append(out, 0xFF)
			i += 2
			continue
		}
		if c == 0xFF { // fill byte before a marker
			i++
			continue
		}
		if c >= mRST0 && c <= mRST0+7 {
			spans = append(spans, restartSpan{start, len(out), rst})
			start, rst = len(out), int(c-mRST0)
			i += 2
			continue
		}
		break
	}
	d.unstuff, d.spans = out, append(spans, restartSpan{start, len(out), rst})
	return i
}

// interval returns the unstuffed data of restart interval iv of the scan,
// checking the RSTn marker that opens it (T.81 F.1.2.3); the first interval
// always exists.
func (d *decoder) interval(iv int) ([]byte, error) {
	if iv >= len(d.spans) {
		return nil, formatErr("missing restart marker")
	}
	s := d.spans[iv]
	if iv > 0 && s.rst != (iv-1)&7 {
		return nil, formatErr("restart marker RST%d out of sequence", s.rst)
	}
	return d.unstuff[s.start:s.end], nil
}

var (
	errTruncated = &FormatError{Msg: "entropy-coded data ends early"}
	errCoefRange = &FormatError{Msg: "coefficient out of range"}
)
