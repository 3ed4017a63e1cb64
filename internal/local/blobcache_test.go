package local

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/stretchr/testify/require"
)

// chunks counts the arena's free chunks and those held by findable blobs; with
// no reader or writer open the two add up to the whole arena.
func (c *blobCache) chunks() (free, kept, total int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.order.Front(); e != nil; e = e.Next() {
		kept += len(e.Value.(*cachedBlob).chunks)
	}
	return len(c.free), kept, len(c.arena) / blobChunk
}

// requireAccounted waits (a server closes a GET's reader just after the client
// has read the last byte) until no reader or writer is open, and checks that
// every chunk is then free or held by a blob.
func requireAccounted(t *testing.T, c *blobCache) {
	t.Helper()
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.refs == 0
	}, 5*time.Second, 5*time.Millisecond, "no reader or writer is open")
	free, kept, total := c.chunks()
	require.Equal(t, total, free+kept, "every chunk is free or held by a blob (free %d, kept %d)", free, kept)
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// openTestStore opens a store with an arena of the given number of chunks.
func openTestStore(t *testing.T, chunks int) *ObjectStore {
	t.Helper()
	s, err := OpenObjectStore(t.TempDir(), StoreOptions{BlobCache: int64(chunks) * blobChunk})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.CreateBucket("b"))
	return s
}

func (s *ObjectStore) getAll(t *testing.T, key string, rng *gofakes3.ObjectRangeRequest) []byte {
	t.Helper()
	obj, err := s.GetObject("b", key, rng)
	require.NoError(t, err)
	defer obj.Contents.Close()
	b, err := io.ReadAll(obj.Contents)
	require.NoError(t, err)
	return b
}

// Blobs of sizes around the direct-I/O alignment and the chunk size land on
// disk exactly (the padding of a direct write is cut off), hash every byte
// once, and read back whole and in ranges, from the arena and (after a
// reopen, which starts with an empty arena) from their files.
func TestBlobsRoundTripThroughArenaAndDisk(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenObjectStore(dir, StoreOptions{BlobCache: 64 * blobChunk})
	require.NoError(t, err)
	require.NoError(t, s.CreateBucket("b"))
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{inlineMax + 1, directAlign*9 - 1, blobChunk - 1, blobChunk, blobChunk + 1, 3*blobChunk + 777, 4 * blobChunk}
	data := map[string][]byte{}
	for _, size := range sizes {
		key := fmt.Sprint("k", size)
		data[key] = randomBytes(rng, size)
		// a body that arrives in odd-sized pieces, as a network body does
		res, err := s.PutObject("b", key, nil, iotest.HalfReader(bytes.NewReader(data[key])), int64(size), nil)
		require.NoError(t, err)
		v, _, err := s.find("b", key, res.VersionID)
		require.NoError(t, err)
		sum := md5.Sum(data[key])
		require.Equal(t, fmt.Sprintf("%x", sum), v.MD5, "size %d: every byte hashed once", size)
		st, err := os.Stat(s.blobPath(v.Blob))
		require.NoError(t, err)
		require.EqualValues(t, size, st.Size(), "size %d: the padding is cut off", size)
	}
	check := func(s *ObjectStore, where string) {
		for key, want := range data {
			require.True(t, bytes.Equal(want, s.getAll(t, key, nil)), "%s %s whole", where, key)
			size := int64(len(want))
			for _, rg := range [][2]int64{{size / 3, size / 2}, {size - 1, 1}, {blobChunk - 5, 10}} {
				if rg[0]+rg[1] > size {
					continue
				}
				got := s.getAll(t, key, &gofakes3.ObjectRangeRequest{Start: rg[0], End: rg[0] + rg[1] - 1})
				require.True(t, bytes.Equal(want[rg[0]:rg[0]+rg[1]], got), "%s %s range %v", where, key, rg)
			}
		}
	}
	check(s, "arena")
	_, kept, _ := s.cache.chunks()
	require.Positive(t, kept)
	requireAccounted(t, s.cache)
	require.NoError(t, s.Close())

	s, err = OpenObjectStore(dir, StoreOptions{BlobCache: 64 * blobChunk})
	require.NoError(t, err)
	_, kept, _ = s.cache.chunks()
	require.Zero(t, kept, "a reopened store starts with an empty arena")
	check(s, "disk")
	requireAccounted(t, s.cache)
	require.NoError(t, s.Close())

	s, err = OpenObjectStore(dir, StoreOptions{}) // no arena at all
	require.NoError(t, err)
	defer s.Close()
	require.Nil(t, s.cache)
	check(s, "no arena")
	require.Zero(t, s.BlobCacheStats())
}

// Writing more than the arena holds evicts the oldest blobs; every object still
// reads back whole (the evicted from their files, read into the arena again),
// and a blob being read keeps its chunks until the reader is done: new writes
// never overwrite bytes a GET is sending.
func TestArenaEvictsOldestButNeverUnderAReader(t *testing.T) {
	s := openTestStore(t, 16) // 4 MiB; blobs up to 1 MiB are kept
	rng := rand.New(rand.NewPCG(3, 4))
	data := map[string][]byte{}
	put := func(key string, size int) {
		data[key] = randomBytes(rng, size)
		_, err := s.PutObject("b", key, nil, bytes.NewReader(data[key]), int64(size), nil)
		require.NoError(t, err)
	}
	put("first", 700<<10)
	obj, err := s.GetObject("b", "first", nil)
	require.NoError(t, err)
	_, isArena := obj.Contents.(*cachedReader)
	require.True(t, isArena, "a blob just written is served from the arena")
	half := make([]byte, 300<<10)
	_, err = io.ReadFull(obj.Contents, half)
	require.NoError(t, err)

	for i := range 12 { // 12 × 600 KiB: the arena turns over twice
		put(fmt.Sprint("more", i), 600<<10)
	}
	_, inArena, total := s.cache.chunks()
	require.LessOrEqual(t, inArena, total)
	rest, err := io.ReadAll(obj.Contents)
	require.NoError(t, err)
	require.NoError(t, obj.Contents.Close())
	require.True(t, bytes.Equal(data["first"], append(half, rest...)), "the reader's bytes were not reused")
	requireAccounted(t, s.cache)

	for key, want := range data {
		require.True(t, bytes.Equal(want, s.getAll(t, key, nil)), key)
	}
	requireAccounted(t, s.cache)

	put("exact", 4*blobChunk) // a quarter of the arena: the largest kept
	v, _, err := s.find("b", "exact", "")
	require.NoError(t, err)
	s.cache.mu.Lock()
	kept := s.cache.names[v.Blob] != nil
	s.cache.mu.Unlock()
	require.True(t, kept, "a blob of the largest size kept is kept by its write")

	put("big", 5*blobChunk+1) // over a quarter of the arena: on disk only
	obj, err = s.GetObject("b", "big", nil)
	require.NoError(t, err)
	_, isArena = obj.Contents.(*cachedReader)
	require.NoError(t, obj.Contents.Close())
	require.False(t, isArena, "a blob too large for the arena is neither kept nor read into it")
	require.True(t, bytes.Equal(data["big"], s.getAll(t, "big", nil)))
	requireAccounted(t, s.cache)

	st := s.BlobCacheStats()
	require.EqualValues(t, 16*blobChunk, st.Bytes)
	require.Positive(t, st.Hits, "the newest blobs were read from the arena")
	require.Positive(t, st.Fills, "evicted blobs were read into it again")
	require.Positive(t, st.Evicted)
	require.EqualValues(t, 2, st.Misses, "the blob too large for it, read twice, was read from disk")
}

// Where the file system refuses O_DIRECT (tmpfs), blobs are written through the
// page cache: no padding, nothing to cut, and the arena still keeps them.
func TestBlobFileBuffered(t *testing.T) {
	c := newBlobCache(16 * blobChunk)
	defer c.close()
	rng := rand.New(rand.NewPCG(9, 9))
	for _, size := range []int{1, directAlign + 1, blobChunk, 2*blobChunk + 3} {
		data := randomBytes(rng, size)
		path := t.TempDir() + "/blob"
		f, err := os.Create(path)
		require.NoError(t, err)
		w := c.newWrite(int64(size))
		h := md5.New()
		n, err := writeBlobFile(f, false, iotest.HalfReader(bytes.NewReader(data)), h, w)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		require.EqualValues(t, size, n)
		w.finish(path, n)
		onDisk, err := os.ReadFile(path)
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, onDisk), "size %d on disk", size)
		rc := c.reader(path, path, int64(size), 0, int64(size), false)
		require.NotNil(t, rc)
		kept, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		require.True(t, bytes.Equal(data, kept), "size %d in the arena", size)
	}
	requireAccounted(t, c)
}

// A write that fails half way (gofakes3 fails the body's read on a wrong
// Content-MD5) gives its chunks back and leaves no object.
func TestArenaFailedWriteGivesChunksBack(t *testing.T) {
	s := openTestStore(t, 16)
	boom := io.ErrClosedPipe
	body := io.MultiReader(bytes.NewReader(make([]byte, 600<<10)), iotest.ErrReader(boom))
	_, err := s.PutObject("b", "k", nil, body, 900<<10, nil)
	require.ErrorIs(t, err, boom)
	_, err = s.GetObject("b", "k", nil)
	require.True(t, gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey), "%v", err)
	free, kept, total := s.cache.chunks()
	require.Equal(t, total, free)
	require.Zero(t, kept)
	requireAccounted(t, s.cache)
}

// A server-side copy's hard link is served from the same chunks; deleting one
// name keeps the bytes for the other, deleting both frees them.
func TestArenaFollowsLinksAndDeletes(t *testing.T) {
	ts := startStackWith(t, Options{BlobCache: 16 * blobChunk})
	ctx := context.Background()
	c := ts.s3()
	body := randomBytes(rand.New(rand.NewPCG(5, 6)), 500<<10)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("s.jpg"), Body: bytes.NewReader(body)})
	require.NoError(t, err)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("sanitized"), Key: aws.String("o.jpg"), CopySource: aws.String("staging/s.jpg")})
	require.NoError(t, err)
	cache := ts.Objects.cache
	_, kept, _ := cache.chunks()
	require.Equal(t, 2, kept, "one copy of the bytes under two names")
	got, _ := ts.read(t, "sanitized", "o.jpg")
	require.Equal(t, string(body), got)

	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("staging"), Key: aws.String("s.jpg")})
	require.NoError(t, err)
	_, kept, _ = cache.chunks()
	require.Equal(t, 2, kept, "the copy still names the bytes")
	got, _ = ts.read(t, "sanitized", "o.jpg")
	require.Equal(t, string(body), got)

	out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("sanitized")})
	require.NoError(t, err)
	for _, v := range out.Versions {
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("sanitized"), Key: v.Key, VersionId: v.VersionId})
		require.NoError(t, err)
	}
	free, kept, total := cache.chunks()
	require.Zero(t, kept)
	require.Equal(t, total, free)
}

// Many clients putting and getting at once through the SDK, over an arena that
// turns over many times: every GET returns its object's bytes, and afterwards
// every chunk is accounted for. Run with -race to check the locking.
func TestArenaUnderConcurrentClients(t *testing.T) {
	ts := startStackWith(t, Options{BlobCache: 24 * blobChunk})
	c := ts.s3()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			var bodies [][]byte
			for i := range 12 {
				body := randomBytes(rng, 40<<10+rng.IntN(700<<10))
				bodies = append(bodies, body)
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String(fmt.Sprintf("w%d/%d", w, i)), Body: bytes.NewReader(body)}); err != nil {
					errs <- err
					return
				}
				for _, k := range []int{i, rng.IntN(i + 1)} { // this one, and one written earlier
					key := fmt.Sprintf("w%d/%d", w, k)
					out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("staging"), Key: aws.String(key)})
					if err != nil {
						errs <- err
						return
					}
					got, err := io.ReadAll(out.Body)
					out.Body.Close()
					if err != nil || !bytes.Equal(got, bodies[k]) {
						errs <- fmt.Errorf("%s: %d bytes back, %v", key, len(got), err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	requireAccounted(t, ts.Objects.cache)
}
