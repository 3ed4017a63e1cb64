package metadata

import "fmt"

// PolicyVersion names the keep/remove rules this package implements. It changes
// whenever what is kept or removed changes.
const PolicyVersion = "strip-v2" // v2: orientation mode "transform" is the default

// OrientationMode says what happens to the Exif Orientation tag.
type OrientationMode string

const (
	// OrientationKeep writes a minimal Exif APP1 holding only Orientation when
	// the input's Orientation is 2–8, so viewers still show the photo upright.
	OrientationKeep OrientationMode = "keep"
	// OrientationDrop removes the tag with the rest of Exif.
	OrientationDrop OrientationMode = "drop"
)

// Limits bound what is accepted. A zero field means the default; a negative
// one means no limit.
type Limits struct {
	MaxBytes  int64 `json:"maxBytes"`  // input size in bytes, trailer included
	MaxPixels int64 `json:"maxPixels"` // width × height from the frame header
	// MaxTransformMemory bounds the memory a lossless rotation may take, in
	// bytes, estimated from the frame before decoding (see transformImage);
	// an image that would need more keeps a minimal Orientation tag instead.
	// Zero or negative: no bound beyond MaxPixels (a 100 MP 4:4:4 rotation
	// takes about 1.3 GB). A Lambda function sets it from its memory size.
	MaxTransformMemory int64 `json:"maxTransformMemory,omitempty"`
}

// Default limits: large enough for any camera, small enough to refuse bombs.
const (
	DefaultMaxBytes  = 256 << 20
	DefaultMaxPixels = 100_000_000
)

// DefaultLimits returns 256 MiB and 100 megapixels.
func DefaultLimits() Limits { return Limits{MaxBytes: DefaultMaxBytes, MaxPixels: DefaultMaxPixels} }

func (l Limits) maxBytes() int64 {
	if l.MaxBytes == 0 {
		return DefaultMaxBytes
	}
	return l.MaxBytes
}

func (l Limits) maxPixels() int64 {
	if l.MaxPixels == 0 {
		return DefaultMaxPixels
	}
	return l.MaxPixels
}

// Policy is what Strip keeps and refuses. Record it with every result.
type Policy struct {
	Version     string          `json:"version"`
	Orientation OrientationMode `json:"orientation"`
	KeepICC     bool            `json:"keepICC"`
	Limits      Limits          `json:"limits"`
}

// DefaultPolicy keeps ICC profiles and transforms oriented images (keeping a
// minimal Orientation tag where that is impossible), with default limits.
func DefaultPolicy() Policy {
	return Policy{Version: PolicyVersion, Orientation: OrientationTransform, KeepICC: true, Limits: DefaultLimits()}
}

// ParseOrientationMode accepts "transform", "keep" and "drop".
func ParseOrientationMode(s string) (OrientationMode, error) {
	switch m := OrientationMode(s); m {
	case OrientationTransform, OrientationKeep, OrientationDrop:
		return m, nil
	}
	return "", fmt.Errorf("unknown orientation mode %q (want transform, keep or drop)", s)
}

func (p Policy) check() error {
	if p.Version != "" && p.Version != PolicyVersion {
		return fmt.Errorf("metadata: policy version %q is not this build's %q", p.Version, PolicyVersion)
	}
	switch p.Orientation {
	case "", OrientationKeep, OrientationDrop, OrientationTransform:
		return nil
	}
	return fmt.Errorf("metadata: unknown orientation mode %q", p.Orientation)
}

// keepOrientation: the transform mode keeps the minimal tag where it cannot
// transform, so its outputs may hold it too.
func (p Policy) keepOrientation() bool {
	return p.Orientation == "" || p.Orientation == OrientationKeep || p.Orientation == OrientationTransform
}
