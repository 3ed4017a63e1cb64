package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

func init() {
	register(command{name: "verify", summary: "exit 0 only if every JPEG file is clean (and decodes)", run: runVerify})
}

func runVerify(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.Usage = func() {
		fmt.Fprint(s.err, "usage: sanitizer verify [flags] FILE...   (- for stdin)\n\n"+
			"Prints one line per file and exits 0 only if every file holds no metadata the policy\n"+
			"removes and, where the decoder supports the coding process (Huffman, 8-bit), decodes.\n\nflags:\n")
		fs.PrintDefaults()
	}
	var pf policyFlags
	pf.register(fs)
	noDecode := fs.Bool("no-decode", false, "skip the full decode (entropy-coded data of every scan)")
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
	failed := false
	for _, name := range fs.Args() {
		if err := ctx.Err(); err != nil {
			return err
		}
		src, closeIn, err := openInput(name, s)
		var ins *metadata.Inspection
		if err == nil {
			ins, err = metadata.Verify(bufio.NewReaderSize(src, 256<<10), p, !*noDecode)
			closeIn()
		}
		switch {
		case err != nil:
			failed = true
			fmt.Fprintf(s.out, "%s: FAIL: %v\n", displayName(name), err)
		case ins.Decode != "":
			fmt.Fprintf(s.out, "%s: clean (decode %s)\n", displayName(name), ins.Decode)
		default:
			fmt.Fprintf(s.out, "%s: clean\n", displayName(name))
		}
	}
	if failed {
		return exitError{1}
	}
	return nil
}
