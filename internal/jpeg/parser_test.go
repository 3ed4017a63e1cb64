package jpeg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

// seg builds a marker segment.
func seg(m byte, payload string) []byte {
	n := len(payload) + 2
	return append([]byte{0xFF, m, byte(n >> 8), byte(n)}, payload...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var (
	soi = []byte{0xFF, SOI}
	eoi = []byte{0xFF, EOI}
	sof = seg(SOF0, "\x08\x00\x10\x00\x10\x01\x01\x11\x00")
	sos = seg(SOS, "\x01\x01\x00\x00\x3F\x00")
)

// parts accumulates parts as strings, joining consecutive ECS, junk and trailer data (any of them may arrive in pieces).
type parts struct {
	items []Part
}

func (ps *parts) add(p Part) {
	if n := len(ps.items); n > 0 && (p.Kind == KindECS || p.Kind == KindTrailer || p.Kind == KindJunk) && ps.items[n-1].Kind == p.Kind {
		ps.items[n-1].Data = append(ps.items[n-1].Data, p.Data...)
		return
	}
	p.Data = append([]byte(nil), p.Data...)
	ps.items = append(ps.items, p)
}

func (ps *parts) strings() []string {
	var out []string
	for _, p := range ps.items {
		out = append(out, describe(p))
	}
	return out
}

// collect reads every part.
func collect(t *testing.T, r *Reader) ([]string, error) {
	t.Helper()
	var ps parts
	for i := 0; i < 1<<20; i++ {
		p, err := r.Next()
		if err == io.EOF {
			return ps.strings(), nil
		}
		if err != nil {
			return ps.strings(), err
		}
		ps.add(p)
	}
	t.Fatal("parser did not finish in 2^20 parts")
	return nil, nil
}

func describe(p Part) string {
	switch p.Kind {
	case KindMarker:
		return "mrk " + MarkerName(p.Marker)
	case KindSegment:
		return fmt.Sprintf("seg %s %x", MarkerName(p.Marker), p.Data)
	}
	return fmt.Sprintf("%.3s %x", p.Kind.String()+"   ", p.Data)
}

func TestReaderStructure(t *testing.T) {
	// Scan data with a stuffed byte, a restart marker, fill bytes inside the data
	// before RST1, then fill bytes before DHT (dropped), a second scan, EOI and a trailer
	// that holds a fake EOI.
	ecs1 := []byte{0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xD1, 0x78}
	ecs2 := []byte{0x9A}
	file := cat(soi, seg(APP1, "Exif\x00\x00"), seg(DQT, "q"), sof, sos, ecs1,
		[]byte{0xFF, 0xFF, 0xFF}, seg(DHT, "h"), sos, ecs2, eoi, []byte("tail\xFF\xD9x"))
	want := []string{
		"mrk SOI",
		"seg APP1 457869660000",
		"seg DQT 71",
		"seg SOF0 080010001001011100",
		"seg SOS 010100003f00",
		"ecs 12ff0034ffd056ffffd178",
		"seg DHT 68",
		"seg SOS 010100003f00",
		"ecs 9a",
		"mrk EOI",
		"tra 7461696cffd978",
	}
	for _, name := range []string{"whole", "onebyte", "half"} {
		var src io.Reader = bytes.NewReader(file)
		switch name {
		case "onebyte":
			src = iotest.OneByteReader(src)
		case "half":
			src = iotest.HalfReader(src)
		}
		got, err := collect(t, NewReader(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	base := cat(soi, sof, sos, []byte{1, 2, 3}, eoi)
	tests := []struct {
		name string
		in   []byte
		want any
	}{
		{"empty", nil, &TruncatedError{}},
		{"no SOI", []byte("GIF89a"), &FormatError{}},
		{"SOI only", soi, &TruncatedError{}},
		{"cut segment", base[:8], &TruncatedError{}},
		{"cut scan", base[:len(base)-2], &TruncatedError{}},
		{"no EOI after segment", cat(soi, sof), &TruncatedError{}},
		{"EOI before scan", cat(soi, sof, eoi), &FormatError{}},
		{"SOS before SOF", cat(soi, sos, []byte{1}, eoi), &FormatError{}},
		{"second SOI", cat(soi, soi), &FormatError{}},
		{"length below 2", cat(soi, []byte{0xFF, DQT, 0, 1}), &FormatError{}},
		{"reserved marker in scan", cat(soi, sof, sos, []byte{1, 0xFF, 0x30}, eoi), &FormatError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := collect(t, NewReader(bytes.NewReader(tt.in)))
			switch tt.want.(type) {
			case *TruncatedError:
				var e *TruncatedError
				if !errors.As(err, &e) {
					t.Fatalf("got %v (%T), want TruncatedError", err, err)
				}
			case *FormatError:
				var e *FormatError
				if !errors.As(err, &e) {
					t.Fatalf("got %v (%T), want FormatError", err, err)
				}
			}
		})
	}
}

func TestReaderJunkAndFill(t *testing.T) {
	file := cat(soi, []byte{0x00, 0x11, 0xFF, 0x00}, []byte{0xFF, 0xFF}, sof, sos, []byte{7}, eoi)
	got, err := collect(t, NewReader(bytes.NewReader(file)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mrk SOI", "jun 0011ff00", "seg SOF0 080010001001011100", "seg SOS 010100003f00", "ecs 07", "mrk EOI"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestLongFillRun: T.81 B.1.1.2 allows any number of 0xFF fill bytes before a
// marker, and libjpeg decodes such files cleanly. A run inside scan data longer
// than the parse buffer is handed out in part as entropy-coded data instead
// of refused (it was a FormatError), never looped on; the Sink splits it as
// the Reader does whatever the write sizes, and a copy written back from the
// parts parses to the same entropy-coded bytes, so Strip's self-check agrees.
func TestLongFillRun(t *testing.T) {
	for _, n := range []int{bufSize - 1, bufSize, bufSize + 1, 2 * bufSize, 3*bufSize + 5} {
		run := bytes.Repeat([]byte{0xFF}, n)
		// What follows the run, its last 0xFF being the marker's or the
		// stuffed byte's first.
		for name, tail := range map[string][]byte{
			"EOI":         {EOI},
			"FF00 data":   cat([]byte{0x00, 0x07}, eoi),
			"RST":         cat([]byte{0xD0, 0x07}, eoi),
			"DHT and SOS": cat(seg(DHT, "\x00")[1:], sos, []byte{0x07}, eoi),
		} {
			file := cat(soi, sof, sos, []byte{0x05}, run, tail)
			want, err := collect(t, NewReader(bytes.NewReader(file)))
			if err != nil {
				t.Fatalf("%d bytes of 0xFF, then %s: %v", n, name, err)
			}
			if last := want[len(want)-1]; last != "mrk EOI" {
				t.Fatalf("%d, %s: ends with %q", n, name, last)
			}
			// Not tiny steps: an undecided run is scanned again on each write.
			for _, step := range []int{1000, 4096, 10007, 65536, 1 << 20} {
				var ps parts
				sink := NewSink(func(p Part) error { ps.add(p); return nil })
				for i := 0; i < len(file); i += step {
					if _, err := sink.Write(file[i:min(i+step, len(file))]); err != nil {
						t.Fatalf("%d, %s, step %d: %v", n, name, step, err)
					}
				}
				if err := sink.Close(); err != nil {
					t.Fatalf("%d, %s, step %d: close: %v", n, name, step, err)
				}
				if got := ps.strings(); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("%d, %s, step %d: sink and reader disagree", n, name, step)
				}
			}
			copy, _ := rewrite(t, file)
			again, err := collect(t, NewReader(bytes.NewReader(copy)))
			if err != nil {
				t.Fatalf("%d, %s: the copy: %v", n, name, err)
			}
			if fmt.Sprint(again) != fmt.Sprint(want) {
				t.Fatalf("%d, %s: the copy parses to other parts", n, name)
			}
		}
	}
}

// TestSinkMatchesReader feeds the same stream to a Sink in pieces of every size.
func TestSinkMatchesReader(t *testing.T) {
	ecs := bytes.Repeat([]byte{0x01, 0xFF, 0x00, 0xFF, 0xD3, 0xFF, 0xFF, 0x00}, 40000)
	file := cat(soi, seg(COM, "hello"), sof, sos, ecs, seg(DNL, "\x00\x10"), eoi, []byte("trailer"))
	want, err := collect(t, NewReader(bytes.NewReader(file)))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []int{1, 2, 3, 7, 4096, 65536, 1 << 20} {
		var ps parts
		sink := NewSink(func(p Part) error { ps.add(p); return nil })
		for i := 0; i < len(file); i += step {
			if _, err := sink.Write(file[i:min(i+step, len(file))]); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		}
		if err := sink.Close(); err != nil {
			t.Fatalf("step %d close: %v", step, err)
		}
		if got := ps.strings(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("step %d: sink and reader disagree", step)
		}
	}
	sink := NewSink(func(Part) error { return nil })
	sink.Write(file[:len(file)/2])
	var te *TruncatedError
	if err := sink.Close(); !errors.As(err, &te) {
		t.Fatalf("half a file: Close = %v, want TruncatedError", err)
	}
}

// rewrite writes every part of file with a Writer, as Strip writes what it keeps.
func rewrite(t *testing.T, file []byte) ([]byte, *Writer) {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	r := NewReader(bytes.NewReader(file))
	for {
		p, err := r.Next()
		if err == io.EOF {
			return buf.Bytes(), w
		}
		if err != nil {
			t.Fatal(err)
		}
		switch p.Kind {
		case KindMarker:
			err = w.WriteMarker(p.Marker)
		case KindSegment:
			err = w.WriteSegment(p.Marker, p.Data)
		default:
			err = w.WriteData(p.Data)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriterRoundTrip(t *testing.T) {
	file := cat(soi, seg(DQT, "q"), sof, sos, []byte{1, 0xFF, 0, 2, 0xFF, 0xD0, 3}, eoi)
	got, w := rewrite(t, file)
	if !bytes.Equal(got, file) || w.Written() != int64(len(file)) {
		t.Fatalf("round trip differs:\n got %x\nwant %x", got, file)
	}
	if err := w.WriteSegment(COM, make([]byte, MaxPayload+1)); err == nil {
		t.Fatal("oversized payload accepted")
	}
}
