package metadata

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/maphash"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// runChecker feeds a whole file to the self-check as Strip does.
func runChecker(b []byte, p Policy) error {
	chk := &checker{p: p, mh: &blockHash{}}
	chk.mh.reset(maphash.MakeSeed())
	sink := jpeg.NewSink(chk.part)
	if _, err := sink.Write(b); err != nil {
		return err
	}
	return sink.Close()
}

// TestCheckerRejects: the self-check refuses every output a bug in Strip could
// produce, and accepts what Strip writes.
func TestCheckerRejects(t *testing.T) {
	img := jpegfixture.Progressive(32, 32, 1)
	noICC := DefaultPolicy()
	noICC.KeepICC = false
	drop := DefaultPolicy()
	drop.Orientation = OrientationDrop
	bad := map[string]struct {
		file []byte
		p    Policy
	}{
		"comment":            {jpegfixture.New(img).Add(jpegfixture.Comment("x")).Bytes(), DefaultPolicy()},
		"trailer":            {jpegfixture.New(img).Trailer([]byte("x")).Bytes(), DefaultPolicy()},
		"JFIF thumbnail":     {jpegfixture.New(img).Add(jpegfixture.JFIF(1, 1)).Bytes(), DefaultPolicy()},
		"Exif with Make":     {jpegfixture.New(img).Add(jpegfixture.Exif(jpegfixture.ExifSpec{Orientation: 6, Make: "X"})).Bytes(), DefaultPolicy()},
		"two Exif":           {jpegfixture.New(img).Add(jpegfixture.OrientationOnly(6, nil), jpegfixture.OrientationOnly(6, nil)).Bytes(), DefaultPolicy()},
		"Exif under drop":    {jpegfixture.New(img).Add(jpegfixture.OrientationOnly(6, nil)).Bytes(), drop},
		"ICC under drop":     {jpegfixture.New(img).Add(jpegfixture.ICC(jpegfixture.ICCProfile(200), 0)...).Bytes(), noICC},
		"APPn between scans": {jpegfixture.New(img).AfterFirstScan(jpegfixture.App(1, []byte("x"))).Bytes(), DefaultPolicy()},
		"Adobe after scan":   {jpegfixture.New(img).AfterFirstScan(jpegfixture.Adobe(1)).Bytes(), DefaultPolicy()},
		"junk":               {append(img[:2:2], append([]byte{0, 0}, img[2:]...)...), DefaultPolicy()},
	}
	for name, tt := range bad {
		var mr *MetadataRemainsError
		if err := runChecker(tt.file, tt.p); !errors.As(err, &mr) {
			t.Errorf("%s: got %v, want MetadataRemainsError", name, err)
		}
	}
	good := jpegfixture.New(img).Add(jpegfixture.JFIF(0, 0), jpegfixture.OrientationOnly(6, binary.LittleEndian), jpegfixture.Adobe(1)).
		Add(jpegfixture.ICC(jpegfixture.ICCProfile(200), 100)...).Bytes()
	if err := runChecker(good, DefaultPolicy()); err != nil {
		t.Errorf("clean file refused: %v", err)
	}
}

// TestBlockHash: the self-check digest depends on the bytes, not on how they
// arrive.
func TestBlockHash(t *testing.T) {
	data := jpegfixture.Blocks(200, 200, 1, jpegfixture.Coding{Noise: true})
	seed := maphash.MakeSeed()
	sum := func(b []byte, step int) uint64 {
		var h blockHash
		h.reset(seed)
		for i := 0; i < len(b); i += step {
			h.Write(b[i:min(i+step, len(b))])
		}
		return h.Sum64()
	}
	want := sum(data, len(data))
	for _, step := range []int{1, 7, 4096, hashChunk - 1, hashChunk, hashChunk + 1} {
		if got := sum(data, step); got != want {
			t.Errorf("step %d: %x, want %x", step, got, want)
		}
	}
	flipped := bytes.Clone(data)
	flipped[len(flipped)/2] ^= 1
	if sum(flipped, 4096) == want || sum(data[:len(data)-1], 4096) == want {
		t.Error("different data, same digest")
	}
}
