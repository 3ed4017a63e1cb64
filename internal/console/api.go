package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

type apiError struct {
	Error string `json:"error"`
}

func (c *Console) apiExecutions(w http.ResponseWriter, r *http.Request) {
	rows, err := c.executions(r.Context(), c.filter(r))
	if err != nil {
		writeJSON(w, http.StatusBadGateway, apiError{err.Error()})
		return
	}
	if rows == nil {
		rows = []execRow{}
	}
	writeJSON(w, http.StatusOK, rows)
}

// apiExecution is what a running execution's page polls to know when to refresh.
func (c *Console) apiExecution(w http.ResponseWriter, r *http.Request) {
	arn := r.URL.Query().Get("arn")
	ex, err := c.opt.StepFunctions.DescribeExecution(r.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		writeJSON(w, http.StatusNotFound, apiError{err.Error()})
		return
	}
	events, err := c.history(r, arn)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, apiError{err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": ex.Status, "events": len(events)})
}

func (c *Console) apiNotifications(w http.ResponseWriter, r *http.Request) {
	rows, err := c.notifications(r)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, apiError{err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, rows)
}

// apiEvents streams server-sent events: "executions" with the filtered list whenever it
// changes, and "notifications" with the notification list whenever it changes. It looks
// every PollInterval and ends when the client goes away.
func (c *Console) apiEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	fl.Flush()

	f := c.filter(r)
	var lastExec, lastNotif []byte
	tick := time.NewTicker(c.opt.PollInterval)
	defer tick.Stop()
	idle := 0
	for {
		send := func(event string, v any, last *[]byte) bool {
			b, err := json.Marshal(v)
			if err != nil || bytes.Equal(b, *last) {
				return true
			}
			*last = b
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
				return false
			}
			idle = 0
			return true
		}
		if rows, err := c.executions(r.Context(), f); err == nil {
			if rows == nil {
				rows = []execRow{}
			}
			// While something runs its duration changes, so the list is re-sent each tick.
			if !send("executions", rows, &lastExec) {
				return
			}
		}
		if c.opt.Notifications != nil {
			if rows, err := c.notifications(r); err == nil {
				if rows == nil {
					rows = []notifRow{}
				}
				if !send("notifications", rows, &lastNotif) {
					return
				}
			}
		}
		if idle++; idle*int(c.opt.PollInterval/time.Millisecond) >= 15000 {
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			idle = 0
		}
		fl.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

type actionRequest struct {
	ARN    string `json:"arn"`
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

type actionResult struct {
	Message string `json:"message"`
	ARN     string `json:"arn,omitempty"`
	Link    string `json:"link,omitempty"`
}

func (c *Console) action(w http.ResponseWriter, r *http.Request) (actionRequest, bool) {
	var req actionRequest
	if err := c.checkCSRF(r); err != nil {
		writeJSON(w, http.StatusForbidden, apiError{err.Error()})
		return req, false
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{"bad request body: " + err.Error()})
		return req, false
	}
	return req, true
}

var nameUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// replay starts a new execution of the same state machine with the same input.
func (c *Console) replay(w http.ResponseWriter, r *http.Request) {
	req, ok := c.action(w, r)
	if !ok {
		return
	}
	ex, err := c.opt.StepFunctions.DescribeExecution(r.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(req.ARN)})
	if err != nil {
		writeJSON(w, http.StatusNotFound, apiError{"describe execution: " + err.Error()})
		return
	}
	suffix, err := NewToken()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, apiError{err.Error()})
		return
	}
	base := nameUnsafe.ReplaceAllString(aws.ToString(ex.Name), "-")
	if len(base) > 50 {
		base = base[:50]
	}
	name := base + "-replay-" + suffix[:12]
	out, err := c.opt.StepFunctions.StartExecution(r.Context(), &sfn.StartExecutionInput{
		StateMachineArn: ex.StateMachineArn, Name: aws.String(name), Input: ex.Input,
	})
	if err != nil {
		writeJSON(w, http.StatusBadGateway, apiError{"start execution: " + err.Error()})
		return
	}
	arn := aws.ToString(out.ExecutionArn)
	writeJSON(w, http.StatusOK, actionResult{Message: "Replay started: " + name, ARN: arn, Link: c.link("execution", "arn", arn)})
}

// redrive restarts a failed execution from the state that failed.
func (c *Console) redrive(w http.ResponseWriter, r *http.Request) {
	req, ok := c.action(w, r)
	if !ok {
		return
	}
	tok, err := NewToken()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, apiError{err.Error()})
		return
	}
	if _, err := c.opt.StepFunctions.RedriveExecution(r.Context(), &sfn.RedriveExecutionInput{ExecutionArn: aws.String(req.ARN), ClientToken: aws.String(tok)}); err != nil {
		writeJSON(w, http.StatusBadGateway, apiError{"redrive: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, actionResult{Message: "Redrive started", ARN: req.ARN, Link: c.link("execution", "arn", req.ARN)})
}

// reprocess sends the custom "Object Created" event the rule matches, so the pipeline
// runs again for the key's current version.
func (c *Console) reprocess(w http.ResponseWriter, r *http.Request) {
	req, ok := c.action(w, r)
	if !ok {
		return
	}
	if c.opt.Events == nil {
		writeJSON(w, http.StatusNotImplemented, apiError{"reprocess needs an EventBridge client"})
		return
	}
	if req.Bucket == "" {
		req.Bucket = c.opt.InputBucket
	}
	if req.Key == "" || req.Bucket == "" {
		writeJSON(w, http.StatusBadRequest, apiError{"reprocess needs a bucket and a key"})
		return
	}
	detail, _ := json.Marshal(map[string]any{
		"version":   "0",
		"bucket":    map[string]string{"name": req.Bucket},
		"object":    map[string]string{"key": req.Key},
		"reason":    "Reprocess",
		"requester": "console",
	})
	out, err := c.opt.Events.PutEvents(r.Context(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source:     aws.String(c.opt.ReprocessSource),
		DetailType: aws.String("Object Created"),
		Detail:     aws.String(string(detail)),
		Resources:  []string{"arn:aws:s3:::" + req.Bucket},
	}}})
	if err != nil {
		writeJSON(w, http.StatusBadGateway, apiError{"put events: " + err.Error()})
		return
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		e := out.Entries[0]
		writeJSON(w, http.StatusBadGateway, apiError{"put events: " + strings.TrimSpace(aws.ToString(e.ErrorCode)+" "+aws.ToString(e.ErrorMessage))})
		return
	}
	writeJSON(w, http.StatusOK, actionResult{Message: "Reprocess event sent for s3://" + req.Bucket + "/" + req.Key + "; its execution will appear in the list"})
}
