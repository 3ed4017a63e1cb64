package sanitize

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readBody returns exactly the bytes of the body whatever length the store
// announced, and passes on a read error.
func TestReadBodyWhateverTheAnnouncedSize(t *testing.T) {
	body := bytes.Repeat([]byte("jpeg"), 50000)
	for _, announced := range []int64{-1, 0, 1, int64(len(body)) - 1, int64(len(body)), int64(len(body)) + 7, 2 << 30} {
		for name, r := range map[string]io.Reader{
			"whole":    bytes.NewReader(body),
			"one byte": iotest.OneByteReader(bytes.NewReader(body)),
			"half":     iotest.HalfReader(bytes.NewReader(body)),
		} {
			got, err := readBody(r, announced)
			require.NoError(t, err, "%s announced %d", name, announced)
			assert.True(t, bytes.Equal(body, got), "%s announced %d: %d bytes back", name, announced, len(got))
		}
	}
	boom := errors.New("connection reset")
	_, err := readBody(io.MultiReader(bytes.NewReader(body[:100]), iotest.ErrReader(boom)), int64(len(body)))
	assert.ErrorIs(t, err, boom)
}
