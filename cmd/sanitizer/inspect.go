package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

func init() {
	register(command{name: "inspect", summary: "describe JPEG files as JSON: segments, metadata, orientation, clean", run: runInspect})
}

// inspectResult is one file's JSON document.
type inspectResult struct {
	File  string `json:"file"`
	Error string `json:"error,omitempty"`
	*metadata.Inspection
}

func runInspect(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.Usage = func() {
		fmt.Fprint(s.err, "usage: sanitizer inspect [flags] FILE...   (- for stdin)\n\nPrints one JSON document per file; exit status 1 if any file could not be read.\n\nflags:\n")
		fs.PrintDefaults()
	}
	var pf policyFlags
	pf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitError{2}
	}
	p, err := pf.policy()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(s.out)
	enc.SetIndent("", "  ")
	failed := false
	for _, name := range fs.Args() {
		if err := ctx.Err(); err != nil {
			return err
		}
		res := inspectResult{File: name}
		src, closeIn, err := openInput(name, s)
		if err == nil {
			res.Inspection, err = metadata.Inspect(bufio.NewReaderSize(src, 256<<10), p)
			closeIn()
		}
		if err != nil {
			res.Error = err.Error()
			failed = true
		}
		if err := enc.Encode(res); err != nil {
			return err
		}
	}
	if failed {
		return exitError{1}
	}
	return nil
}
