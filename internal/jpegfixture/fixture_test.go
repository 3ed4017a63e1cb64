package jpegfixture_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	sjpeg "github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/oracle"
)

func TestImagesDecode(t *testing.T) {
	images := map[string][]byte{
		"baseline":    jpegfixture.Baseline(33, 17, 1),
		"gray":        jpegfixture.Gray(16, 9, 2),
		"progressive": jpegfixture.Progressive(41, 23, 3),
		"restarts":    jpegfixture.Blocks(41, 23, 4, jpegfixture.Coding{RestartInterval: 2, Noise: true}),
		"cmyk":        jpegfixture.New(jpegfixture.Blocks(24, 16, 5, jpegfixture.Coding{Components: 4})).Add(jpegfixture.Adobe(0)).Bytes(),
		"prog-gray":   jpegfixture.Blocks(9, 30, 6, jpegfixture.Coding{Progressive: true, Components: 1, Noise: true, RestartInterval: 1}),
	}
	dir := t.TempDir()
	for name, b := range images {
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			t.Fatalf("%s: image/jpeg: %v", name, err)
		}
		if cfg.Width == 0 || cfg.Height == 0 {
			t.Fatalf("%s: %dx%d", name, cfg.Width, cfg.Height)
		}
		os.WriteFile(filepath.Join(dir, name+".jpg"), b, 0o644)
	}
	oracle.Need(t, "djpeg")
	for name := range images {
		// djpeg exits 2 on a warning (corrupt data): the fixtures must be clean.
		out, err := exec.Command("djpeg", "-pnm", "-outfile", os.DevNull, filepath.Join(dir, name+".jpg")).CombinedOutput()
		if err != nil {
			t.Errorf("%s: djpeg: %v %s", name, err, out)
		}
	}
}

// TestExifReadByExiftool checks the Exif builder against exiftool in both byte orders.
func TestExifReadByExiftool(t *testing.T) {
	oracle.Need(t, "exiftool")
	dir := t.TempDir()
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		spec := jpegfixture.ExifSpec{
			Order: order, Orientation: 6, Make: "Canon", Model: "EOS", Software: "fw", Artist: "Jane",
			DateTime: "2024:01:01 00:00:00", DateTimeOriginal: "2024:01:02 03:04:05", SerialNumber: "SN12345",
			OwnerName: "Jane", ImageUniqueID: "uid", MakerNote: []byte("notes"), GPS: true,
			Thumbnail: jpegfixture.Baseline(8, 8, 1),
		}
		f := jpegfixture.New(jpegfixture.Baseline(16, 16, 1)).Add(jpegfixture.Exif(spec)).
			Add(jpegfixture.XMP(`<tiff:Make>Canon</tiff:Make>`), jpegfixture.Photoshop("Jane", "Berlin", nil)).
			Add(jpegfixture.ICC(jpegfixture.ICCProfile(1000), 400)...).Bytes()
		name := filepath.Join(dir, "exif.jpg")
		os.WriteFile(name, f, 0o644)
		out, err := exec.Command("exiftool", "-j", "-a", "-G1", "-n", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		var docs []map[string]any
		if err := json.Unmarshal(out, &docs); err != nil {
			t.Fatal(err)
		}
		d := docs[0]
		want := map[string]any{
			"IFD0:Make": "Canon", "IFD0:Orientation": 6.0, "ExifIFD:SerialNumber": "SN12345",
			"ExifIFD:OwnerName": "Jane", "ExifIFD:DateTimeOriginal": "2024:01:02 03:04:05",
			"GPS:GPSLatitudeRef": "N", "XMP-tiff:Make": "Canon", "IPTC:By-line": "Jane", "IPTC:City": "Berlin",
		}
		for k, v := range want {
			if d[k] != v {
				t.Errorf("%v: %s = %v, want %v", order, k, d[k], v)
			}
		}
		if _, ok := d["IFD1:ThumbnailImage"]; !ok {
			t.Errorf("%v: no IFD1 thumbnail", order)
		}
		for k, v := range d {
			if strings.HasSuffix(k, "Warning") && !strings.Contains(v.(string), "MakerNotes") { // the MakerNote is opaque bytes
				t.Errorf("%v: exiftool warns %v", order, v)
			}
		}
	}
}

func TestAfterFirstScanAndTrailer(t *testing.T) {
	b := jpegfixture.New(jpegfixture.Progressive(16, 16, 1)).
		AfterFirstScan(jpegfixture.Comment("hidden")).
		Trailer([]byte("TAIL")).Bytes()
	r := sjpeg.NewReader(bytes.NewReader(b))
	var seq []string
	for {
		p, err := r.Next()
		if err != nil {
			break
		}
		if p.Kind == sjpeg.KindSegment || p.Kind == sjpeg.KindTrailer {
			seq = append(seq, sjpeg.MarkerName(p.Marker)+":"+p.Kind.String())
		}
	}
	got := strings.Join(seq, " ")
	if !strings.Contains(got, "SOS:segment COM:segment SOS:segment") || !strings.HasSuffix(got, "trailer") {
		t.Fatalf("structure: %s", got)
	}
}

// TestMPOReadByExiftool: exiftool finds the second image where the MPF index says.
func TestMPOReadByExiftool(t *testing.T) {
	oracle.Need(t, "exiftool")
	second := jpegfixture.New(jpegfixture.Baseline(16, 16, 2)).Add(jpegfixture.Exif(jpegfixture.ExifSpec{Make: "Fuji", SerialNumber: "S1"})).Bytes()
	name := filepath.Join(t.TempDir(), "mpo.jpg")
	os.WriteFile(name, jpegfixture.MPO(jpegfixture.Baseline(32, 32, 1), second), 0o644)
	out, err := exec.Command("exiftool", "-j", "-a", "-G1", "-n", "-b", "-MPImage2", "-NumberOfImages", "-Warning", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	if err := json.Unmarshal(out, &docs); err != nil {
		t.Fatal(err)
	}
	d := docs[0]
	if d["MPF0:NumberOfImages"] != 2.0 || d["ExifTool:Warning"] != nil {
		t.Fatalf("exiftool: %v", d)
	}
	img, _ := d["MPImage2:MPImage2"].(string)
	got, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(img, "base64:"))
	if err != nil || !bytes.Equal(got, second) {
		t.Fatalf("MPImage2 is not the second image (%d bytes, %v)", len(got), err)
	}
}
