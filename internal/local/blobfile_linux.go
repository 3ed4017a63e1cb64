package local

import "syscall"

const oDirect = syscall.O_DIRECT

// mapArena maps size bytes of anonymous memory outside the Go heap: the
// collector neither counts nor scans it, and the runtime never hands it back.
func mapArena(size int) ([]byte, func()) {
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return alignedBytes(size), nil
	}
	return b, func() { syscall.Munmap(b) }
}
