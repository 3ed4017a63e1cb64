package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Supervisor runs the stack as a child process (`sanitizer run` or anything
// printing the same ready line), watches its memory, and can SIGKILL and
// restart it on the same address and data directory.
type Supervisor struct {
	// Command and Args start the stack; Supervisor adds --addr and --data.
	Command string
	Args    []string
	Env     []string
	DataDir string
	// Log receives the stack's output (default: DataDir/stack.log).
	Log io.Writer

	addr string
	URL  string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	peak    int64                 // bytes, over every incarnation
	cpu     map[int]time.Duration // latest CPU time read, per incarnation's pid
	samples []RSSSample
	kills   int
	starts  []time.Duration
	stop    chan struct{}
	wg      sync.WaitGroup
	logFile *os.File
	exited  chan error
}

// RSSSample is the stack's resident set size at one moment.
type RSSSample struct {
	At   time.Duration // since the supervisor started
	RSS  int64         // bytes
	Anon int64         // bytes of RSS that are anonymous memory (heap, stacks), not mapped files
}

// Start picks a loopback port, starts the stack and waits until it serves.
func (s *Supervisor) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.addr = ln.Addr().String()
	ln.Close()
	s.URL = "http://" + s.addr
	if s.Log == nil {
		if err := os.MkdirAll(s.DataDir, 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(s.DataDir, "stack.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		s.logFile, s.Log = f, f
	}
	s.stop = make(chan struct{})
	s.exited = make(chan error, 1)
	if err := s.spawn(ctx); err != nil {
		return err
	}
	began := time.Now()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.sample(time.Since(began))
			}
		}
	}()
	return nil
}

// spawn starts one incarnation and waits for its ready line.
func (s *Supervisor) spawn(ctx context.Context) error {
	began := time.Now()
	args := append(append([]string(nil), s.Args...), "--addr", s.addr, "--data", s.DataDir)
	cmd := exec.Command(s.Command, args...)
	cmd.Env = append(os.Environ(), s.Env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = s.Log
	if err := cmd.Start(); err != nil {
		return err
	}
	ready := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.Log, line)
			if !signalled && strings.Contains(line, "local stack on") {
				ready <- nil
				signalled = true
			}
		}
		io.Copy(s.Log, out)
		if !signalled {
			ready <- errors.New("loadgen: the stack exited before it was ready (see stack.log)")
		}
		cmd.Wait()
		s.mu.Lock()
		// Kill and Stop take cmd away before they signal it: still here, it
		// ended on its own (a crash), and the run cannot go on.
		if s.cmd == cmd {
			s.cmd = nil
			select {
			case s.exited <- fmt.Errorf("loadgen: the stack exited on its own (%s); its log: %s", cmd.ProcessState, filepath.Join(s.DataDir, "stack.log")):
			default:
			}
		}
		s.mu.Unlock()
		close(done)
	}()
	t := time.NewTimer(2 * time.Minute)
	defer t.Stop()
	select {
	case err := <-ready:
		if err != nil {
			return err
		}
	case <-t.C:
		cmd.Process.Kill()
		return errors.New("loadgen: the stack was not ready within 2 minutes")
	case <-ctx.Done():
		cmd.Process.Kill()
		return ctx.Err()
	}
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.starts = append(s.starts, time.Since(began))
	s.mu.Unlock()
	return nil
}

// Exited reports an incarnation that ended without Kill or Stop: the stack
// crashed.
func (s *Supervisor) Exited() <-chan error { return s.exited }

// Kill SIGKILLs the stack (no chance to flush anything) and starts it again.
func (s *Supervisor) Kill(ctx context.Context) error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return errors.New("loadgen: the stack is not running")
	}
	s.sampleProcess(cmd.Process.Pid, 0)
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	s.mu.Lock()
	s.kills++
	s.mu.Unlock()
	return s.spawn(ctx)
}

// Stop asks the stack to stop (SIGINT) and waits for it.
func (s *Supervisor) Stop() error {
	if s.stop != nil {
		close(s.stop)
		s.wg.Wait()
		s.stop = nil
	}
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd != nil {
		s.sampleProcess(cmd.Process.Pid, 0)
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	if s.logFile != nil {
		s.logFile.Close()
		s.logFile = nil
	}
	return nil
}

// Pid is the running incarnation's process id (0 when none).
func (s *Supervisor) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

func (s *Supervisor) sample(at time.Duration) {
	if pid := s.Pid(); pid != 0 {
		s.sampleProcess(pid, at)
	}
}

func (s *Supervisor) sampleProcess(pid int, at time.Duration) {
	rss, hwm, err := ProcessMemory(pid)
	if err != nil {
		return
	}
	anon, _ := processStatus(pid, "RssAnon")
	cpu, cpuErr := ProcessCPU(pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cpuErr == nil {
		if s.cpu == nil {
			s.cpu = map[int]time.Duration{}
		}
		s.cpu[pid] = cpu
	}
	s.peak = max(s.peak, hwm, rss)
	if at > 0 {
		s.samples = append(s.samples, RSSSample{At: at, RSS: rss, Anon: anon})
	}
}

// Memory returns the peak RSS over every incarnation and the samples taken.
func (s *Supervisor) Memory() (peak int64, samples []RSSSample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, append([]RSSSample(nil), s.samples...)
}

// CPU is the CPU time (user and system) the stack used over every
// incarnation, as last sampled.
func (s *Supervisor) CPU() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t time.Duration
	for _, c := range s.cpu {
		t += c
	}
	return t
}

// Kills is the number of SIGKILLs so far; Restarts the time each start took.
func (s *Supervisor) Kills() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kills
}

// StartTimes is how long each incarnation took to become ready.
func (s *Supervisor) StartTimes() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.starts...)
}

// ProcessCPU reads a process's user plus system CPU time from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s).
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// processStatus reads one kB field of /proc/<pid>/status, in bytes.
func processStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, val, ok := strings.Cut(line, ":"); ok && name == field {
			if f := strings.Fields(val); len(f) > 0 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, field)
}

// ProcessMemory reads a process's current and peak resident set size from
// /proc/<pid>/status (VmRSS, VmHWM), in bytes.
func ProcessMemory(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) == 0 {
			continue
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
	}
	return rss, hwm, nil
}
