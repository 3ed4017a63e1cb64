package dct

import "fmt"

// Compare decodes data as Decode does and reports, as a *MismatchError, the
// first difference from want, as Equal(want, Decode(data)) would: in size,
// components, sampling factors, quantisation tables or the coefficients of
// any block that carries image samples. Data that does not decode gives
// Decode's error, unless a difference comes first: a sequential frame is
// compared block by block as it is decoded, with no coefficients kept (a
// component coded twice is then a mismatch too); a progressive frame is
// decoded whole, then compared. Compare(data, want) is nil exactly when
// Decode(data) succeeds and Equal(want, it) is nil, for every file but one
// coding a component twice.
func Compare(data []byte, want *Image, lim Limits) error {
	d := &decoder{want: want}
	_, err := d.decode(data, lim)
	if d.img != nil {
		d.img.Release()
	}
	return err
}

// compareBlock compares block (bx, by) of component ci, just decoded into
// got, with the expected block; padding blocks are not compared.
func (d *decoder) compareBlock(ci, bx, by int, got *[64]int16) error {
	c := &d.img.Components[ci]
	if bx >= c.BlocksW || by >= c.BlocksH || *got == *(*[64]int16)(d.want.Components[ci].Block(bx, by)) {
		return nil
	}
	return &MismatchError{fmt.Sprintf("component %d: block (%d,%d) differs", ci, bx, by)}
}

// compareEnd finishes a comparison at the end of the image: the
// quantisation tables, then, for a progressive frame, every block, and for
// a sequential one the blocks of components no scan coded (zero to a
// decoder).
func (d *decoder) compareEnd() error {
	for i := range d.img.Components {
		if d.want.Components[i].Quant != d.img.Components[i].Quant {
			return &MismatchError{fmt.Sprintf("component %d: quantisation tables differ", i)}
		}
	}
	var zero [64]int16
	for i := range d.img.Components {
		c := &d.img.Components[i]
		if d.stream && d.scanned[i] {
			continue
		}
		for by := 0; by < c.BlocksH; by++ {
			for bx := 0; bx < c.BlocksW; bx++ {
				got := &zero
				if !d.stream {
					got = (*[64]int16)(c.Block(bx, by))
				}
				if *got != *(*[64]int16)(d.want.Components[i].Block(bx, by)) {
					return &MismatchError{fmt.Sprintf("component %d: block (%d,%d) differs", i, bx, by)}
				}
			}
		}
	}
	return nil
}
