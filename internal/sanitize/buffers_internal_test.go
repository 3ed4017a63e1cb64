package sanitize

import (
	"bytes"
	"strings"
	"testing"
	"testing/iotest"
)

func TestBufferClasses(t *testing.T) {
	for _, n := range []int{0, 1, 64 << 10, 64<<10 + 1, 1 << 20, 1<<20 + 1, 12 << 20, 32 << 20, 40 << 20} {
		b := getBuffer(n)
		if len(b) != 0 || cap(b) < n {
			t.Fatalf("getBuffer(%d): len %d cap %d", n, len(b), cap(b))
		}
		if n >= 64<<10 && n <= 30<<20 && cap(b) > n+n/4+1024 {
			t.Errorf("getBuffer(%d): cap %d, more than a class above", n, cap(b))
		}
		putBuffer(b)
	}
	// A buffer that append grew goes back to a class it has room for.
	odd := make([]byte, 0, 1<<20+12345)
	putBuffer(odd)
	for range 100 {
		if b := getBuffer(1 << 20); cap(b) < 1<<20 {
			t.Fatalf("cap %d below the asked 1 MiB", cap(b))
		}
	}
}

// A recycled buffer's old bytes never show through: readBody returns exactly
// what it read, whether the body is shorter or longer than announced.
func TestReadBodyRecycled(t *testing.T) {
	junk := getBuffer(200 << 10)
	junk = append(junk, bytes.Repeat([]byte{0xAB}, 200<<10)...)
	putBuffer(junk)
	for _, c := range []struct {
		body     string
		announce int64
	}{{strings.Repeat("x", 100<<10), 100 << 10}, {strings.Repeat("y", 100<<10), 150 << 10}, {strings.Repeat("z", 180<<10), 90 << 10}, {"", 0}} {
		b, err := readBody(iotest.HalfReader(strings.NewReader(c.body)), c.announce)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.body {
			t.Fatalf("announced %d, read %d bytes: got %d bytes back, or other bytes", c.announce, len(c.body), len(b))
		}
		putBuffer(b)
	}
}
