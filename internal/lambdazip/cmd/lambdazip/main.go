// Command lambdazip writes a reproducible Lambda deployment zip holding one executable:
//
//	lambdazip -o dist/validate.zip dist/validate/bootstrap
//
// The entry is named for the file's base name (bootstrap, as provided.al2023 requires).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/lambdazip"
)

func main() {
	out := flag.String("o", "", "zip file to write")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: lambdazip -o out.zip executable...")
		os.Exit(2)
	}
	var files []lambdazip.File
	for _, p := range flag.Args() {
		data, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "lambdazip:", err)
			os.Exit(1)
		}
		files = append(files, lambdazip.File{Name: filepath.Base(p), Data: data, Executable: true})
	}
	var buf bytes.Buffer
	if err := lambdazip.Write(&buf, files); err != nil {
		fmt.Fprintln(os.Stderr, "lambdazip:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "lambdazip:", err)
		os.Exit(1)
	}
}
