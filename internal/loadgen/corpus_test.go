package loadgen

import (
	"bytes"
	"errors"
	"image/jpeg"
	"math"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

func TestCorpusIsDeterministicAndVaried(t *testing.T) {
	cfg := CorpusConfig{N: 200, AvgSize: 80 << 10, MinSize: 50 << 10, MaxSize: 200 << 10, HostileRate: 0.2, StormRate: 0.1, Seed: 5, Prefix: "t/"}
	a, b := NewCorpus(cfg), NewCorpus(cfg)
	kinds := map[Kind]int{}
	keys := map[string]bool{}
	storms := 0
	for i, it := range a.Items {
		if it.Key != b.Items[i].Key || !bytes.Equal(a.Body(it, 0), b.Body(b.Items[i], 0)) {
			t.Fatalf("item %d differs between two corpora of the same seed", i)
		}
		if keys[it.Key] {
			t.Fatalf("duplicate key %q", it.Key)
		}
		keys[it.Key] = true
		kinds[it.Kind]++
		if it.Versions == 2 {
			storms++
			var s0, s1 bytes.Buffer
			metadata.Strip(&s0, bytes.NewReader(a.Body(it, 0)), metadata.DefaultPolicy())
			metadata.Strip(&s1, bytes.NewReader(a.Body(it, 1)), metadata.DefaultPolicy())
			if s0.Len() == 0 || bytes.Equal(s0.Bytes(), s1.Bytes()) {
				t.Errorf("%s: the two versions of a storm key give the same output", it.Key)
			}
		}
	}
	for _, k := range append([]Kind{Photo}, hostileKinds...) {
		if kinds[k] == 0 {
			t.Errorf("no %s in %v", k, kinds)
		}
	}
	if storms == 0 {
		t.Error("no storm keys")
	}
}

// Photos carry metadata the policy removes and strip cleanly; hostile files
// are refused by the parser (the bomb by its pixel count, once the limit is
// below its 80 megapixels).
func TestCorpusKindsBehaveAsLabelled(t *testing.T) {
	co := NewCorpus(CorpusConfig{N: 120, AvgSize: 60 << 10, MinSize: 50 << 10, MaxSize: 100 << 10, HostileRate: 0.3, Seed: 6})
	p := metadata.DefaultPolicy()
	withMeta := 0
	for _, it := range co.Items {
		body := co.Body(it, 0)
		var out bytes.Buffer
		_, err := metadata.Strip(&out, bytes.NewReader(body), p)
		switch it.Kind {
		case Photo:
			if err != nil {
				t.Fatalf("%s: strip: %v", it.Key, err)
			}
			if ins, err := metadata.Inspect(bytes.NewReader(body), p); err == nil && !ins.Clean {
				withMeta++
			}
		case Bomb:
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(body))
			if err != nil || cfg.Width*cfg.Height < 80_000_000 {
				t.Errorf("%s: bomb header %dx%d (%v), want 80 MP", it.Key, cfg.Width, cfg.Height, err)
			}
			small := p
			small.Limits.MaxPixels = 50_000_000
			var tm *metadata.TooManyPixelsError
			if _, err := metadata.Strip(&out, bytes.NewReader(body), small); !errors.As(err, &tm) {
				t.Errorf("%s: strip with a 50 MP limit: %v, want TooManyPixelsError", it.Key, err)
			}
		default:
			if err == nil {
				t.Errorf("%s: a %s file stripped without error", it.Key, it.Kind)
			}
		}
	}
	if withMeta < kinds(co, Photo)*8/10 {
		t.Errorf("only %d photos carry metadata", withMeta)
	}
}

func kinds(co *Corpus, k Kind) int {
	n := 0
	for _, it := range co.Items {
		if it.Kind == k {
			n++
		}
	}
	return n
}

func TestCorpusSizes(t *testing.T) {
	co := NewCorpus(CorpusConfig{N: 200, AvgSize: 200 << 10, MinSize: 50 << 10, MaxSize: 1 << 20, Seed: 7})
	var total int64
	n := 0
	for _, it := range co.Items {
		if it.Kind != Photo {
			continue
		}
		b := co.Body(it, 0)
		if len(b) < 40<<10 || len(b) > 3<<20/2 {
			t.Errorf("%s: %d bytes outside 50 KB–1 MB (with metadata)", it.Key, len(b))
		}
		total += int64(len(b))
		n++
	}
	if avg := total / int64(n); avg < 120<<10 || avg > 300<<10 {
		t.Errorf("average %d KB, want about 200", avg>>10)
	}
}

func TestExiftoolFindings(t *testing.T) {
	clean := map[string]any{"SourceFile": "x", "System:FileSize": "1 kB", "File:ImageWidth": 10.0, "JFIF:JFIFVersion": 1.02,
		"ICC_Profile:ProfileDescription": "sRGB", "ICC-header:ProfileVersion": "2.1", "Composite:ImageSize": "10x10",
		"IFD0:Orientation": "Rotate 90 CW", "ExifTool:ExifToolVersion": 12.57}
	if bad := exiftoolFindings(clean); len(bad) != 0 {
		t.Errorf("clean record flagged: %v", bad)
	}
	for tag, v := range map[string]any{"GPS:GPSLatitude": "1", "IFD0:Make": "Canon", "ExifIFD:SerialNumber": "1", "XMP-exif:GPSLatitude": "1",
		"IPTC:By-line": "x", "File:Comment": "x", "Composite:GPSPosition": "x", "ExifTool:Warning": "[minor] Trailer data after JPEG EOI",
		"IFD1:ThumbnailImage": "x", "MakerNotes:Serial": "1", "JFIF:ThumbnailImage": "x"} {
		rec := map[string]any{tag: v}
		if bad := exiftoolFindings(rec); len(bad) != 1 {
			t.Errorf("%s not flagged", tag)
		}
	}
}

func TestPercentile(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct{ p, want float64 }{{50, 5}, {95, 10}, {99, 10}, {10, 1}} {
		if got := percentile(v, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("empty")
	}
}

// The average photo upload is the size asked for (within 6%: the sample of 3,000 has a standard error of ~2.5%), metadata
// included, though sizes are clipped and rounded to the pool's pictures.
func TestCorpusAverageSizeIsAsAsked(t *testing.T) {
	for _, avg := range []int64{120 << 10, 300 << 10} {
		co := NewCorpus(CorpusConfig{N: 3000, AvgSize: avg, MinSize: 50 << 10, MaxSize: 2 << 20, Seed: 7})
		var sum, n float64
		for _, it := range co.Items {
			sum += float64(len(co.Body(it, 0)))
			n++
		}
		got := sum / n
		if math.Abs(got-float64(avg))/float64(avg) > 0.06 {
			t.Errorf("asked for %d KB on average, got %.0f KB", avg>>10, got/1024)
		}
	}
}
