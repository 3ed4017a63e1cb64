//go:build !linux

package local

// oDirect is 0 where O_DIRECT is not offered: blobs go through the page cache.
const oDirect = 0
