package dct

import (
	"bytes"
	"math/bits"
)

// scanComp is one component of a scan with its entropy tables.
type scanComp struct {
	c      *Component
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
		case ss == 0 && se != 0, ss > se, se > 63, ah > 13, al > 13:
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
		sc[i] = scanComp{c: c, dc: d.dc[td], ac: d.ac[ta]}
		if (kind == scanSequential || kind == scanDCFirst) && sc[i].dc == nil {
			return 0, formatErr("scan uses undefined DC table %d", td)
		}
		if (kind == scanSequential || kind == scanACFirst || kind == scanACRefine) && sc[i].ac == nil {
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
	if kind == scanSequential && d.refBlock == nil {
		return end, d.sequentialScan(sc, !d.noCoef)
	}
	return end, d.decodeScan(sc, kind, ss, se, ah, al)
}

// unstuffScan copies the entropy-coded data at data[pos:] into d.unstuff
// without stuffed zero bytes, split at restart markers (T.81 B.1.1.5, F.1.2.3),
// and returns the offset of the marker that ends it (len(data) if none).
func (d *decoder) unstuffScan(data []byte, pos int) int {
	out, spans := d.unstuff[:0], d.spans[:0]
	if out == nil {
		// Enough for this scan and every later one: a single allocation.
		out = make([]byte, 0, len(data)-pos)
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

var errTruncated = &FormatError{Msg: "entropy-coded data ends early"}

// decodeScan decodes every MCU of a scan from d.unstuff.
func (d *decoder) decodeScan(sc []scanComp, kind, ss, se, ah, al int) error {
	img := d.img
	var mcusX, mcusY int
	if len(sc) == 1 {
		mcusX, mcusY = sc[0].c.BlocksW, sc[0].c.BlocksH
	} else {
		mw, mh := img.mcuSize()
		mcusX, mcusY = ceilDiv(img.Width, mw), ceilDiv(img.Height, mh)
	}
	iv := 0
	first, _ := d.interval(0)
	d.br.reset(first)
	d.eobrun, d.pred = 0, [4]int32{}
	n := 0
	for my := 0; my < mcusY; my++ {
		for mx := 0; mx < mcusX; mx++ {
			if d.restart > 0 && n > 0 && n%d.restart == 0 {
				if d.br.overrun() {
					return errTruncated
				}
				iv++
				data, err := d.interval(iv)
				if err != nil {
					return err
				}
				d.br.reset(data)
				d.eobrun, d.pred = 0, [4]int32{}
			}
			n++
			if len(sc) == 1 {
				if err := d.block(kind, sc[0].c.Block(mx, my), &sc[0], &d.pred[0], ss, se, al); err != nil {
					return err
				}
				continue
			}
			for i := range sc {
				c := sc[i].c
				for v := 0; v < c.V; v++ {
					for h := 0; h < c.H; h++ {
						if err := d.block(kind, c.Block(mx*c.H+h, my*c.V+v), &sc[i], &d.pred[i], ss, se, al); err != nil {
							return err
						}
					}
				}
			}
		}
		if d.br.overrun() {
			return errTruncated
		}
	}
	return nil
}

func (d *decoder) block(kind int, blk []int16, s *scanComp, pred *int32, ss, se, al int) error {
	switch kind {
	case scanSequential:
		return d.refBlock(d, blk, s, pred)
	case scanDCFirst:
		return d.dcFirst(blk, s, pred, al)
	case scanDCRefine:
		if d.br.bit() {
			blk[0] |= 1 << al
		}
		return nil
	case scanACFirst:
		return d.acFirst(blk, s, ss, se, al)
	default:
		return d.acRefine(blk, s, ss, se, al)
	}
}

var errCoefRange = &FormatError{Msg: "coefficient out of range"}

// dcFirst decodes the first DC scan of a progressive frame (T.81 G.1.2.1).
func (d *decoder) dcFirst(blk []int16, s *scanComp, pred *int32, al int) error {
	t, err := d.br.decode(s.dc)
	if err != nil {
		return err
	}
	if t > 11 {
		return formatErr("DC difference category %d", t)
	}
	p := *pred + d.br.receiveExtend(uint(t))
	v := p << al
	if v < -32768 || v > 32767 || p < -32768 || p > 32767 {
		return errCoefRange
	}
	*pred = p
	blk[0] = int16(v)
	return nil
}

// acFirst decodes a block of a first AC scan (T.81 G.1.2.2).
func (d *decoder) acFirst(blk []int16, s *scanComp, ss, se, al int) error {
	if d.eobrun > 0 {
		d.eobrun--
		return nil
	}
	br := &d.br
	ac := s.ac
	for k := ss; k <= se; {
		if br.n < 32 {
			br.fill()
		}
		if e := ac.fast[br.acc>>(64-lutBits)]; e != 0 && e>>8&0xFF != fastEOB {
			l := uint(e & 0xFF)
			br.acc <<= l
			br.n -= l
			k += int(e >> 8 & 0xFF)
			v := e >> 16 << al
			if k > se || v < -32768 || v > 32767 {
				return formatErr("AC coefficient past the band or out of range")
			}
			blk[k] = int16(v)
			k++
			continue
		}
		rs, err := br.decode(ac)
		if err != nil {
			return err
		}
		r, t := int(rs>>4), uint(rs&15)
		if t == 0 {
			if r < 15 {
				d.eobrun = 1 << r
				if r > 0 {
					d.eobrun += br.bits(uint(r))
				}
				d.eobrun--
				return nil
			}
			k += 16
			continue
		}
		k += r
		if k > se || t > 10 {
			return formatErr("AC coefficient past the band or too large")
		}
		v := br.receiveExtend(t) << al
		if v < -32768 || v > 32767 {
			return errCoefRange
		}
		blk[k] = int16(v)
		k++
	}
	return nil
}

// acRefine decodes a block of an AC refinement scan (T.81 G.1.2.3), in
// libjpeg's order: correction bits for coefficients already non-zero are
// interleaved with the run of zero-history coefficients being skipped.
func (d *decoder) acRefine(blk []int16, s *scanComp, ss, se, al int) error {
	br := &d.br
	p1, m1 := int16(1)<<al, int16(-1)<<al
	k := ss
	if d.eobrun == 0 {
		for ; k <= se; k++ {
			rs, err := br.decode(s.ac)
			if err != nil {
				return err
			}
			r, t := int(rs>>4), rs&15
			var val int16
			if t != 0 {
				if t != 1 {
					return formatErr("AC refinement magnitude %d", t)
				}
				if br.bit() {
					val = p1
				} else {
					val = m1
				}
			} else if r != 15 {
				d.eobrun = 1 << r
				if r > 0 {
					d.eobrun += br.bits(uint(r))
				}
				break
			}
			for ; k <= se; k++ {
				c := &blk[k]
				if *c != 0 {
					if br.n == 0 {
						br.fill()
					}
					if br.take1() && *c&p1 == 0 {
						if *c >= 0 {
							*c += p1
						} else {
							*c += m1
						}
					}
				} else {
					if r == 0 {
						break
					}
					r--
				}
			}
			if val != 0 {
				if k > se {
					return formatErr("AC refinement past the band")
				}
				blk[k] = val
			}
		}
	}
	if d.eobrun > 0 {
		// Only the coefficients already non-zero take a correction bit: visit
		// just those, in order.
		band := (uint64(1)<<(se+1) - 1) &^ (uint64(1)<<k - 1)
		for m := nonzero(blk) & band; m != 0; m &= m - 1 {
			c := &blk[bits.TrailingZeros64(m)]
			if br.n == 0 {
				br.fill()
			}
			if br.take1() && *c&p1 == 0 {
				if *c >= 0 {
					*c += p1
				} else {
					*c += m1
				}
			}
		}
		d.eobrun--
	}
	return nil
}
