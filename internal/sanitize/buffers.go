package sanitize

import "sync"

// Photo-sized buffers are recycled. Each photo passes through the steps whole
// three times (Validate, Strip and Verify read it) and once more as Strip's
// output; with a fresh buffer each time a load run allocated ~7 MB per photo,
// which the runtime zeroes, collects and partly hands back to the system, so
// that the next buffers fault in fresh pages (slow on a virtual machine whose
// memory the host backs lazily).
//
// Buffers are kept in size classes 1.25× apart, from 64 KiB to 32 MiB; larger
// ones are left to the garbage collector.
var bufferClasses = func() []int {
	var sizes []int
	for n := 64 << 10; n <= 32<<20; n += n / 4 {
		sizes = append(sizes, n&^1023)
	}
	return sizes
}()

var bufferPools = make([]sync.Pool, len(bufferClasses))

// getBuffer returns an empty buffer with room for at least n bytes.
func getBuffer(n int) []byte {
	for c, size := range bufferClasses {
		if size >= n {
			if p, ok := bufferPools[c].Get().(*[]byte); ok {
				return (*p)[:0]
			}
			return make([]byte, 0, size)
		}
	}
	return make([]byte, 0, n)
}

// putBuffer gives b back for reuse; nothing may use it afterwards. It goes to
// the largest class it has room for.
func putBuffer(b []byte) {
	c := -1
	for i, size := range bufferClasses {
		if size > cap(b) {
			break
		}
		c = i
	}
	if c < 0 {
		return
	}
	b = b[:0]
	bufferPools[c].Put(&b)
}
