// Command sanitizer strips privacy-relevant metadata from JPEG files losslessly,
// runs the whole pipeline on one machine (run), and operates it on AWS or locally.
//
// Each subcommand lives in its own file and registers itself in commands; main
// only parses the subcommand name and wires standard streams and signals.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// stdio carries the process streams so commands can be tested in-process.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command is one subcommand: its name, a one-line summary, and its entry point.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, io stdio) error
}

var commands = map[string]command{}

// register adds a subcommand; called from each command file's init.
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("sanitizer: duplicate command " + c.name)
	}
	commands[c.name] = c
}

// exitError carries a specific exit status without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, s stdio) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(s.err)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(s.err, "sanitizer: unknown command %q\n", args[0])
		usage(s.err)
		return 2
	}
	err := c.run(ctx, args[1:], s)
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(s.err, "sanitizer %s: %v\n", c.name, err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: sanitizer <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
}
