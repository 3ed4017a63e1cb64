package metadata

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"hash/maphash"
	"runtime"
	"sync"
	"sync/atomic"
)

// hashChunk is the unit handed to the hashing goroutine.
const hashChunk = 64 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, hashChunk); return &b }}

// imageDigest computes the sha256 of the image data. sha256 is the most
// expensive step of Strip (about 1.5 GB/s with SHA-NI, slower than parsing,
// copying and checking together), so where a processor is idle, once the data
// exceeds one chunk it is copied into pooled chunks and hashed by a second
// goroutine, in parallel with the rest of the walk; small images are hashed
// at the end. Where every processor already runs a digest (a batch strips as
// many files at once as there are processors) a second goroutine would only
// add copies and hand-offs, so the data is hashed as it comes.
type imageDigest struct {
	h        hash.Hash
	cur      *[]byte // nil when hashing inline
	full     chan *[]byte
	done     chan struct{}
	finished bool
}

// digestsRunning counts the imageDigests not yet finished.
var digestsRunning atomic.Int32

func newImageDigest() *imageDigest {
	d := &imageDigest{h: sha256.New()}
	// Each parallel digest keeps two goroutines busy. Processors are the
	// cores the process may use: sanitizer run gives the runtime more Ps
	// than cores (see its tuneScheduler), and counting those would start
	// hashing goroutines with no core free for them.
	if 2*int(digestsRunning.Add(1)) <= min(runtime.NumCPU(), runtime.GOMAXPROCS(0)) {
		d.cur = chunkPool.Get().(*[]byte)
	}
	return d
}

func (d *imageDigest) Write(p []byte) {
	if d.cur == nil {
		d.h.Write(p)
		return
	}
	for len(p) > 0 {
		b := *d.cur
		n := copy(b[len(b):cap(b)], p)
		*d.cur = b[:len(b)+n]
		p = p[n:]
		if len(*d.cur) == cap(*d.cur) {
			d.send()
		}
	}
}

// send hands the current chunk to the hashing goroutine, starting it on first use.
func (d *imageDigest) send() {
	if d.full == nil {
		d.full = make(chan *[]byte, 4)
		d.done = make(chan struct{})
		go func() {
			for c := range d.full {
				d.h.Write(*c)
				*c = (*c)[:0]
				chunkPool.Put(c)
			}
			close(d.done)
		}()
	}
	d.full <- d.cur
	d.cur = chunkPool.Get().(*[]byte)
}

// finish waits for the hashing goroutine; the digest must not be written after.
// A nil digest (none computed) has nothing to finish.
func (d *imageDigest) finish() {
	if d == nil || d.finished {
		return
	}
	d.finished = true
	digestsRunning.Add(-1)
	if d.cur == nil {
		return
	}
	if d.full != nil {
		close(d.full)
		<-d.done
	}
	d.h.Write(*d.cur)
	*d.cur = (*d.cur)[:0]
	chunkPool.Put(d.cur)
	d.cur = nil
}

// hex returns the digest, finishing it first.
func (d *imageDigest) hex() string {
	d.finish()
	return hex.EncodeToString(d.h.Sum(nil))
}

// blockHash is Strip's self-check digest: a seeded maphash over fixed 64 KiB
// blocks of the image data, chained in order. The input side and the output
// side see the same bytes in different pieces; fixed blocks make the result
// independent of the pieces, and maphash.Bytes over big blocks runs near
// memory speed (maphash.Hash.Write works in 128-byte steps and is several
// times slower). It detects Strip bugs, not adversaries: the seed is random
// per call and never leaves the process.
type blockHash struct {
	seed maphash.Seed
	buf  []byte
	sum  uint64
}

// reset starts a new digest with seed, keeping the block buffer.
func (h *blockHash) reset(seed maphash.Seed) {
	if h.buf == nil {
		h.buf = make([]byte, 0, hashChunk)
	}
	h.seed, h.buf, h.sum = seed, h.buf[:0], 0
}

func (h *blockHash) Write(p []byte) {
	for len(p) > 0 {
		if len(h.buf) == 0 && len(p) >= hashChunk {
			h.block(p[:hashChunk])
			p = p[hashChunk:]
			continue
		}
		n := copy(h.buf[len(h.buf):cap(h.buf)], p)
		h.buf = h.buf[:len(h.buf)+n]
		p = p[n:]
		if len(h.buf) == cap(h.buf) {
			h.block(h.buf)
			h.buf = h.buf[:0]
		}
	}
}

func (h *blockHash) block(b []byte) {
	h.sum = (h.sum^maphash.Bytes(h.seed, b))*0x9E3779B97F4A7C15 + uint64(len(b))
}

// Sum64 returns the digest of everything written.
func (h *blockHash) Sum64() uint64 {
	s := h.sum
	if len(h.buf) > 0 {
		s = (s^maphash.Bytes(h.seed, h.buf))*0x9E3779B97F4A7C15 + uint64(len(h.buf))
	}
	return s
}
