package sanitize

import "github.com/s3-image-sanitizer/s3-image-sanitizer/internal/reuse"

// Photo-sized buffers are recycled. Each photo passes through the steps whole
// three times (Validate, Strip and Verify read it) and once more as Strip's
// output; with a fresh buffer each time a load run allocated ~7 MB per photo,
// which the runtime zeroes, collects and partly hands back to the system, so
// that the next buffers fault in fresh pages (slow on a virtual machine whose
// memory the host backs lazily). A sync.Pool was not enough: every garbage
// collection empties it, and photo-sized allocations make collections
// frequent, so a quarter of what a load run asked for was still fresh memory.
//
// Buffers are made in size classes 1.25× apart, from 64 KiB to 32 MiB, so that
// one freed for a photo fits the next of about its size; larger ones are left
// to the garbage collector.
var bufferClasses = func() []int {
	var sizes []int
	for n := 64 << 10; n <= 32<<20; n += n / 4 {
		sizes = append(sizes, n&^1023)
	}
	return sizes
}()

// buffers holds the free ones: enough for the photos of every Lambda
// environment of a busy local stack (each holds an input and an output) to
// find one, and no more.
var buffers = reuse.List[byte]{Budget: 256 << 20}

// getBuffer returns an empty buffer with room for at least n bytes.
func getBuffer(n int) []byte {
	for _, size := range bufferClasses {
		if size >= n {
			b, _ := buffers.Get(size)
			return b[:0]
		}
	}
	return make([]byte, 0, n)
}

// putBuffer gives b back for reuse; nothing may use it afterwards.
func putBuffer(b []byte) {
	if cap(b) < bufferClasses[0] || cap(b) > bufferClasses[len(bufferClasses)-1] {
		return
	}
	buffers.Put(b)
}
