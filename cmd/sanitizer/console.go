package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/console"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store"
)

func init() {
	register(command{name: "console", summary: "serve the web console for a deployment on AWS (or a `sanitizer run` elsewhere), on loopback by default", run: runConsole})
}

// runConsole serves the console `sanitizer run` mounts, over the AWS APIs of any
// deployment: executions, graph, history, audit, before/after, replay, redrive and
// reprocess. There is no SNS delivery log on AWS, so no notifications page content.
func runConsole(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.SetOutput(s.err)
	var af awsFlags
	af.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (loopback by default; another address needs a token)")
	token := fs.String("console-token", "", "token the console requires (generated and printed when --addr is not loopback)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c, err := af.clients(ctx)
	if err != nil {
		return err
	}
	machine, err := af.machineArn(ctx, c)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	tok := *token
	if tok == "" && !console.IsLoopback(ln.Addr().String()) {
		if tok, err = console.NewToken(); err != nil {
			return err
		}
	}
	con, err := console.New(console.Options{
		StepFunctions:    c.sfn,
		StateMachineARNs: []string{machine},
		Objects:          c.s3,
		Events:           c.events,
		Audit:            &audit.Reader{Objects: s3store.New(c.s3), Bucket: af.auditBucket},
		InputBucket:      af.inputBucket,
		OutputBucket:     af.outputBucket,
		Listen:           ln.Addr().String(),
		Token:            tok,
	})
	if err != nil {
		return err
	}
	// Requests live in ctx, so Ctrl-C also ends the pages' live streams and Shutdown
	// does not wait on them.
	srv := &http.Server{Handler: con, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	link := "http://" + ln.Addr().String() + "/"
	if tok != "" {
		link += "?token=" + tok
	}
	fmt.Fprintf(s.out, "console: %s\nstate machine: %s\nCtrl-C stops it.\n", link, machine)
	select {
	case <-ctx.Done():
	case err := <-done:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	return nil
}
