package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
)

func init() {
	register(command{name: "asl", summary: "run or validate an Amazon States Language definition", run: runASL})
}

func runASL(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		fmt.Fprintln(s.err, "usage: sanitizer asl run < request.json\n       sanitizer asl validate FILE")
		return exitError{2}
	}
	switch args[0] {
	case "run":
		return aslRun(ctx, args[1:], s)
	case "validate":
		return aslValidate(args[1:], s)
	}
	fmt.Fprintf(s.err, "sanitizer asl: unknown subcommand %q (run, validate)\n", args[0])
	return exitError{2}
}

// aslRequest is the conformance CLI contract's request
// (../shared/conformance/asl/README.md).
type aslRequest struct {
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
	Input      json.RawMessage `json:"input"`
	TaskMock   *string         `json:"task_mock"`
}

// aslRun reads one request on stdin, runs it with a virtual clock (waits and
// retries take no real time) and prints one result object.
func aslRun(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("asl run", flag.ContinueOnError)
	fs.SetOutput(s.err)
	history := fs.Bool("history", false, "also write the execution history to stderr, as GetExecutionHistory returns it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	body, err := io.ReadAll(s.in)
	if err != nil {
		return err
	}
	var req aslRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return fmt.Errorf("request is not valid JSON: %w", err)
	}
	var def []byte = req.Definition
	// A definition given as a JSON string holds the ASL text itself.
	var text string
	if json.Unmarshal(req.Definition, &text) == nil {
		def = []byte(text)
	}
	sm, err := asl.Parse(def)
	if err != nil {
		var ve *asl.ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		return writeJSON(s.out, map[string]any{"status": "REJECTED", "category": ve.Diagnostics[0].Code, "error": ve.Error()})
	}
	clock := asl.NewVirtualClock(time.Now().UTC())
	opts := asl.Options{Now: clock.Now, Sleep: clock.Sleep}
	if req.TaskMock != nil && *req.TaskMock == "echo" {
		opts.Tasks = &asl.LambdaTasks{
			Default: lambda.NewHandler(func(in json.RawMessage) (json.RawMessage, error) { return in, nil }),
			SNS:     echoSNS{},
		}
	} else if req.TaskMock != nil {
		return fmt.Errorf("unknown task_mock %q (echo)", *req.TaskMock)
	}
	input := []byte(req.Input)
	if len(input) == 0 {
		input = []byte("{}")
	}
	x, err := asl.New(opts).Start(ctx, sm, req.Name, input)
	if err != nil {
		return err
	}
	d, err := x.Wait(ctx)
	if err != nil {
		return err
	}
	if *history {
		if err := writeJSON(s.err, map[string]any{"events": x.History()}); err != nil {
			return err
		}
	}
	res := map[string]any{"status": d.Status}
	switch d.Status {
	case asl.StatusSucceeded:
		res["output"] = json.RawMessage(d.Output.String())
	case asl.StatusFailed, asl.StatusAborted:
		res["error"], res["cause"] = d.Error, d.Cause
	}
	return writeJSON(s.out, res)
}

// echoSNS is the conformance mock publisher: it accepts every message.
type echoSNS struct{}

func (echoSNS) Publish(context.Context, asl.SNSPublishInput) (string, error) {
	return "00000000-0000-4000-8000-000000000000", nil
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// aslValidate prints a definition's diagnostics; it exits 1 when invalid.
func aslValidate(args []string, s stdio) error {
	if len(args) != 1 {
		fmt.Fprintln(s.err, "usage: sanitizer asl validate FILE")
		return exitError{2}
	}
	def, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	if _, err := asl.Parse(def); err != nil {
		var ve *asl.ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		for _, d := range ve.Diagnostics {
			fmt.Fprintf(s.out, "%s %s: %s at %s\n", d.Severity, d.Code, d.Message, d.Location)
		}
		return exitError{1}
	}
	fmt.Fprintf(s.out, "%s: valid\n", args[0])
	return nil
}
