package local

import (
	"container/list"
	"io"
	"sync"
	"unsafe"
)

// Blob files are written past the page cache (O_DIRECT, where the file system
// allows) and the bytes of the newest ones are kept in a fixed arena of the
// store's own memory, from which the pipeline's reads soon after each write are
// served. This is what object stores such as MinIO do, for the same reasons:
//   - the page cache would keep a second copy of every byte written, growing
//     into memory never touched before; a first touch costs a page fault, and
//     on a virtual machine whose host backs guest memory lazily (and takes
//     freed memory back) much more: measured here, 2-2.5 ms of system CPU per
//     MB written through the cache against 0.1 ms per MB direct, the largest
//     single cost of a PUT;
//   - the arena is touched once and then reused, chunk by chunk, newest free
//     chunk first;
//   - reads that miss the arena (objects written long ago, after a restart)
//     go through the page cache as before.
//
// An earlier attempt wrote and read everything direct; every GET then waited
// on the device, and the pipeline fell behind. The arena is what keeps reads
// off the device.

// blobChunk is the arena's unit: one read or write system call, and a multiple
// of directAlign so that every chunk is aligned for O_DIRECT.
const blobChunk = 256 << 10

// directAlign is the alignment O_DIRECT asks of buffers, offsets and lengths:
// 4 KiB covers disks of 512-byte and 4 KiB logical blocks.
const directAlign = 4096

// DefaultBlobCache is the arena's size unless the stack is told otherwise:
// about two seconds of writes at 100 photos of 1 MB per second (each is written
// twice: the upload and the staged output).
const DefaultBlobCache = 384 << 20

// blobCache is the arena. Its methods are safe on a nil *blobCache (no arena:
// nothing is kept, writes use pooled buffers).
type blobCache struct {
	mu      sync.Mutex
	arena   []byte
	unmap   func()
	free    [][]byte // a stack: the chunk freed last is reused first (warm)
	names   map[string]*cachedBlob
	order   *list.List // of *cachedBlob, oldest first
	maxBlob int64      // larger blobs are not kept
	refs    int        // open readers and writers holding arena chunks
	closed  bool
	stats   BlobCacheStats
}

// BlobCacheStats counts what the arena did since the store opened, for an
// operator choosing its size (--blob-cache-mb): reads served from the arena,
// reads that had to fill it from disk first, and reads it could not serve
// (ranges of blobs not held, blobs too large, an arena full of open readers).
type BlobCacheStats struct {
	Hits    int64 `json:"hits"`
	Fills   int64 `json:"filled_from_disk"`
	Misses  int64 `json:"read_from_disk"`
	Evicted int64 `json:"evicted"`
	Bytes   int64 `json:"arena_bytes"`
}

// Stats returns the counts so far; zero without an arena.
func (c *blobCache) Stats() BlobCacheStats {
	if c == nil {
		return BlobCacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.stats
	st.Bytes = int64(len(c.arena))
	return st
}

// cachedBlob is one blob's bytes in the arena, under every name it has (a
// CopyObject hard-links a blob under a second name).
type cachedBlob struct {
	chunks  [][]byte
	size    int64
	names   []string
	readers int
	gone    bool // no longer findable; chunks return when readers reach 0
	elem    *list.Element
}

// newBlobCache maps an arena of size bytes (rounded down to whole chunks);
// below four chunks there is no arena.
func newBlobCache(size int64) *blobCache {
	n := size / blobChunk
	if n < 4 {
		return nil
	}
	arena, unmap := mapArena(int(n * blobChunk))
	c := &blobCache{arena: arena, unmap: unmap, names: map[string]*cachedBlob{}, order: list.New(), maxBlob: n * blobChunk / 4}
	c.free = make([][]byte, 0, n)
	for i := n - 1; i >= 0; i-- {
		c.free = append(c.free, arena[i*blobChunk:(i+1)*blobChunk:(i+1)*blobChunk])
	}
	return c
}

// alloc hands out a free chunk, evicting the oldest blobs when none is free;
// nil when every chunk is held by a writer or a reader.
func (c *blobCache) alloc() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.free) == 0 && !c.closed {
		e := c.order.Front()
		if e == nil {
			return nil
		}
		c.drop(e.Value.(*cachedBlob))
		c.stats.Evicted++
	}
	if c.closed {
		return nil
	}
	b := c.free[len(c.free)-1]
	c.free = c.free[:len(c.free)-1]
	return b
}

// drop makes b unfindable, and gives its chunks back unless it is being read.
// Called with c.mu held.
func (c *blobCache) drop(b *cachedBlob) {
	for _, n := range b.names {
		if c.names[n] == b {
			delete(c.names, n)
		}
	}
	b.names = nil
	if b.elem != nil {
		c.order.Remove(b.elem)
		b.elem = nil
	}
	b.gone = true
	if b.readers == 0 {
		c.release(b.chunks)
		b.chunks = nil
	}
}

// release returns chunks to the free stack. Called with c.mu held.
func (c *blobCache) release(chunks [][]byte) {
	for i := len(chunks) - 1; i >= 0; i-- {
		c.free = append(c.free, chunks[i])
	}
}

// unref drops one reference; the arena is unmapped once closed and unreferenced.
// Called with c.mu held.
func (c *blobCache) unref() {
	c.refs--
	if c.closed && c.refs == 0 && c.unmap != nil {
		c.unmap()
		c.unmap = nil
	}
}

// keep files a finished write's chunks under the blob's name, and frees the
// unused ones.
func (c *blobCache) keep(name string, chunks [][]byte, size int64, unused [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.release(unused)
	c.keepLocked(name, chunks, size)
}

// keepLocked files chunks under name and drops the writer's reference; it
// returns the blob now held under name, which is another one's when a
// concurrent fill of the same blob came first. Called with c.mu held.
func (c *blobCache) keepLocked(name string, chunks [][]byte, size int64) *cachedBlob {
	defer c.unref()
	if b := c.names[name]; b != nil {
		c.release(chunks)
		return b
	}
	b := &cachedBlob{chunks: chunks, size: size, names: []string{name}}
	b.elem = c.order.PushBack(b)
	c.names[name] = b
	return b
}

// discard gives back a failed or uncacheable write's chunks.
func (c *blobCache) discard(chunks [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.release(chunks)
	c.unref()
}

// link gives the blob under from the name to as well.
func (c *blobCache) link(from, to string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.names[from]; b != nil {
		b.names = append(b.names, to)
		c.names[to] = b
	}
}

// forget removes a deleted blob name; the bytes go when no name is left.
func (c *blobCache) forget(name string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.names[name]
	if b == nil {
		return
	}
	delete(c.names, name)
	for i, n := range b.names {
		if n == name {
			b.names = append(b.names[:i], b.names[i+1:]...)
			break
		}
	}
	if len(b.names) == 0 {
		c.drop(b)
	}
}

// openLocked opens a reader of b (nil: none); called with c.mu held.
func (c *blobCache) openLocked(b *cachedBlob, off, length int64) io.ReadCloser {
	if b == nil || off+length > b.size {
		return nil
	}
	b.readers++
	c.refs++
	return &cachedReader{c: c, b: b, off: off, end: off + length}
}

// reader is a GET's reader of [off, off+length) of the blob at path, of size
// bytes: from the arena when it holds the blob, else, for a whole-object read,
// after reading the file into it; nil when the caller must read the file
// (counted as a read from disk).
func (c *blobCache) reader(name, path string, size, off, length int64, whole bool) io.ReadCloser {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	rc := c.openLocked(c.names[name], off, length)
	if rc != nil {
		c.stats.Hits++
	}
	c.mu.Unlock()
	if rc == nil && whole {
		rc = c.fill(name, path, size, off, length)
	}
	if rc == nil {
		c.mu.Lock()
		c.stats.Misses++
		c.mu.Unlock()
	}
	return rc
}

// close drops every blob; the arena is unmapped when the last reader or writer
// is done with it.
func (c *blobCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	for e := c.order.Front(); e != nil; e = c.order.Front() {
		c.drop(e.Value.(*cachedBlob))
	}
	c.closed = true
	c.refs++
	c.unref()
}

// cachedReader reads a range of a blob held in the arena.
type cachedReader struct {
	c        *blobCache
	b        *cachedBlob
	off, end int64
	closed   bool
}

// next is the rest of the chunk at r.off, up to r.end.
func (r *cachedReader) next() []byte {
	chunk := r.b.chunks[r.off/blobChunk]
	p := chunk[r.off%blobChunk:]
	if rest := r.end - r.off; int64(len(p)) > rest {
		p = p[:rest]
	}
	return p
}

func (r *cachedReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, io.ErrClosedPipe
	}
	if r.off >= r.end {
		return 0, io.EOF
	}
	k := copy(p, r.next())
	r.off += int64(k)
	return k, nil
}

// WriteTo hands each chunk to w straight from the arena: serving a GET copies
// the bytes once, into the socket.
func (r *cachedReader) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for !r.closed && r.off < r.end {
		k, err := w.Write(r.next())
		n += int64(k)
		r.off += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (r *cachedReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	c := r.c
	c.mu.Lock()
	defer c.mu.Unlock()
	r.b.readers--
	if r.b.gone && r.b.readers == 0 {
		c.release(r.b.chunks)
		r.b.chunks = nil
	}
	c.unref()
	return nil
}

// blobWrite collects a blob's bytes as they are written to its file: in arena
// chunks while the blob may be kept, else through one pooled chunk.
type blobWrite struct {
	c      *blobCache
	chunks [][]byte // arena chunks, in order
	spare  *[]byte  // a pooled chunk, once the blob is not being kept
	held   bool     // holds a reference on c
}

// newWrite starts a write of size bytes (-1: not known).
func (c *blobCache) newWrite(size int64) *blobWrite {
	w := &blobWrite{c: c}
	if c != nil && size <= c.maxBlob {
		c.mu.Lock()
		if !c.closed {
			c.refs++
			w.held = true
		}
		c.mu.Unlock()
	}
	return w
}

// buffer is where the next chunk of the blob goes.
func (w *blobWrite) buffer(total int64) []byte {
	// total == maxBlob still gets a chunk: the read that finds the end of a
	// blob of exactly maxBlob bytes needs one.
	if w.held && total <= w.c.maxBlob {
		if b := w.c.alloc(); b != nil {
			w.chunks = append(w.chunks, b)
			return b
		}
	}
	if w.held { // full, or too large after all: what was written stays on disk only
		w.c.discard(w.chunks)
		w.chunks, w.held = nil, false
	}
	if w.spare == nil {
		w.spare = alignedChunks.Get().(*[]byte)
	}
	return *w.spare
}

// fill reads the blob at path, of size bytes, into the arena under name, and
// returns a reader of [off, off+length) of it, or nil: a blob read again long
// after its write (a backlog, a restart) is read from the device once, past
// the page cache, and served to the reads after it from memory.
func (c *blobCache) fill(name, path string, size, off, length int64) io.ReadCloser {
	if size > c.maxBlob {
		return nil
	}
	f, err := openDirect(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	w := c.newWrite(size)
	var n int64
	for n < size && w.held {
		buf := w.buffer(n)
		if !w.held {
			break
		}
		k, err := f.ReadAt(buf, n)
		n += int64(k)
		if err != nil && (err != io.EOF || n != size) {
			break
		}
	}
	if n != size || !w.held {
		w.finish("", 0)
		return nil
	}
	// The loop stopped at size: every chunk holds bytes of the blob.
	w.held = false
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Fills++
	return c.openLocked(c.keepLocked(name, w.chunks, size), off, length)
}

// finish keeps the blob under name, or (name "") lets go of its chunks.
func (w *blobWrite) finish(name string, size int64) {
	if w.spare != nil {
		alignedChunks.Put(w.spare)
		w.spare = nil
	}
	if !w.held {
		return
	}
	w.held = false
	if name == "" {
		w.c.discard(w.chunks)
		return
	}
	// The read that found the end of the body had a chunk of its own.
	used := int((size + blobChunk - 1) / blobChunk)
	w.c.keep(name, w.chunks[:used], size, w.chunks[used:])
}

// alignedChunks holds blobChunk-byte buffers, for blobs written without the arena.
var alignedChunks = sync.Pool{New: func() any {
	b := alignedBytes(blobChunk)
	return &b
}}

// alignedBytes allocates n bytes starting at a directAlign boundary, as O_DIRECT
// asks of its buffers.
func alignedBytes(n int) []byte {
	raw := make([]byte, n+directAlign)
	off := 0
	if r := int(uintptr(unsafe.Pointer(&raw[0])) % directAlign); r != 0 {
		off = directAlign - r
	}
	return raw[off : off+n : off+n]
}
