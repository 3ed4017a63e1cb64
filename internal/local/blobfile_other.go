//go:build !linux

package local

// oDirect is 0 where O_DIRECT is not offered: blobs go through the page cache.
const oDirect = 0

// mapArena allocates the arena on the heap where anonymous maps are not used.
func mapArena(size int) ([]byte, func()) { return alignedBytes(size), nil }
