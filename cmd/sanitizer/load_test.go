package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/loadgen"
)

// TestMain lets this test binary serve as the `sanitizer` binary for the
// stacks that load tests start as child processes (and SIGKILL).
func TestMain(m *testing.M) {
	if os.Getenv("SANITIZER_TEST_MAIN") == "1" {
		// SANITIZER_CPUPROFILE profiles the stack while it runs (go test -c,
		// then run the binary with SANITIZER_TEST_MAIN=1 and a load against it).
		if path := os.Getenv("SANITIZER_CPUPROFILE"); path != "" {
			if f, err := os.Create(path); err == nil {
				pprof.StartCPUProfile(f)
				defer f.Close()
			}
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
		stop()
		pprof.StopCPUProfile()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// TestLoadUnderFaultsAndACrash is the small version of `make crash-test`: 200
// uploads (5% hostile, some keys uploaded twice within milliseconds) through a
// stack answering 10% of S3 requests with errors or resets and panicking in
// 2% of Lambda invocations, SIGKILLed and restarted once. Nothing may be lost,
// leaked or published twice.
func TestLoadUnderFaultsAndACrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a stack and uploads 200 files")
	}
	sum := load(t, 10*time.Minute, "-n", "200", "-c", "8", "--avg-kb", "60", "--min-kb", "50", "--max-kb", "160",
		"--hostile", "0.05", "--storm", "0.03", "--exiftool", "30", "--settle", "3m",
		"--fault-s3-error-rate", "0.1", "--fault-lambda-panic-rate", "0.02", "--seed", "3",
		"--kills", "1", "--kill-every", "2s")
	if !sum.OK() {
		t.Errorf("uploaded %d, lost %d, leaked %d, duplicates %d, wrong %d, unchecked %d; problems:\n%s",
			sum.Uploaded, sum.Lost, sum.Leaked, sum.Duplicates, sum.WrongOutput, sum.Unchecked, strings.Join(sum.Problems, "\n"))
	}
	if sum.Kills != 1 {
		t.Errorf("kills = %d, want 1", sum.Kills)
	}
	if sum.Clean+sum.RejectedAndNotified != 200 || sum.Hostile == 0 || sum.RejectedAndNotified < sum.Hostile {
		t.Errorf("clean %d + rejected %d of 200, hostile %d", sum.Clean, sum.RejectedAndNotified, sum.Hostile)
	}
}

// TestLoadEventStorm: every key is uploaded twice within milliseconds, every
// event is delivered twice and deliveries are delayed at random so they
// overtake each other. The output bucket must end with the sanitized newest
// version of every key, published once.
func TestLoadEventStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a stack")
	}
	sum := load(t, 6*time.Minute, "-n", "30", "-c", "8", "--avg-kb", "60", "--min-kb", "50", "--max-kb", "120",
		"--hostile", "0", "--storm", "1", "--exiftool", "10", "--settle", "60s",
		"--fault-event-duplicate-rate", "1", "--fault-event-delay", "300ms", "--seed", "4")
	// The checker lists the output bucket once per poll interval (2 s), not
	// in a loop once uploads are done (it once did, thousands of times).
	if most := int(sum.WallSeconds/2) + 2; sum.OutputPolls > most {
		t.Errorf("%d polls of the output bucket in %.1f s; at most %d expected", sum.OutputPolls, sum.WallSeconds, most)
	}
	if sum.StormKeys != 30 || sum.Clean != 30 || !sum.OK() {
		t.Errorf("storm keys %d, clean %d, lost %d, leaked %d, duplicates %d, wrong %d; problems:\n%s",
			sum.StormKeys, sum.Clean, sum.Lost, sum.Leaked, sum.Duplicates, sum.WrongOutput, strings.Join(sum.Problems, "\n"))
	}
}

// load runs `sanitizer load --spawn args...` with this test binary as the
// stack, in a temporary data directory, and returns its summary.
func load(t *testing.T, timeout time.Duration, args ...string) loadgen.Summary {
	t.Helper()
	selfEnv = []string{"SANITIZER_TEST_MAIN=1"}
	defer func() { selfEnv = nil }()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out, errs bytes.Buffer
	args = append(append([]string{"--spawn"}, args...), "--data", t.TempDir())
	err := runLoad(ctx, args, stdio{out: &out, err: &errs})
	t.Log(errs.String())
	if err != nil {
		t.Fatalf("load: %v\n%s", err, out.String())
	}
	var sum loadgen.Summary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, out.String())
	}
	return sum
}
