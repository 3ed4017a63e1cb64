package jpeg

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// FuzzParse: the Reader never panics or loops, and a Sink fed the same bytes
// in pieces of any size sees exactly the same parts and the same error kind.
func FuzzParse(f *testing.F) {
	f.Add(cat(soi, seg(APP1, "Exif\x00\x00"), seg(DQT, "q"), sof, sos, []byte{1, 0xFF, 0, 2, 0xFF, 0xD0, 0xFF, 0xFF, 0xD1}, seg(DHT, "h"), sos, []byte{9}, eoi, []byte("tail")), uint16(3))
	f.Add(cat(soi, []byte{0, 1, 0xFF, 0xFF}, sof, sos, []byte{7}, seg(DNL, "\x00\x10"), eoi), uint16(1))
	f.Add(cat(soi, sof), uint16(7))
	f.Fuzz(func(t *testing.T, in []byte, step uint16) {
		var want parts
		r := NewReader(bytes.NewReader(in))
		var rerr error
		for i := 0; ; i++ {
			if i > len(in)+10 {
				t.Fatalf("more parts than input bytes")
			}
			p, err := r.Next()
			if err != nil {
				if err != io.EOF {
					rerr = err
				}
				break
			}
			want.add(p)
		}
		var got parts
		sink := NewSink(func(p Part) error { got.add(p); return nil })
		n := int(step)%4096 + 1
		var serr error
		for i := 0; i < len(in) && serr == nil; i += n {
			_, serr = sink.Write(in[i:min(i+n, len(in))])
		}
		if serr == nil {
			serr = sink.Close()
		}
		if fmt.Sprintf("%T", rerr) != fmt.Sprintf("%T", serr) {
			t.Fatalf("reader error %v, sink error %v", rerr, serr)
		}
		if rerr == nil && fmt.Sprint(got.strings()) != fmt.Sprint(want.strings()) {
			t.Fatalf("reader and sink disagree")
		}
	})
}
