package loadgen

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// Kind says what an upload is and so what the pipeline must do with it.
type Kind string

// Photos must come out clean; the other kinds must be rejected and notified.
const (
	Photo     Kind = "photo"
	PNG       Kind = "png"       // a PNG file named .jpg
	Truncated Kind = "truncated" // a photo cut short
	Bomb      Kind = "bomb"      // a tiny file whose header claims 80 megapixels
	Garbage   Kind = "garbage"   // random bytes, some behind a JPEG signature
)

var hostileKinds = []Kind{PNG, Truncated, Bomb, Garbage}

// Hostile reports whether the pipeline must reject uploads of kind k.
func (k Kind) Hostile() bool { return k != Photo }

// CorpusConfig shapes the generated uploads.
type CorpusConfig struct {
	N int // number of keys
	// Sizes of photos: log-normal around AvgSize, clipped to [MinSize, MaxSize].
	AvgSize, MinSize, MaxSize int64
	HostileRate               float64 // fraction of keys holding a hostile file
	// StormRate is the fraction of photo keys uploaded twice, two different
	// versions within milliseconds; the output must be the newer one's.
	StormRate float64
	Prefix    string // key prefix
	Seed      uint64
}

// Item is one key of the corpus and how to build its versions.
type Item struct {
	Key      string
	Kind     Kind
	Versions int // 1, or 2 for a storm key
	bases    [2]int
	variant  uint64
}

// Corpus is a deterministic set of uploads. Photos share a pool of encoded
// pictures of graded sizes; each upload gets its own metadata, so every body
// is distinct while generation stays cheap enough not to compete with the
// stack for CPU.
type Corpus struct {
	Items  []Item
	pool   [][]byte
	thumbs [][]byte
	icc    []byte
}

// NewCorpus generates the corpus for c.
func NewCorpus(c CorpusConfig) *Corpus {
	if c.MinSize <= 0 {
		c.MinSize = 50 << 10
	}
	if c.MaxSize < c.MinSize {
		c.MaxSize = max(12<<20, c.MinSize)
	}
	if c.AvgSize <= 0 {
		c.AvgSize = 1 << 20
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x10ad))
	co := &Corpus{
		thumbs: [][]byte{jpegfixture.Baseline(160, 120, 11), jpegfixture.Baseline(120, 160, 12)},
		icc:    jpegfixture.ICCProfile(3144),
	}
	// Pool of pictures, sizes in a geometric series from MinSize to MaxSize.
	const steps = 24
	sizes := make([]int64, 0, steps)
	for i := 0; i < steps; i++ {
		s := float64(c.MinSize) * math.Pow(float64(c.MaxSize)/float64(c.MinSize), float64(i)/(steps-1))
		if len(sizes) > 0 && int64(s) <= sizes[len(sizes)-1] {
			continue
		}
		sizes = append(sizes, int64(s))
	}
	for i, s := range sizes {
		co.pool = append(co.pool, picture(s, uint32(i+1)))
	}
	// Sizes are log-normal with sigma 1, clipped to [MinSize, MaxSize] and
	// rounded to the pool's pictures; each photo adds its metadata on top.
	pick := func(mu, z float64) int {
		s := math.Exp(mu + z)
		s = math.Min(math.Max(s, float64(c.MinSize)), float64(c.MaxSize))
		i := sort.Search(len(sizes), func(i int) bool { return float64(sizes[i]) >= s })
		if i > 0 && (i == len(sizes) || s/float64(sizes[i-1]) < float64(sizes[i])/s) {
			i--
		}
		return i
	}
	mu := co.calibrate(c, pick)
	for i := 0; i < c.N; i++ {
		it := Item{Kind: Photo, Versions: 1, variant: rng.Uint64()}
		if rng.Float64() < c.HostileRate {
			it.Kind = hostileKinds[rng.IntN(len(hostileKinds))]
		}
		it.bases = [2]int{pick(mu, rng.NormFloat64()), pick(mu, rng.NormFloat64())}
		if it.Kind == Photo && rng.Float64() < c.StormRate {
			it.Versions = 2
			// The second upload is another picture (an edit, a retake), so
			// the two outputs differ and the newer one can be told apart.
			if it.bases[1] == it.bases[0] && len(co.pool) > 1 {
				it.bases[1] = (it.bases[0] + 1) % len(co.pool)
			}
		}
		it.Key = c.Prefix + keyName(i, it, rng)
		co.Items = append(co.Items, it)
	}
	return co
}

// calibrate returns the mu that makes the average photo upload AvgSize bytes:
// clipping, rounding to the pool and the metadata move the mean away from the
// log-normal's exp(mu + 1/2), which would make "1 MB photos" 1.2 MB on average.
// The mean is taken over a fixed sample of deviates, so it is deterministic
// and monotone in mu, and found by bisection.
func (co *Corpus) calibrate(c CorpusConfig, pick func(mu, z float64) int) float64 {
	zs := make([]float64, 4000)
	zr := rand.New(rand.NewPCG(1, 2))
	for i := range zs {
		zs[i] = zr.NormFloat64()
	}
	// The metadata a photo carries, measured on the smallest picture.
	var extra float64
	base := int64(len(co.pool[0]))
	for v := range 40 {
		it := Item{Kind: Photo, variant: uint64(v)}
		extra += float64(int64(len(co.Body(it, 0))) - base)
	}
	extra /= 40
	mean := func(mu float64) float64 {
		var sum float64
		for _, z := range zs {
			sum += float64(len(co.pool[pick(mu, z)]))
		}
		return sum/float64(len(zs)) + extra
	}
	lo, hi := math.Log(float64(c.MinSize))-4, math.Log(float64(c.MaxSize))+4
	for range 60 {
		mid := (lo + hi) / 2
		if mean(mid) < float64(c.AvgSize) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// keyName gives most keys a camera-like name and some the characters keys
// must survive: spaces, plus signs, percent signs, non-ASCII letters.
func keyName(i int, it Item, rng *rand.Rand) string {
	ext := []string{".jpg", ".jpg", ".jpg", ".JPG", ".jpeg"}[rng.IntN(5)]
	kind := ""
	if it.Kind.Hostile() {
		kind = "-" + string(it.Kind)
	}
	if it.Versions == 2 {
		kind = "-storm"
	}
	switch rng.IntN(10) {
	case 0:
		return fmt.Sprintf("album/été 2026/IMG %05d+copy 100%%%s%s", i, kind, ext)
	case 1:
		return fmt.Sprintf("users/42/ファイル_%05d%s%s", i, kind, ext)
	}
	return fmt.Sprintf("camera/DSC_%05d%s%s", i, kind, ext)
}

// picture encodes a noisy picture of about size bytes with dimensions that
// are multiples of 16 (so rotations are lossless); a third are progressive.
func picture(size int64, seed uint32) []byte {
	const bytesPerPixel = 1.77 // measured for Blocks with Noise, 3 components
	px := float64(size) / bytesPerPixel
	w := int(math.Sqrt(px*4/3)) / 16 * 16
	h := int(px/float64(max(w, 16))) / 16 * 16
	w, h = max(w, 16), max(h, 16)
	return jpegfixture.Blocks(w, h, seed, jpegfixture.Coding{Noise: true, Progressive: seed%3 == 0, RestartInterval: int(seed%5) * 8})
}

// Body builds version v (0 or 1) of it's upload.
func (co *Corpus) Body(it Item, v int) []byte {
	rng := rand.New(rand.NewPCG(it.variant, uint64(v)))
	switch it.Kind {
	case PNG:
		return pngFile(rng)
	case Truncated:
		full := co.photo(it, v, rng, false)
		return full[:len(full)*(30+rng.IntN(60))/100]
	case Bomb:
		return bomb(10328, 7760)
	case Garbage:
		b := make([]byte, 1024+rng.IntN(256<<10))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if rng.IntN(2) == 0 {
			copy(b, []byte{0xFF, 0xD8, 0xFF, 0xE0})
		}
		return b
	}
	return co.photo(it, v, rng, true)
}

// photo wraps a pool picture in the metadata phones, cameras and editors
// write: Exif (GPS, serials, owner, maker notes, a thumbnail), XMP and
// Extended XMP, IPTC, ICC profiles, JFIF thumbnails, comments, vendor APPn
// segments, and (with trailers) MPF side images and data after EOI.
func (co *Corpus) photo(it Item, v int, rng *rand.Rand, trailers bool) []byte {
	f := jpegfixture.New(co.pool[it.bases[v]])
	chance := func(p float64) bool { return rng.Float64() < p }
	if chance(0.4) {
		f.Add(jpegfixture.JFIF(0, 0))
	}
	if chance(0.9) {
		spec := jpegfixture.ExifSpec{Order: binary.LittleEndian,
			Make:  []string{"Apple", "Canon", "NIKON CORPORATION", "samsung", "FUJIFILM"}[rng.IntN(5)],
			Model: fmt.Sprintf("Model %d", rng.IntN(40)), Software: "17.2.1",
			DateTimeOriginal: fmt.Sprintf("2026:%02d:%02d 12:%02d:%02d", 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(60), rng.IntN(60)),
			SerialNumber:     fmt.Sprintf("SN%016x", it.variant+uint64(v)),
			ImageUniqueID:    fmt.Sprintf("%032x", rng.Uint64()),
			GPS:              chance(0.7),
		}
		if chance(0.5) {
			spec.Order = binary.BigEndian
		}
		if chance(0.4) {
			spec.OwnerName, spec.Artist = "Jane Photographer", "Jane Photographer"
		}
		if chance(0.5) {
			spec.MakerNote = bytes.Repeat([]byte{byte(rng.Uint32())}, 1024+rng.IntN(7<<10))
		}
		if chance(0.7) {
			spec.Thumbnail = co.thumbs[rng.IntN(len(co.thumbs))]
		}
		switch r := rng.Float64(); {
		case r < 0.15:
			spec.Orientation = 6
		case r < 0.2:
			spec.Orientation = 3 + 5*rng.IntN(2) // 3 or 8
		case r < 0.7:
			spec.Orientation = 1
		}
		f.Add(jpegfixture.Exif(spec))
	}
	if chance(0.5) {
		f.Add(jpegfixture.XMP(fmt.Sprintf(`<exif:GPSLatitude>%d,%d.%dN</exif:GPSLatitude><tiff:Make>Canon</tiff:Make><xmp:CreatorTool>Editor %d</xmp:CreatorTool>`,
			rng.IntN(90), rng.IntN(60), rng.IntN(10), rng.IntN(9))))
	}
	if chance(0.05) {
		f.Add(jpegfixture.ExtendedXMP(`<GImage:Data>`+strings.Repeat("QUJD", 20000)+`</GImage:Data>`, 65000)...)
	}
	if chance(0.2) {
		f.Add(jpegfixture.Photoshop("Jane Photographer", "Paris", nil))
	}
	if chance(0.3) {
		f.Add(jpegfixture.ICC(co.icc, 60000)...)
	}
	if chance(0.1) {
		f.Add(jpegfixture.Ducky())
	}
	if chance(0.05) {
		f.Add(jpegfixture.FlashPix())
	}
	if chance(0.3) {
		f.Add(jpegfixture.Comment(fmt.Sprintf("shot at %d Example Street, customer %d", rng.IntN(200), rng.IntN(1e6))))
	}
	if !trailers {
		return f.Bytes()
	}
	if chance(0.05) {
		side := co.thumbs[0]
		f.Add(jpegfixture.MPF(0, uint32(len(side)), 0)).Trailer(side)
	} else if chance(0.03) {
		f.Trailer(jpegfixture.ZipArchive("secret.txt", "trailing data"))
	}
	return f.Bytes()
}

// pngFile is a PNG signature and IHDR followed by noise: what a phone
// "Save as" or a renamed screenshot gives.
func pngFile(rng *rand.Rand) []byte {
	b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x04\x00\x00\x00\x03\x00\x08\x02\x00\x00\x00\x00\x00\x00\x00")
	n := 20<<10 + rng.IntN(200<<10)
	for len(b) < n {
		b = append(b, byte(rng.Uint32()))
	}
	return b
}

// bomb is a small baseline JPEG whose frame header claims w×h pixels: the
// decompression bomb a parser must refuse before allocating for it.
func bomb(w, h int) []byte {
	b := jpegfixture.Blocks(16, 16, 7, jpegfixture.Coding{})
	for i := 2; i+9 < len(b); {
		if b[i] != 0xFF {
			break
		}
		m, n := b[i+1], int(b[i+2])<<8|int(b[i+3])
		if m == 0xC0 {
			binary.BigEndian.PutUint16(b[i+5:], uint16(h))
			binary.BigEndian.PutUint16(b[i+7:], uint16(w))
			return b
		}
		i += 2 + n
	}
	panic("loadgen: no SOF0 in the bomb's template")
}
