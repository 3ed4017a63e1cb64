package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

func init() {
	register(command{name: "strip", summary: "remove metadata from JPEG files losslessly (IN OUT, or -o DIR FILE...)", run: runStrip})
}

const stripUsage = `usage: sanitizer strip [flags] IN OUT        (- for stdin / stdout)
       sanitizer strip [flags] -o DIR FILE...

Removes Exif, GPS, XMP, IPTC, thumbnails, comments, MPF side images and trailers
without touching the image data. Every output is verified before it appears:
it is written to a temporary file and renamed into place only on success.
A rejected file gets a one-line reason on stderr and the exit status is 1.
`

func runStrip(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("strip", flag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.Usage = func() { fmt.Fprint(s.err, stripUsage, "\nflags:\n"); fs.PrintDefaults() }
	var pf policyFlags
	pf.register(fs)
	outDir := fs.String("o", "", "batch mode: write each FILE to DIR under its base name")
	report := fs.Bool("report", false, "print each file's report as one JSON line on stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := pf.policy()
	if err != nil {
		return err
	}
	st := &stripper{p: p, s: s}
	if *report {
		st.reports = json.NewEncoder(s.out)
	}
	if *outDir != "" {
		if fs.NArg() == 0 {
			fs.Usage()
			return exitError{2}
		}
		return st.batch(ctx, *outDir, fs.Args())
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return exitError{2}
	}
	in, out := fs.Arg(0), fs.Arg(1)
	if out == "-" && *report {
		return errors.New("-report needs stdout: not with OUT -")
	}
	if err := st.one(in, out); err != nil {
		fmt.Fprintf(s.err, "sanitizer strip: %s: %v\n", displayName(in), err)
		return exitError{1}
	}
	return nil
}

type stripper struct {
	p       metadata.Policy
	s       stdio
	reports *json.Encoder
}

// batch strips every file into dir, going on after a rejection.
func (st *stripper) batch(ctx context.Context, dir string, files []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	failed := 0
	seen := map[string]string{}
	for _, in := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := filepath.Base(in)
		if prev, dup := seen[name]; dup {
			fmt.Fprintf(st.s.err, "sanitizer strip: %s: output name %s already used by %s\n", in, name, prev)
			failed++
			continue
		}
		seen[name] = in
		if err := st.one(in, filepath.Join(dir, name)); err != nil {
			fmt.Fprintf(st.s.err, "sanitizer strip: %s: %v\n", in, err)
			failed++
		}
	}
	if failed > 0 {
		return exitError{1}
	}
	return nil
}

// one strips in to out through a temporary file: out appears only when verified.
func (st *stripper) one(in, out string) error {
	src, closeIn, err := openInput(in, st.s)
	if err != nil {
		return err
	}
	defer closeIn()

	dir := os.TempDir()
	if out != "-" {
		dir = filepath.Dir(out)
	}
	tmp, err := os.CreateTemp(dir, ".sanitizer-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	bw := bufio.NewWriterSize(tmp, 256<<10)
	rep, err := metadata.Strip(bw, bufio.NewReaderSize(src, 256<<10), st.p)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		tmp.Close()
		return err
	}
	if out == "-" {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			tmp.Close()
			return err
		}
		_, err = io.Copy(st.s.out, tmp)
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	if st.reports != nil {
		return st.reports.Encode(struct {
			File string `json:"file"`
			Out  string `json:"out"`
			*metadata.Report
		}{in, out, rep})
	}
	return nil
}

// openInput opens a file, or standard input for "-".
func openInput(name string, s stdio) (io.Reader, func(), error) {
	if name == "-" {
		return s.in, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

func displayName(name string) string {
	if name == "-" {
		return "<stdin>"
	}
	return name
}
