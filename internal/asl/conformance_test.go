package asl

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

const casesDir = "../../../shared/conformance/asl/cases"

type conformanceCase struct {
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
	Input      json.RawMessage `json:"input"`
	TaskMock   string          `json:"task_mock"`
	CauseCheck string          `json:"cause_check"`
	Expect     struct {
		Status     string          `json:"status"`
		Output     json.RawMessage `json:"output"`
		Error      *string         `json:"error"`
		Cause      *string         `json:"cause"`
		CauseCheck string          `json:"cause_check"`
		ErrorCheck string          `json:"error_check"`
	} `json:"expect"`
}

type echoPublisher struct{}

func (echoPublisher) Publish(context.Context, SNSPublishInput) (string, error) {
	return "00000000-0000-4000-8000-000000000000", nil
}

// TestConformance runs every case of the shared conformance suite.
func TestConformance(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(casesDir, "*.json"))
	if len(files) == 0 {
		t.Skip(casesDir + " not found")
	}
	runCaseFiles(t, files)
}

// TestConformanceJSONata runs the shared suite's JSONata cases, kept apart
// from the JSONPath ones.
func TestConformanceJSONata(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(casesDir, "..", "jsonata", "*.json"))
	if len(files) == 0 {
		t.Skip(casesDir + "/../jsonata not found")
	}
	runCaseFiles(t, files)
}

// runCaseFiles runs each case file as a parallel subtest.
func runCaseFiles(t *testing.T, files []string) {
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var c conformanceCase
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			runConformanceCase(t, c)
		})
	}
}

func runConformanceCase(t *testing.T, c conformanceCase) {
	sm, err := Parse(c.Definition)
	if c.Expect.Status == "REJECTED" {
		if err == nil {
			t.Fatalf("definition accepted, want REJECTED")
		}
		return
	}
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	clock := NewVirtualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	opts := Options{Now: clock.Now, Sleep: clock.Sleep}
	if c.TaskMock == "echo" {
		opts.Tasks = &LambdaTasks{
			Default: lambda.NewHandler(func(in json.RawMessage) (json.RawMessage, error) { return in, nil }),
			SNS:     echoPublisher{},
		}
	}
	input := []byte(c.Input)
	if len(input) == 0 {
		input = []byte("{}")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	x, err := New(opts).Start(ctx, sm, c.Name, input)
	if err != nil {
		t.Fatal(err)
	}
	d, err := x.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != c.Expect.Status {
		t.Fatalf("status %s (error %v cause %v), want %s", d.Status, str(d.Error), str(d.Cause), c.Expect.Status)
	}
	switch d.Status {
	case StatusSucceeded:
		want, err := parseJSON(c.Expect.Output)
		if err != nil {
			t.Fatal(err)
		}
		if !jsonEqual(d.Output.Value(), want) {
			t.Fatalf("output %s, want %s", d.Output.String(), c.Expect.Output)
		}
	case StatusFailed:
		if c.Expect.ErrorCheck != "ignore" && str(d.Error) != str(c.Expect.Error) {
			t.Fatalf("error %s, want %s", str(d.Error), str(c.Expect.Error))
		}
		if (c.Expect.CauseCheck == "exact" || c.CauseCheck == "exact") && str(d.Cause) != str(c.Expect.Cause) {
			t.Fatalf("cause %s, want %s", str(d.Cause), str(c.Expect.Cause))
		}
	}
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

const specDir = "testdata/spec"

// TestSpecCases runs the project's own cases (same format as the shared
// suite): each one exposed a divergence from AWS that the engine had; its
// resolution says why the expectation is AWS's behaviour.
func TestSpecCases(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(specDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases in %s: %v", specDir, err)
	}
	runCaseFiles(t, files)
}
