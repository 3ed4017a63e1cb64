package statemachine_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/statemachine"
)

func arns() map[string]string {
	m := map[string]string{}
	for _, p := range statemachine.Placeholders {
		if p == statemachine.FailureTopicARN {
			m[p] = "arn:aws:sns:eu-west-1:111122223333:sanitizer-failures"
			continue
		}
		m[p] = "arn:aws:lambda:eu-west-1:111122223333:function:sanitizer-" + strings.TrimSuffix(p, "_function_arn")
	}
	return m
}

func TestPlaceholdersAreExactlyTheFiles(t *testing.T) {
	var found []string
	for _, m := range regexp.MustCompile(`\$\{([a-z_]+)\}`).FindAllStringSubmatch(statemachine.Template(), -1) {
		if !slices.Contains(found, m[1]) {
			found = append(found, m[1])
		}
	}
	slices.Sort(found)
	want := slices.Clone(statemachine.Placeholders)
	slices.Sort(want)
	if !slices.Equal(found, want) {
		t.Fatalf("file has %v, package lists %v", found, want)
	}
	// Terraform's templatefile treats %{ as a directive too.
	if strings.Contains(statemachine.Template(), "%{") {
		t.Fatal("template contains %{, which templatefile would interpret")
	}
}

func TestRender(t *testing.T) {
	out, err := statemachine.Render(arns())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "${") {
		t.Fatal("placeholder left after rendering")
	}
	var def struct {
		StartAt string
		States  map[string]map[string]any
	}
	if err := json.Unmarshal(out, &def); err != nil {
		t.Fatal(err)
	}
	params := def.States["Validate"]["Parameters"].(map[string]any)
	if params["FunctionName"] != arns()[statemachine.ValidateFunctionARN] {
		t.Errorf("Validate invokes %v", params["FunctionName"])
	}
}

func TestRenderRefusesIncompleteOrUnknown(t *testing.T) {
	m := arns()
	delete(m, statemachine.VerifyFunctionARN)
	if _, err := statemachine.Render(m); err == nil || !strings.Contains(err.Error(), "verify_function_arn") {
		t.Fatalf("missing value: %v", err)
	}
	m = arns()
	m["veryfy_function_arn"] = "x"
	if _, err := statemachine.Render(m); err == nil || !strings.Contains(err.Error(), "veryfy") {
		t.Fatalf("unknown value: %v", err)
	}
}

// The retry policy is the design's: read back from the file so an edit that breaks it fails here.
func TestEveryTaskRetriesTransientsAndCatchesEverything(t *testing.T) {
	out, err := statemachine.Render(arns())
	if err != nil {
		t.Fatal(err)
	}
	var def struct {
		States map[string]struct {
			Type     string
			Resource string
			Retry    []struct {
				ErrorEquals     []string
				MaxAttempts     *int
				JitterStrategy  string
				MaxDelaySeconds int
			}
			Catch []struct {
				ErrorEquals []string
				Next        string
			}
		}
	}
	if err := json.Unmarshal(out, &def); err != nil {
		t.Fatal(err)
	}
	tasks := 0
	for name, s := range def.States {
		if s.Type != "Task" || s.Resource != "arn:aws:states:::lambda:invoke" {
			continue
		}
		tasks++
		if len(s.Catch) == 0 || !slices.Contains(s.Catch[len(s.Catch)-1].ErrorEquals, "States.ALL") {
			t.Errorf("%s: no catch-all", name)
		}
		var sawThrottle, sawTransient, sawAll bool
		for i, r := range s.Retry {
			switch {
			case slices.Contains(r.ErrorEquals, "Lambda.TooManyRequestsException"):
				sawThrottle = r.JitterStrategy == "FULL" && r.MaxDelaySeconds > 0 && slices.Contains(r.ErrorEquals, "Lambda.ServiceException")
			case slices.Contains(r.ErrorEquals, "TransientS3"):
				sawTransient = r.JitterStrategy == "FULL"
			case slices.Contains(r.ErrorEquals, "NotJPEG"):
				if r.MaxAttempts == nil || *r.MaxAttempts != 0 {
					t.Errorf("%s: domain errors are retried", name)
				}
			case slices.Contains(r.ErrorEquals, "States.ALL"):
				sawAll = i == len(s.Retry)-1
			}
		}
		if !sawThrottle || !sawTransient || !sawAll {
			t.Errorf("%s: throttle %v transient %v catch-all-last %v", name, sawThrottle, sawTransient, sawAll)
		}
	}
	if tasks != 6 {
		t.Errorf("%d Lambda tasks, want 6", tasks)
	}
}

// The definition passes the project's ASL validator (the same one the local stack runs).
func TestDefinitionIsValidASL(t *testing.T) {
	out, err := statemachine.Render(arns())
	if err != nil {
		t.Fatal(err)
	}
	sm, err := asl.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Route", "Validate", "Strip", "Write", "Verify", "Unpublish", "RecordFailure", "NotifyFailure", "Failed"} {
		if !slices.Contains(sm.StateNames(), name) {
			t.Errorf("no state %s", name)
		}
	}
	// An unrendered template must not pass: its placeholders are not ARNs.
	if _, err := asl.Parse([]byte(strings.ReplaceAll(statemachine.Template(), `"Next": "Strip"`, `"Next": "Strp"`))); err == nil {
		t.Error("a definition with a dangling Next passed validation")
	}
}
