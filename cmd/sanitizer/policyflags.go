package main

import (
	"flag"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// policyFlags are the policy switches strip, inspect and verify share.
type policyFlags struct {
	orientation string
	dropICC     bool
	maxBytes    int64
	maxPixels   int64
}

func (f *policyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.orientation, "orientation", string(metadata.DefaultPolicy().Orientation),
		"Exif Orientation 2-8: transform (rotate/mirror losslessly and drop Exif; where impossible, keep), "+
			"keep (a minimal Exif holding only Orientation) or drop")
	fs.BoolVar(&f.dropICC, "drop-icc", false, "remove ICC colour profiles too (colours may change on wide-gamut photos)")
	fs.Int64Var(&f.maxBytes, "max-bytes", metadata.DefaultMaxBytes, "refuse inputs larger than this many bytes (-1: no limit)")
	fs.Int64Var(&f.maxPixels, "max-pixels", metadata.DefaultMaxPixels, "refuse frames with more pixels than this (-1: no limit)")
}

func (f *policyFlags) policy() (metadata.Policy, error) {
	p := metadata.DefaultPolicy()
	mode, err := metadata.ParseOrientationMode(f.orientation)
	if err != nil {
		return p, err
	}
	p.Orientation = mode
	p.KeepICC = !f.dropICC
	p.Limits = metadata.Limits{MaxBytes: f.maxBytes, MaxPixels: f.maxPixels}
	return p, nil
}
