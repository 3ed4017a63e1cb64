package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A stack that dies on its own is reported on Exited; one the drill kills, or
// Stop stops, is not.
func TestSupervisorReportsACrash(t *testing.T) {
	ctx := context.Background()
	crashing := &Supervisor{Command: "sh", Args: []string{"-c", "echo 'sanitizer: local stack on http://x'; sleep 0.2; exit 3", "sh"}, DataDir: t.TempDir()}
	if err := crashing.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer crashing.Stop()
	select {
	case err := <-crashing.Exited():
		if err == nil || !strings.Contains(err.Error(), "exit status 3") {
			t.Errorf("crash reported as %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a crashed stack was not reported")
	}

	steady := &Supervisor{Command: "sh", Args: []string{"-c", "echo 'sanitizer: local stack on http://x'; exec sleep 30", "sh"}, DataDir: t.TempDir()}
	if err := steady.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := steady.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	steady.Stop()
	select {
	case err := <-steady.Exited():
		t.Errorf("a killed or stopped stack was reported: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
}
