package dct

import "fmt"

// MismatchError reports how two images' coefficients differ.
type MismatchError struct{ Msg string }

func (e *MismatchError) Error() string { return "dct: images differ: " + e.Msg }

// Equal reports, as a *MismatchError, the first difference between a and b
// in size, components, sampling factors, quantisation tables or the
// coefficients of any block that carries image samples. Padding blocks of
// partial MCUs are not compared: no decoder shows them.
func Equal(a, b *Image) error {
	if err := equalFrame(a, b); err != nil {
		return err
	}
	for i := range a.Components {
		ca, cb := &a.Components[i], &b.Components[i]
		if ca.Quant != cb.Quant {
			return &MismatchError{fmt.Sprintf("component %d: quantisation tables differ", i)}
		}
		for by := 0; by < ca.BlocksH; by++ {
			for bx := 0; bx < ca.BlocksW; bx++ {
				if [64]int16(ca.Block(bx, by)) != [64]int16(cb.Block(bx, by)) {
					return &MismatchError{fmt.Sprintf("component %d: block (%d,%d) differs", i, bx, by)}
				}
			}
		}
	}
	return nil
}

// equalFrame compares what a frame header says: size, components and their
// sampling factors.
func equalFrame(a, b *Image) error {
	if a.Width != b.Width || a.Height != b.Height {
		return &MismatchError{fmt.Sprintf("size %dx%d vs %dx%d", a.Width, a.Height, b.Width, b.Height)}
	}
	if len(a.Components) != len(b.Components) {
		return &MismatchError{fmt.Sprintf("%d vs %d components", len(a.Components), len(b.Components))}
	}
	for i := range a.Components {
		ca, cb := &a.Components[i], &b.Components[i]
		if ca.ID != cb.ID || ca.H != cb.H || ca.V != cb.V {
			return &MismatchError{fmt.Sprintf("component %d: id %d %dx%d vs id %d %dx%d", i, ca.ID, ca.H, ca.V, cb.ID, cb.H, cb.V)}
		}
	}
	return nil
}
