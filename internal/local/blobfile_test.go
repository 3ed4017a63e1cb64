package local

import (
	"bytes"
	"crypto/md5"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// TestBlobFileRoundTrip writes blobs of sizes around the direct-I/O alignment
// and chunk size and reads back whole blobs and ranges at unaligned offsets,
// through Read with small buffers and through WriteTo.
func TestBlobFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, directAlign - 1, directAlign, directAlign + 1, directChunk - 1, directChunk, directChunk + 1, 3*directChunk + 777}
	for i, size := range sizes {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		path := filepath.Join(dir, string(rune('a'+i)))
		f, direct, err := createBlobFile(path)
		require.NoError(t, err)
		if i == 0 {
			t.Logf("O_DIRECT on %s: %v", dir, direct)
		}
		h := md5.New()
		// a reader that hands out odd-sized pieces, as a network body does
		n, err := writeBlobFile(f, direct, iotest.HalfReader(bytes.NewReader(data)), h)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		require.EqualValues(t, size, n)
		sum := md5.Sum(data)
		require.Equal(t, sum[:], h.Sum(nil), "size %d: every byte hashed once", size)
		st, err := os.Stat(path)
		require.NoError(t, err)
		require.EqualValues(t, size, st.Size(), "size %d: padding cut off", size)

		for _, rg := range [][2]int{{0, size}, {size / 3, size / 2}, {size / 2, size - size/2}, {max(size-1, 0), min(size, 1)}} {
			off, length := rg[0], rg[1]
			want := data[off : off+length]

			rc, err := openBlobFile(path, int64(off), int64(length))
			require.NoError(t, err)
			got, err := io.ReadAll(iotest.OneByteReader(struct{ io.Reader }{rc})) // Read, not WriteTo
			require.NoError(t, err)
			require.NoError(t, rc.Close())
			require.True(t, bytes.Equal(want, got), "size %d range %d+%d by Read", size, off, length)

			rc, err = openBlobFile(path, int64(off), int64(length))
			require.NoError(t, err)
			var out bytes.Buffer
			k, err := io.Copy(&out, rc)
			require.NoError(t, err)
			require.NoError(t, rc.Close())
			require.EqualValues(t, length, k)
			require.True(t, bytes.Equal(want, out.Bytes()), "size %d range %d+%d by WriteTo", size, off, length)
		}
	}
}

// TestBlobFileShorterThanRecorded: a blob file cut short on disk is an error
// when read, not a short object served as whole.
func TestBlobFileShorterThanRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blob")
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte{7}, 5000), 0o644))
	rc, err := openBlobFile(path, 0, 9000)
	require.NoError(t, err)
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestBlobFileReadError: a failing body (gofakes3 fails the read on a wrong
// Content-MD5) fails the write.
func TestBlobFileReadError(t *testing.T) {
	f, direct, err := createBlobFile(filepath.Join(t.TempDir(), "blob"))
	require.NoError(t, err)
	defer f.Close()
	boom := io.ErrClosedPipe
	_, err = writeBlobFile(f, direct, io.MultiReader(bytes.NewReader(make([]byte, 10000)), iotest.ErrReader(boom)), io.Discard)
	require.ErrorIs(t, err, boom)
}
