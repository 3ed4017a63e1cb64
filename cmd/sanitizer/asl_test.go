package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, stdio{in: strings.NewReader(stdin), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func TestASLRun(t *testing.T) {
	tests := []struct {
		name, req, want string
	}{
		{"succeeded", `{"name":"n","definition":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},"OutputPath":"$.Payload","End":true}}},"input":{"a":1},"task_mock":"echo"}`,
			`{"output":{"a":1},"status":"SUCCEEDED"}`},
		{"failed", `{"name":"n","definition":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}},"input":{}}`,
			`{"cause":null,"error":"E","status":"FAILED"}`},
		{"timed out", `{"name":"n","definition":{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}},"input":{}}`,
			`{"status":"TIMED_OUT"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tt.req, "asl", "run")
			if code != 0 || strings.TrimSpace(out) != tt.want {
				t.Fatalf("exit %d, stdout %s stderr %s; want %s", code, out, errs, tt.want)
			}
		})
	}
	t.Run("rejected", func(t *testing.T) {
		code, out, _ := runCLI(t, `{"name":"n","definition":{"StartAt":"X","States":{"A":{"Type":"Pass","End":true}}},"input":{}}`, "asl", "run")
		var res struct{ Status, Category, Error string }
		if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
			t.Fatalf("exit %d out %s: %v", code, out, err)
		}
		if res.Status != "REJECTED" || res.Category != "MISSING_TRANSITION_TARGET" || !strings.Contains(res.Error, "/StartAt") {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("history", func(t *testing.T) {
		code, out, errs := runCLI(t, `{"name":"n","definition":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"input":{"a":1}}`, "asl", "run", "-history")
		var h struct {
			Events []struct {
				Type string
				ID   int64
			}
		}
		if err := json.Unmarshal([]byte(errs), &h); err != nil || code != 0 || !strings.Contains(out, "SUCCEEDED") {
			t.Fatalf("exit %d out %s err %s: %v", code, out, errs, err)
		}
		if len(h.Events) != 4 || h.Events[3].Type != "ExecutionSucceeded" || h.Events[3].ID != 4 {
			t.Fatalf("history %+v", h.Events)
		}
	})
	t.Run("bad request is an engine error", func(t *testing.T) {
		if code, _, _ := runCLI(t, `not json`, "asl", "run"); code == 0 {
			t.Fatal("exit 0 for a malformed request")
		}
	})
}

func TestASLValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(good, []byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`), 0o600)
	os.WriteFile(bad, []byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Retry":[],"Next":"B"}}}`), 0o600)
	if code, out, _ := runCLI(t, "", "asl", "validate", good); code != 0 || !strings.Contains(out, "valid") {
		t.Fatalf("good: exit %d %s", code, out)
	}
	code, out, _ := runCLI(t, "", "asl", "validate", bad)
	if code != 1 || !strings.Contains(out, "/States/A/Retry") || !strings.Contains(out, "MISSING_TRANSITION_TARGET") {
		t.Fatalf("bad: exit %d %s", code, out)
	}
}
