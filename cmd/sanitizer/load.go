package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/faults"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/loadgen"
)

func init() {
	register(command{name: "load", summary: "load-test a stack: upload generated photos and hostile files, check every output, print a JSON summary", run: runLoad})
}

// selfEnv is added to the environment of a stack started with --spawn; tests
// set it so their own binary runs `sanitizer run`.
var selfEnv []string

func runLoad(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(s.err)
	endpoint := fs.String("endpoint-url", "http://127.0.0.1:4566", "the running stack (ignored with --spawn)")
	n := fs.Int("n", 1000, "number of keys to upload")
	conc := fs.Int("c", 16, "concurrent upload clients")
	avgKB := fs.Int("avg-kb", 1024, "average photo size in KB (log-normal)")
	minKB := fs.Int("min-kb", 50, "smallest photo in KB")
	maxKB := fs.Int("max-kb", 12<<10, "largest photo in KB")
	hostile := fs.Float64("hostile", 0.05, "fraction of hostile uploads (PNG named .jpg, truncated, 80-MP bombs, garbage)")
	storm := fs.Float64("storm", 0.02, "fraction of photo keys uploaded twice within milliseconds")
	rate := fs.Float64("rate", 0, "upload this many keys per second (0: as fast as the clients go)")
	settle := fs.Duration("settle", 2*time.Minute, "give up when no key settled for this long")
	exif := fs.Int("exiftool", 200, "how many clean outputs exiftool re-checks (when installed)")
	spawn := fs.Bool("spawn", false, "start the stack (sanitizer run) as a child process, on a free port")
	data := fs.String("data", "", "data directory of a spawned stack (default: a temporary one, removed afterwards)")
	stackConc := fs.Int("stack-concurrency", 0, "--concurrency of a spawned stack")
	kills := fs.Int("kills", 0, "crash drill: SIGKILL and restart a spawned stack this many times during the run")
	killEvery := fs.Duration("kill-every", 5*time.Second, "time between kills")
	pid := fs.Int("stack-pid", 0, "process id of a stack not spawned, for its peak RSS")
	out := fs.String("out", "", "directory to write the summary to (JSON and a Markdown table), e.g. bench/results")
	strict := fs.Bool("strict", true, "exit 1 unless lost, leaked, duplicates and wrong outputs are 0")
	fc := faultFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *kills > 0 && !*spawn {
		return errors.New("--kills needs --spawn (the drill restarts the stack it started)")
	}
	if fc.Enabled() && !*spawn {
		return errors.New("fault flags need --spawn (or pass them to sanitizer run)")
	}
	if err := fc.Validate(); err != nil {
		return err
	}

	cfg := loadgen.Config{Endpoint: *endpoint, Concurrency: *conc, Settle: *settle, ExiftoolSample: *exif,
		Kills: *kills, KillEvery: *killEvery, Rate: *rate, StackPID: *pid, Progress: s.err,
		Corpus: loadgen.CorpusConfig{N: *n, AvgSize: int64(*avgKB) << 10, MinSize: int64(*minKB) << 10, MaxSize: int64(*maxKB) << 10,
			HostileRate: *hostile, StormRate: *storm, Seed: fc.Seed,
			Prefix: fmt.Sprintf("load/%s-%d/", time.Now().UTC().Format("20060102T150405"), fc.Seed)}}
	keepData := false
	if *spawn {
		dir := *data
		if dir == "" {
			tmp, err := os.MkdirTemp("", "sanitizer-load-")
			if err != nil {
				return err
			}
			// Kept when the run fails, for the operator to look at.
			defer func() {
				if keepData {
					fmt.Fprintf(s.err, "load: the stack's data is kept in %s\n", tmp)
					return
				}
				os.RemoveAll(tmp)
			}()
			dir = tmp
		}
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		runArgs := append([]string{"run"}, faultArgs(*fc)...)
		if *stackConc > 0 {
			runArgs = append(runArgs, "--concurrency", fmt.Sprint(*stackConc))
		}
		sup := &loadgen.Supervisor{Command: exe, Args: runArgs, Env: selfEnv, DataDir: dir}
		if err := sup.Start(ctx); err != nil {
			return err
		}
		defer sup.Stop()
		fmt.Fprintf(s.err, "load: stack started on %s (data in %s), %s\n", sup.URL, dir, fc)
		cfg.Endpoint, cfg.Stack = sup.URL, sup
		// A stack that crashes ends the run at once: uploads would otherwise
		// retry against a closed port for minutes each.
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		defer cancel(nil)
		go func() {
			select {
			case err := <-sup.Exited():
				cancel(err)
			case <-ctx.Done():
			}
		}()
	}
	sum, err := loadgen.Run(ctx, cfg)
	if err != nil {
		keepData = true
		if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
			return cause
		}
		return err
	}
	if cfg.Stack != nil {
		cfg.Stack.Stop()
		peak, _ := cfg.Stack.Memory()
		sum.PeakRSSMB = max(sum.PeakRSSMB, float64(peak)/(1<<20))
	}
	sum.Faults = fc.String()
	sum.Machine, sum.Commit, sum.When = machine(), commit(), time.Now().UTC().Format(time.RFC3339)
	if err := sum.WriteJSON(s.out); err != nil {
		return err
	}
	if *out != "" {
		if err := writeResults(*out, sum); err != nil {
			return err
		}
	}
	if *strict && !sum.OK() {
		keepData = true
		fmt.Fprintf(s.err, "load: FAILED: lost %d, leaked %d, duplicates %d, wrong outputs %d, unchecked outputs %d, uploaded %d of %d\n",
			sum.Lost, sum.Leaked, sum.Duplicates, sum.WrongOutput, sum.Unchecked, sum.Uploaded, sum.Keys)
		return exitError{1}
	}
	return nil
}

// faultArgs renders c as `sanitizer run` flags.
func faultArgs(c faults.Config) []string {
	args := []string{"--seed", fmt.Sprint(c.Seed)}
	add := func(name string, on bool, v any) {
		if on {
			args = append(args, "--"+name, fmt.Sprint(v))
		}
	}
	add("fault-s3-error-rate", c.S3ErrorRate > 0, c.S3ErrorRate)
	add("fault-s3-latency", c.S3Latency > 0, c.S3Latency)
	add("fault-lambda-panic-rate", c.LambdaPanicRate > 0, c.LambdaPanicRate)
	add("fault-lambda-throttle-rate", c.LambdaThrottleRate > 0, c.LambdaThrottleRate)
	add("fault-event-duplicate-rate", c.EventDuplicateRate > 0, c.EventDuplicateRate)
	add("fault-event-delay", c.EventDelay > 0, c.EventDelay)
	return args
}

// writeResults writes the summary as JSON and as a Markdown table, named by
// time and commit.
func writeResults(dir string, sum *loadgen.Summary) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(dir, fmt.Sprintf("load-%s-%s", time.Now().UTC().Format("20060102T150405"), sum.Commit))
	f, err := os.Create(base + ".json")
	if err != nil {
		return err
	}
	if err := sum.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	f, err = os.Create(base + ".md")
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "# sanitizer load, %d keys\n\n", sum.Keys)
	if err := sum.WriteTable(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// machine describes the host: CPU model, cores, memory, OS.
func machine() string {
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf(", %.0f GB RAM", float64(kb)/(1<<20))
	}
	return fmt.Sprintf("%s, %d cores%s, %s/%s, %s", cpu, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// commit is the VCS revision the binary was built from, or git's HEAD.
func commit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) >= 12 {
			if dirty {
				return rev[:12] + "-dirty"
			}
			return rev[:12]
		}
	}
	if b, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		return strings.TrimSpace(string(b))
	}
	return "unknown"
}
