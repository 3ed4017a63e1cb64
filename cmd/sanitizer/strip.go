package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

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
The batch form strips -j files at once and reports in the order given.
`

func runStrip(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("strip", flag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.Usage = func() { fmt.Fprint(s.err, stripUsage, "\nflags:\n"); fs.PrintDefaults() }
	var pf policyFlags
	pf.register(fs)
	outDir := fs.String("o", "", "batch mode: write each FILE to DIR under its base name")
	report := fs.Bool("report", false, "print each file's report as one JSON line on stdout")
	jobs := fs.Int("j", runtime.GOMAXPROCS(0), "batch mode: files stripped at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := pf.policy()
	if err != nil {
		return err
	}
	var reports *json.Encoder
	if *report {
		reports = json.NewEncoder(s.out)
	}
	if *outDir != "" {
		if fs.NArg() == 0 {
			fs.Usage()
			return exitError{2}
		}
		return batch(ctx, p, s, reports, *outDir, fs.Args(), max(*jobs, 1))
	}
	st := &stripper{p: p, s: s}
	if fs.NArg() != 2 {
		fs.Usage()
		return exitError{2}
	}
	in, out := fs.Arg(0), fs.Arg(1)
	if out == "-" && *report {
		return errors.New("-report needs stdout: not with OUT -")
	}
	rep, err := st.one(in, out)
	if err != nil {
		fmt.Fprintf(s.err, "sanitizer strip: %s: %v\n", displayName(in), err)
		return exitError{1}
	}
	if reports != nil {
		return reports.Encode(fileReport{in, out, rep})
	}
	return nil
}

// fileReport is one line of -report output.
type fileReport struct {
	File string `json:"file"`
	Out  string `json:"out"`
	*metadata.Report
}

type stripper struct {
	p metadata.Policy
	s stdio
}

// batch strips every file into dir with jobs workers, going on after a
// rejection; messages and reports come out in the order of files.
func batch(ctx context.Context, p metadata.Policy, s stdio, reports *json.Encoder, dir string, files []string, jobs int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	type result struct {
		out string
		rep *metadata.Report
		err error
	}
	results := make([]result, len(files))
	seen := map[string]string{}
	for i, in := range files {
		name := filepath.Base(in)
		if prev, dup := seen[name]; dup {
			results[i].err = fmt.Errorf("output name %s already used by %s", name, prev)
			continue
		}
		seen[name] = in
		results[i].out = filepath.Join(dir, name)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(jobs, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &stripper{p: p, s: s}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) || ctx.Err() != nil {
					return
				}
				if r := &results[i]; r.err == nil {
					r.rep, r.err = st.one(files[i], r.out)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	failed := 0
	for i, r := range results {
		if r.err != nil {
			fmt.Fprintf(s.err, "sanitizer strip: %s: %v\n", files[i], r.err)
			failed++
			continue
		}
		if reports != nil {
			if err := reports.Encode(fileReport{files[i], r.out, r.rep}); err != nil {
				return err
			}
		}
	}
	if failed > 0 {
		return exitError{1}
	}
	return nil
}

// one strips in to out through a temporary file: out appears only when verified.
func (st *stripper) one(in, out string) (*metadata.Report, error) {
	src, closeIn, err := openInput(in, st.s)
	if err != nil {
		return nil, err
	}
	defer closeIn()

	dir := os.TempDir()
	if out != "-" {
		dir = filepath.Dir(out)
	}
	tmp, err := createTemp(dir)
	if err != nil {
		return nil, err
	}
	published := false
	defer func() {
		if !published {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// No bufio on either side: Strip reads into its own 128 KiB buffer and
	// writes through one of 64 KiB, so a second layer would only copy.
	rep, err := metadata.Strip(tmp, src, st.p)
	if err != nil {
		return nil, err
	}
	if out == "-" {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		_, err = io.Copy(st.s.out, tmp)
		return rep, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := rename(tmp.Name(), out); err != nil {
		return nil, err
	}
	published = true
	return rep, nil
}

// openInput opens a file, or standard input for "-".
func openInput(name string, s stdio) (io.Reader, func(), error) {
	if name == "-" {
		return s.in, func() {}, nil
	}
	f, err := openFile(name, syscall.O_RDONLY, 0)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// openFile is os.OpenFile without the runtime poller: os.OpenFile offers
// every file to epoll (four fcntl and an epoll_ctl that fails for a regular
// file), which a batch of small files pays twice per file; os.NewFile on a
// blocking descriptor skips that, and regular files never block anyway.
func openFile(name string, flag int, perm uint32) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, flag|syscall.O_CLOEXEC, perm)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}

// createTemp is os.CreateTemp(dir, ".sanitizer-*.tmp") through openFile.
func createTemp(dir string) (*os.File, error) {
	for try := 0; ; try++ {
		name := filepath.Join(dir, fmt.Sprintf(".sanitizer-%08x.tmp", rand.Uint32()))
		f, err := openFile(name, syscall.O_RDWR|syscall.O_CREAT|syscall.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) && try < 100 {
			continue
		}
		return f, err
	}
}

// rename is os.Rename without its Lstat of newname (which only words the
// error when newname is a directory; rename(2) refuses that with EISDIR).
func rename(oldname, newname string) error {
	if err := syscall.Rename(oldname, newname); err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	return nil
}

func displayName(name string) string {
	if name == "-" {
		return "<stdin>"
	}
	return name
}
