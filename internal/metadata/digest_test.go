package metadata

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestImageDigestInlineAndParallel: the digest is sha256 of the data whether
// it is hashed inline (every processor busy) or by the hashing goroutine, in
// any pieces.
func TestImageDigestInlineAndParallel(t *testing.T) {
	data := make([]byte, 5*hashChunk+1234)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	for _, inline := range []bool{false, true} {
		if inline {
			digestsRunning.Add(1000) // as if a thousand digests ran
		}
		d := newImageDigest()
		if inline {
			digestsRunning.Add(-1000)
		}
		if (d.cur == nil) != inline {
			t.Fatalf("inline %v: chunked %v", inline, d.cur != nil)
		}
		for p := data; len(p) > 0; {
			n := min(len(p), 1+rng.IntN(3*hashChunk/2))
			d.Write(p[:n])
			p = p[n:]
		}
		if got := d.hex(); got != want {
			t.Fatalf("inline %v: digest %s, want %s", inline, got, want)
		}
		d.finish() // finishing twice counts once
	}
	if n := digestsRunning.Load(); n != 0 {
		t.Fatalf("%d digests still counted as running", n)
	}
}
