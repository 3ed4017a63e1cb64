package metadata

import (
	"fmt"
	"io"
	"sort"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
)

// Orientation actions recorded in reports.
const (
	OrientationNone    = "none"    // no Orientation tag, or 1
	OrientationKept    = "kept"    // a minimal Exif holding Orientation alone was written
	OrientationDropped = "dropped" // the tag was removed (mode "drop")
	OrientationInvalid = "invalid" // the value was outside 1–8 and viewers ignore it: removed
)

// Structure describes how the image is coded, from its frame and scan headers.
type Structure struct {
	Process         string `json:"process"`    // baseline, extended, progressive, lossless
	Coding          string `json:"coding"`     // huffman, arithmetic
	Precision       int    `json:"precision"`  // bits per sample
	Width           int    `json:"width"`      //
	Height          int    `json:"height"`     // from the frame header, or DNL
	Components      int    `json:"components"` //
	ColorSpace      string `json:"colorSpace"` // gray, ycbcr, rgb, cmyk, ycck, unknown
	Scans           int    `json:"scans"`
	RestartInterval int    `json:"restartInterval,omitempty"`
	DNL             bool   `json:"dnl,omitempty"`
}

// Decodable says whether Verify's decode check (package dct) can decode this
// coding process, and if not, why.
func (s Structure) Decodable() (bool, string) {
	switch {
	case s.Coding == "arithmetic":
		return false, "arithmetic coding is not supported by the decoder"
	case s.Process == "lossless":
		return false, "lossless coding is not supported by the decoder"
	case s.Precision != 8:
		return false, fmt.Sprintf("%d-bit samples are not supported by the decoder", s.Precision)
	case s.Components < 1 || s.Components > 4:
		return false, fmt.Sprintf("%d components are not supported by the decoder", s.Components)
	case s.DNL:
		return false, "DNL (height defined after the first scan) is not supported by the decoder"
	}
	return true, ""
}

// Removal is one kind of removed data, summed over its segments.
type Removal struct {
	Kind  string `json:"kind"`
	Bytes int64  `json:"bytes"`
	Count int    `json:"count"`
}

// SegmentInfo is one segment of an inspected file.
type SegmentInfo struct {
	Offset int64  `json:"offset"`
	Marker string `json:"marker"`
	Bytes  int64  `json:"bytes"` // marker and length included
	Kind   string `json:"kind"`
	Action string `json:"action"` // keep, rewrite, drop
}

// maxSegments bounds the segment list of an Inspection.
const maxSegments = 4096

// walker visits every part of a stream once: it validates the frame against
// the limits, classifies segments, collects what a report needs and, when out
// is set, writes what the policy keeps.
type walker struct {
	p         Policy
	out       *jpeg.Writer // nil when only inspecting
	sha       *imageDigest // sha256 over image data; nil when the caller knows it (StripKnown)
	mh        *blockHash   // Strip's self-check digest over the same bytes; may be nil
	imageData *[]byte      // when set, gets a copy of the bytes sha digests (see InspectDecode)
	keepSegs  bool         // collect SegmentInfo
	onFrame   func() error // called once the frame header has passed the limits
	onScan    func()       // called after each scan header
	maxPixels int64

	afterScan   bool
	frame       bool
	st          Structure
	adobe       int // Adobe transform flag, -1 when no Adobe segment
	jfif        bool
	compIDs     [4]byte
	exifDone    bool // the first Exif before the scan has decided the orientation
	exifClean   bool // a minimal Exif has been seen (for Clean)
	orientation int
	orientAct   string

	removed  []Removal
	tags     map[string]bool
	segs     []SegmentInfo
	omitted  int
	problems []string

	trailer     int64
	extraImages int
	trailerScan *trailerScanner

	hdr     [4]byte
	scratch [jfifLen]byte
}

// newWalker returns a walker for p; with digest, it hashes the image data.
func newWalker(p Policy, digest bool) *walker {
	w := &walker{
		p: p, adobe: -1, orientAct: OrientationNone,
		tags: map[string]bool{}, maxPixels: p.Limits.maxPixels(),
	}
	if digest {
		w.sha = newImageDigest()
	}
	return w
}

// run walks the whole stream; it returns the first error.
func (w *walker) run(rd *jpeg.Reader) error {
	for {
		part, err := rd.Next()
		if err == io.EOF {
			return w.finish()
		}
		if err != nil {
			return err
		}
		if err := w.part(part); err != nil {
			return err
		}
	}
}

func (w *walker) part(part jpeg.Part) error {
	switch part.Kind {
	case jpeg.KindMarker:
		switch part.Marker {
		case jpeg.SOI, jpeg.EOI:
			w.seg(part, jpeg.MarkerName(part.Marker), "keep")
			return w.writeMarker(part.Marker)
		}
		w.remove(KindJunk, 2)
		w.seg(part, KindJunk, "drop")
		w.problem("stray " + jpeg.MarkerName(part.Marker) + " marker")
	case jpeg.KindJunk:
		w.remove(KindJunk, int64(len(part.Data)))
		w.problem("bytes between segments")
	case jpeg.KindECS:
		w.image(part.Data)
		if w.out != nil {
			return w.out.WriteData(part.Data)
		}
	case jpeg.KindTrailer:
		w.trailerChunk(part.Data)
	case jpeg.KindSegment:
		return w.segment(part)
	}
	return nil
}

func (w *walker) image(b []byte) {
	if w.sha != nil {
		w.sha.Write(b)
	}
	if w.mh != nil {
		w.mh.Write(b)
	}
	if w.imageData != nil {
		*w.imageData = append(*w.imageData, b...)
	}
}

func (w *walker) writeMarker(m byte) error {
	if w.out == nil {
		return nil
	}
	return w.out.WriteMarker(m)
}

func (w *walker) writeSegment(m byte, payload []byte) error {
	if w.out == nil {
		return nil
	}
	return w.out.WriteSegment(m, payload)
}

func (w *walker) remove(kind string, n int64) {
	for i := range w.removed {
		if w.removed[i].Kind == kind {
			w.removed[i].Bytes += n
			w.removed[i].Count++
			return
		}
	}
	w.removed = append(w.removed, Removal{Kind: kind, Bytes: n, Count: 1})
}

func (w *walker) problem(s string) {
	for _, p := range w.problems {
		if p == s {
			return
		}
	}
	w.problems = append(w.problems, s)
}

func (w *walker) seg(part jpeg.Part, kind, action string) {
	if !w.keepSegs {
		return
	}
	if len(w.segs) >= maxSegments {
		w.omitted++
		return
	}
	w.segs = append(w.segs, SegmentInfo{Offset: part.Offset, Marker: jpeg.MarkerName(part.Marker), Bytes: part.Size(), Kind: kind, Action: action})
}

func (w *walker) addTags(tags []string) { addTags(w.tags, "", tags) }

// maxTags bounds the set of tag names: crafted XMP could otherwise invent
// names (any prefix with a sensitive local name) without end.
const maxTags = 1024

func addTags(set map[string]bool, prefix string, tags []string) {
	for _, t := range tags {
		if len(set) >= maxTags {
			return
		}
		set[prefix+t] = true
	}
}

func (w *walker) segment(part jpeg.Part) error {
	m, payload := part.Marker, part.Data
	kind := classify(m, payload)
	if kind == KindImage {
		if err := w.imageSegment(part); err != nil {
			return err
		}
		jpeg.SegmentHeader(&w.hdr, m, len(payload))
		w.image(w.hdr[:])
		w.image(payload)
		w.seg(part, kind, "keep")
		return w.writeSegment(m, payload)
	}
	switch {
	case m == jpeg.DHP || m == jpeg.EXP:
		return &jpeg.UnsupportedError{Offset: part.Offset, Feature: "hierarchical mode (" + jpeg.MarkerName(m) + ")"}
	case m == jpeg.JPG || m >= jpeg.JPG0 && m <= jpeg.JPG13:
		return &jpeg.UnsupportedError{Offset: part.Offset, Feature: "JPEG extension marker " + jpeg.MarkerName(m)}
	}

	if ok, why := allowed(kind, payload, w.p, w.afterScan, w.exifClean); !ok {
		w.problem(why)
	} else if kind == KindExif {
		w.exifClean = true
	}

	size := part.Size()
	switch kind {
	case KindJFIF:
		if w.afterScan || len(payload) < jfifLen {
			break // libjpeg ignores a short JFIF segment; after the scan it is too late
		}
		w.jfif = true
		out := payload[:jfifLen]
		action := "keep"
		if len(payload) > jfifLen || payload[12] != 0 || payload[13] != 0 {
			copy(w.scratch[:], out)
			w.scratch[12], w.scratch[13] = 0, 0
			out = w.scratch[:]
			action = "rewrite"
			w.remove(KindJFIFThumb, int64(len(payload)-jfifLen))
			w.tags["JFIFThumbnail"] = true
		}
		w.seg(part, kind, action)
		return w.writeSegment(m, out)
	case KindAdobe:
		if w.afterScan || len(payload) < adobeLen {
			break // libjpeg ignores a short Adobe segment
		}
		w.adobe = int(payload[11])
		action := "keep"
		if len(payload) > adobeLen {
			action = "rewrite"
			w.remove(KindAdobe, int64(len(payload)-adobeLen))
		}
		w.seg(part, kind, action)
		return w.writeSegment(m, payload[:adobeLen])
	case KindICC:
		if w.p.KeepICC && !w.afterScan {
			w.seg(part, kind, "keep")
			return w.writeSegment(m, payload)
		}
	case KindExif:
		info := parseExif(payload)
		w.addTags(info.tags)
		if !w.afterScan && !w.exifDone {
			// Viewers take orientation from the first Exif segment of the header.
			w.exifDone = true
			return w.orient(part, info.orientation)
		}
	case KindXMP:
		w.addTags(xmpTags(payload[len(sigXMP):]))
	case KindXMPExtended:
		if len(payload) > len(sigXMPExt)+xmpExtHeaderLen {
			w.addTags(xmpTags(payload[len(sigXMPExt)+xmpExtHeaderLen:]))
		}
	case KindPhotoshop:
		w.addTags(photoshopTags(payload))
	case KindMPF:
		w.tags["MPFImages"] = true
	}
	w.remove(kind, size)
	w.seg(part, kind, "drop")
	return nil
}

// orient removes the first Exif segment and, under the keep mode, writes in
// its place a minimal one holding the orientation alone.
func (w *walker) orient(part jpeg.Part, o int) error {
	w.orientation = o
	w.remove(KindExif, part.Size())
	switch {
	case o == 0 || o == 1:
		w.orientAct = OrientationNone
	case o > 8:
		w.orientAct = OrientationInvalid
	case !w.p.keepOrientation():
		w.orientAct = OrientationDropped
	default:
		w.orientAct = OrientationKept
		w.seg(part, KindExif, "rewrite")
		return w.writeSegment(jpeg.APP1, minimalExif(o))
	}
	w.seg(part, KindExif, "drop")
	return nil
}

// imageSegment checks the frame and scan headers (T.81 B.2.2, B.2.3, B.2.5) and
// applies the pixel limit before any entropy-coded data is read.
func (w *walker) imageSegment(part jpeg.Part) error {
	m, b := part.Marker, part.Data
	bad := func(msg string) error { return &jpeg.FormatError{Offset: part.Offset, Msg: msg} }
	switch {
	case jpeg.IsSOF(m):
		if w.frame {
			return bad("second frame header")
		}
		switch m {
		case jpeg.SOF5, jpeg.SOF6, jpeg.SOF7, jpeg.SOF13, jpeg.SOF14, jpeg.SOF15:
			return &jpeg.UnsupportedError{Offset: part.Offset, Feature: "hierarchical mode (" + jpeg.MarkerName(m) + ")"}
		}
		if len(b) < 6 {
			return bad("frame header too short")
		}
		nf := int(b[5])
		if nf == 0 || len(b) != 6+3*nf {
			return bad("frame header length does not match its component count")
		}
		w.frame = true
		w.st = Structure{
			Precision: int(b[0]), Height: int(b[1])<<8 | int(b[2]), Width: int(b[3])<<8 | int(b[4]),
			Components: nf, Coding: "huffman",
		}
		for i := 0; i < nf && i < len(w.compIDs); i++ {
			w.compIDs[i] = b[6+3*i]
		}
		switch m {
		case jpeg.SOF0:
			w.st.Process = "baseline"
		case jpeg.SOF1, jpeg.SOF9:
			w.st.Process = "extended"
		case jpeg.SOF2, jpeg.SOF10:
			w.st.Process = "progressive"
		case jpeg.SOF3, jpeg.SOF11:
			w.st.Process = "lossless"
		}
		if m >= jpeg.SOF9 {
			w.st.Coding = "arithmetic"
		}
		if w.st.Width == 0 {
			return bad("frame width is 0")
		}
		if err := w.checkPixels(); err != nil {
			return err
		}
		if w.onFrame != nil {
			return w.onFrame()
		}
	case m == jpeg.SOS:
		if len(b) < 1 || b[0] == 0 || b[0] > 4 || len(b) != 4+2*int(b[0]) {
			return bad("scan header length does not match its component count")
		}
		if w.st.Process == "progressive" {
			ns, n := int(b[0]), len(b)
			if msg := badProgression(ns, b[n-3], b[n-2], b[n-1]>>4, b[n-1]&15); msg != "" {
				return bad(msg)
			}
		}
		w.afterScan = true
		w.st.Scans++
		if w.onScan != nil {
			w.onScan()
		}
	case m == jpeg.DNL:
		if len(b) != 2 {
			return bad("DNL segment length is not 4")
		}
		w.st.DNL = true
		if w.st.Height == 0 {
			w.st.Height = int(b[0])<<8 | int(b[1])
			if w.st.Height == 0 {
				return bad("DNL defines 0 lines")
			}
			return w.checkPixels()
		}
	case m == jpeg.DRI:
		if len(b) != 2 {
			return bad("DRI segment length is not 4")
		}
		if w.st.RestartInterval == 0 {
			w.st.RestartInterval = int(b[0])<<8 | int(b[1])
		}
	}
	return nil
}

// badProgression says what is wrong with a progressive scan's spectral
// selection and successive approximation (T.81 G.1.1.1.1), or "". libjpeg
// refuses such a file outright (JERR_BAD_PROGRESSION, Huffman and arithmetic
// alike), so no decoder shows it: it is rejected here, before any of its
// entropy-coded data is written, not published for Verify to find.
func badProgression(ns int, ss, se, ah, al byte) string {
	switch {
	case ss == 0 && se != 0:
		return fmt.Sprintf("progressive DC scan with Se=%d (must be 0)", se)
	case ss > se || se > 63:
		return fmt.Sprintf("progressive scan with spectral selection Ss=%d Se=%d", ss, se)
	case ss > 0 && ns != 1:
		return fmt.Sprintf("progressive AC scan of %d components (must be 1)", ns)
	case ah != 0 && al != ah-1:
		return fmt.Sprintf("progressive refinement scan with Ah=%d Al=%d (Al must be Ah-1)", ah, al)
	case al > 13:
		return fmt.Sprintf("progressive scan with Al=%d (at most 13)", al)
	case ah > 13:
		// libjpeg would take Ah=14 with Al=13, bits no 8-bit JPEG has; the
		// decoder Verify uses refuses it, so refuse it here, before any output.
		return fmt.Sprintf("progressive scan with Ah=%d (at most 13)", ah)
	}
	return ""
}

func (w *walker) checkPixels() error {
	if w.maxPixels >= 0 && int64(w.st.Width)*int64(w.st.Height) > w.maxPixels {
		return &TooManyPixelsError{Width: w.st.Width, Height: w.st.Height, Limit: w.maxPixels}
	}
	return nil
}

// trailerChunk counts trailer bytes and looks for JPEGs among them.
func (w *walker) trailerChunk(b []byte) {
	w.trailer += int64(len(b))
	if w.trailerScan == nil {
		w.trailerScan = newTrailerScanner(w.tags, &w.extraImages)
	}
	w.trailerScan.feed(b)
}

// finish checks the end of the image and settles the removal list.
func (w *walker) finish() error {
	if w.st.Height == 0 {
		return &jpeg.FormatError{Offset: -1, Msg: "frame height 0 and no DNL segment"}
	}
	if w.trailer > 0 {
		if w.extraImages > 0 {
			w.removed = append(w.removed, Removal{Kind: KindExtraImages, Bytes: w.trailer, Count: w.extraImages})
		} else {
			w.removed = append(w.removed, Removal{Kind: KindTrailer, Bytes: w.trailer, Count: 1})
		}
		w.problem("data after EOI")
	}
	w.st.ColorSpace = w.colorSpace()
	return nil
}

// colorSpace follows libjpeg's jdapimin.c default_decompress_parms.
func (w *walker) colorSpace() string {
	switch w.st.Components {
	case 1:
		return "gray"
	case 3:
		switch {
		case w.jfif:
			return "ycbcr"
		case w.adobe == 0:
			return "rgb"
		case w.adobe > 0:
			return "ycbcr"
		case w.compIDs[0] == 'R' && w.compIDs[1] == 'G' && w.compIDs[2] == 'B':
			return "rgb"
		}
		return "ycbcr"
	case 4:
		if w.adobe == 2 {
			return "ycck"
		}
		return "cmyk"
	}
	return "unknown"
}

func (w *walker) sortedTags() []string {
	tags := make([]string, 0, len(w.tags))
	for t := range w.tags {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	return tags
}

func (w *walker) digest() string { return w.sha.hex() }
