package console

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

func assetHandler() http.Handler {
	sub, _ := fs.Sub(assetFS, "assets")
	return http.FileServer(http.FS(sub))
}

type pages map[string]*template.Template

func parsePages() (pages, error) {
	ps := pages{}
	for _, name := range []string{"list", "execution", "object", "notifications", "error"} {
		t, err := template.New("layout.html").Funcs(template.FuncMap{
			"lower": strings.ToLower,
			"json":  indentJSON,
		}).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		ps[name] = t
	}
	return ps, nil
}

// indentJSON shows a value (an audit record) as the JSON it is stored as.
func indentJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// page is what every template receives; Data is the page's own.
type page struct {
	Title string
	Nav   string
	Base  string
	CSRF  string
	Data  any
}

func (c *Console) render(w http.ResponseWriter, name, title string, status int, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	p := page{Title: title, Nav: name, Base: c.base, CSRF: c.csrf, Data: data}
	if err := c.pages[name].Execute(w, p); err != nil {
		// Headers are gone; the truncated page is all that can be done.
		fmt.Fprintf(w, "<p>template error</p>")
	}
}

func (c *Console) fail(w http.ResponseWriter, status int, err error) {
	c.render(w, "error", "Error", status, err.Error())
}

// listPage is the executions list.
type listData struct {
	Rows     []execRow
	Status   string
	Query    string
	Statuses []string
	Error    string
}

func (c *Console) filter(r *http.Request) listFilter {
	f := listFilter{Status: strings.ToUpper(r.URL.Query().Get("status")), Query: r.URL.Query().Get("q")}
	valid := false
	for _, s := range statuses {
		valid = valid || s == f.Status
	}
	if !valid {
		f.Status = ""
	}
	return f
}

func (c *Console) listPage(w http.ResponseWriter, r *http.Request) {
	f := c.filter(r)
	d := listData{Status: f.Status, Query: f.Query, Statuses: statuses}
	rows, err := c.executions(r.Context(), f)
	if err != nil {
		d.Error = err.Error()
	}
	d.Rows = rows
	c.render(w, "list", "Executions", http.StatusOK, d)
}

// executionData is one execution's page.
type executionData struct {
	ARN, Name, Status, StateMachine, StateMachineARN string
	Bucket, Key, Version                             string
	Start, Stop, Duration                            string
	RedriveCount                                     int32
	Error, Cause                                     string
	Input, Output                                    string
	Graph                                            *graph
	GraphError                                       string
	Steps                                            []*step
	Timeline                                         []timelineEvent
	Events                                           int
	AuditNote                                        string
	OtherAudit                                       []audit.Record
	Link, ObjectLink                                 string
	CanRedrive, CanReprocess                         bool
}

func (c *Console) loadExecution(r *http.Request) (*executionData, error) {
	arn := r.URL.Query().Get("arn")
	if arn == "" {
		return nil, errors.New("no execution named: add ?arn=")
	}
	ctx := r.Context()
	sf := c.opt.StepFunctions
	ex, err := sf.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("describe execution: %w", err)
	}
	d := &executionData{
		ARN:             arn,
		Name:            aws.ToString(ex.Name),
		Status:          string(ex.Status),
		StateMachineARN: aws.ToString(ex.StateMachineArn),
		StateMachine:    lastPart(aws.ToString(ex.StateMachineArn)),
		Error:           aws.ToString(ex.Error),
		Cause:           prettyJSON(aws.ToString(ex.Cause)),
		Input:           prettyJSON(aws.ToString(ex.Input)),
		Output:          prettyJSON(aws.ToString(ex.Output)),
		RedriveCount:    aws.ToInt32(ex.RedriveCount),
	}
	d.Bucket, d.Key, d.Version = objectOf(aws.ToString(ex.Input))
	d.Link, d.ObjectLink = c.link("execution", "arn", arn), c.link("object", "arn", arn)
	d.CanReprocess = c.opt.Events != nil && d.Key != ""
	switch ex.Status {
	case types.ExecutionStatusFailed, types.ExecutionStatusTimedOut, types.ExecutionStatusAborted:
		d.CanRedrive = true
	}
	if ex.StartDate != nil {
		d.Start = ex.StartDate.UTC().Format(time.RFC3339Nano)
		end := c.opt.Now()
		if ex.StopDate != nil {
			end = *ex.StopDate
			d.Stop = ex.StopDate.UTC().Format(time.RFC3339Nano)
		}
		d.Duration = duration(end.Sub(*ex.StartDate))
	}

	events, err := c.history(r, arn)
	if err != nil {
		return nil, err
	}
	d.Events = len(events)
	steps, status, timeline := readHistory(events)
	d.Steps, d.Timeline = steps, timeline

	if sm, err := sf.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: ex.StateMachineArn}); err != nil {
		d.GraphError = "state machine definition unavailable: " + err.Error()
	} else if g, err := layoutGraph(aws.ToString(sm.Definition), status); err != nil {
		d.GraphError = err.Error()
	} else {
		d.Graph = g
	}

	if c.opt.Audit == nil {
		d.AuditNote = "No audit reader is configured."
	} else if recs, err := c.opt.Audit.ByExecution(ctx, arn); err != nil {
		d.AuditNote = "Audit records unavailable: " + err.Error()
	} else {
		d.OtherAudit = attachAudit(steps, recs)
	}
	return d, nil
}

// history reads every event of an execution, following pages (bounded).
func (c *Console) history(r *http.Request, arn string) ([]types.HistoryEvent, error) {
	var events []types.HistoryEvent
	var next *string
	for range 1000 { // 1,000 pages × 1,000 events covers AWS's 25,000-event limit many times
		out, err := c.opt.StepFunctions.GetExecutionHistory(r.Context(), &sfn.GetExecutionHistoryInput{
			ExecutionArn: aws.String(arn), NextToken: next, MaxResults: 1000, IncludeExecutionData: aws.Bool(true),
		})
		if err != nil {
			return nil, fmt.Errorf("execution history: %w", err)
		}
		events = append(events, out.Events...)
		if out.NextToken == nil {
			break
		}
		next = out.NextToken
	}
	return events, nil
}

func (c *Console) executionPage(w http.ResponseWriter, r *http.Request) {
	d, err := c.loadExecution(r)
	if err != nil {
		c.fail(w, http.StatusNotFound, err)
		return
	}
	c.render(w, "execution", "Execution "+d.Name, http.StatusOK, d)
}

// objectData is the object page: before/after previews and what was removed.
type objectData struct {
	Exec          *executionData
	Original      string // thumbnail URLs
	Sanitized     string
	OutputBucket  string
	OutputVersion string
	Strip         *audit.Record // the record that says what was removed
	Removed       []audit.Removal
	RemovedBytes  int64
	SensitiveTags []string
	Note          string
	KeyAudit      []keyAuditRow
	KeyAuditNote  string
	// Before and After are the files inspected now, by the console.
	Before, After inspection
	SameImage     bool
	// Transformed names the lossless rotation or mirror that turned Before's
	// image into After's, checked coefficient by coefficient; empty otherwise.
	Transformed   string
	PolicyVersion string
}

type keyAuditRow struct {
	audit.Record
	ExecLink string
	ExecName string
}

func (c *Console) objectPage(w http.ResponseWriter, r *http.Request) {
	d, err := c.loadExecution(r)
	if err != nil {
		c.fail(w, http.StatusNotFound, err)
		return
	}
	o := &objectData{Exec: d, OutputBucket: c.opt.OutputBucket, PolicyVersion: c.opt.Policy.Version}
	// What was removed is what the latest successful strip attempt recorded; the copy
	// to show is the version this execution's write published (a later upload of the
	// same key may have replaced it since), else the latest.
	for _, s := range d.Steps {
		for i := range s.Audit {
			a := s.Audit[i]
			if a.Step == audit.StepStrip && a.Outcome == audit.Succeeded {
				o.Strip = &s.Audit[i]
			}
			if a.Step == audit.StepWrite && a.Outcome == audit.Succeeded && a.Output != nil && a.Output.Bucket == c.opt.OutputBucket {
				o.OutputVersion = a.Output.VersionID
			}
		}
	}
	if d.Key != "" {
		o.Original = c.link("thumb", "arn", d.ARN, "side", "original")
		if c.opt.OutputBucket != "" {
			o.Sanitized = c.link("thumb", "arn", d.ARN, "side", "sanitized", "version", o.OutputVersion)
		}
	}
	if o.Strip != nil {
		o.Removed, o.SensitiveTags = o.Strip.Removed, o.Strip.SensitiveTags
		for _, rm := range o.Removed {
			o.RemovedBytes += rm.Bytes
		}
	} else {
		o.Note = "No strip audit record for this execution: nothing was removed (the upload did not reach the Strip step, or its record is missing)."
	}
	if d.Key != "" {
		o.Before = c.inspect(r.Context(), d.Bucket, d.Key, d.Version)
		if c.opt.OutputBucket != "" {
			o.After = c.inspect(r.Context(), c.opt.OutputBucket, d.Key, o.OutputVersion)
		}
		o.SameImage = o.Before.Ins != nil && o.After.Ins != nil && o.Before.Ins.ImageDigest != "" && o.Before.Ins.ImageDigest == o.After.Ins.ImageDigest
		if !o.SameImage && o.Before.Ins != nil && o.After.Ins != nil && o.Before.Ins.Orientation >= 2 && o.Before.Ins.Orientation <= 8 && o.After.Ins.Orientation == 0 {
			o.Transformed = c.transformed(r.Context(), d.Bucket, d.Key, d.Version, o.OutputVersion, o.Before.Ins.Orientation)
		}
	}
	if c.opt.Audit != nil && d.Key != "" {
		recs, err := c.opt.Audit.ByKey(r.Context(), d.Key)
		if err != nil {
			o.KeyAuditNote = "Audit records by key unavailable: " + err.Error()
		}
		for _, rec := range recs {
			o.KeyAudit = append(o.KeyAudit, keyAuditRow{Record: rec, ExecLink: c.link("execution", "arn", rec.Execution), ExecName: lastPart(rec.Execution)})
		}
	}
	c.render(w, "object", "Object "+d.Key, http.StatusOK, o)
}

func (c *Console) thumb(w http.ResponseWriter, r *http.Request) {
	arn := r.URL.Query().Get("arn")
	o, err := c.objectFor(r.Context(), arn)
	if err != nil {
		http.Error(w, "execution not found", http.StatusNotFound)
		return
	}
	bucket, key, version := o.bucket, o.key, o.version
	if r.URL.Query().Get("side") == "sanitized" {
		// Only a version of this execution's key in the output bucket can be asked for.
		bucket, version = c.opt.OutputBucket, r.URL.Query().Get("version")
	}
	if bucket == "" || key == "" {
		http.Error(w, "no object for this execution", http.StatusNotFound)
		return
	}
	b, err := c.thumbnail(r.Context(), bucket, key, version)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, max-age=60")
	w.Write(b)
}

// notifRow is one failure notification with what the console could read from it.
type notifRow struct {
	MessageID string `json:"messageId"`
	Subject   string `json:"subject"`
	Received  string `json:"received"`
	Key       string `json:"key"`
	Step      string `json:"step"`
	Error     string `json:"error"`
	Execution string `json:"execution"`
	ExecName  string `json:"execName"`
	ExecLink  string `json:"execLink"`
	Message   string `json:"message"`

	at time.Time
}

func (c *Console) notifications(r *http.Request) ([]notifRow, error) {
	if c.opt.Notifications == nil {
		return nil, errors.New("no notification log is configured")
	}
	ns, err := c.opt.Notifications.Notifications(r.Context())
	if err != nil {
		return nil, err
	}
	rows := make([]notifRow, 0, len(ns))
	for _, n := range ns {
		row := notifRow{MessageID: n.MessageID, Subject: n.Subject, Received: n.Received.UTC().Format(time.RFC3339), Message: prettyJSON(n.Message), at: n.Received}
		var m map[string]any
		if json.Unmarshal([]byte(n.Message), &m) == nil {
			row.Key = field(m, "key", "Key", "objectKey")
			row.Step = field(m, "step", "failedStep", "FailedStep", "Step", "state")
			row.Error = field(m, "error", "Error")
			row.Execution = findExecutionARN(m)
		}
		if row.Execution != "" {
			row.ExecLink = c.link("execution", "arn", row.Execution)
			row.ExecName = lastPart(row.Execution)
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].at.After(rows[j].at) })
	return rows, nil
}

// field returns the first string value found under any of the names, at the top level or
// one object down.
func field(m map[string]any, names ...string) string {
	for _, n := range names {
		if s, ok := m[n].(string); ok && s != "" {
			return s
		}
	}
	for _, v := range m {
		if sub, ok := v.(map[string]any); ok {
			for _, n := range names {
				if s, ok := sub[n].(string); ok && s != "" {
					return s
				}
			}
		}
	}
	return ""
}

// findExecutionARN finds an execution ARN anywhere in a decoded message.
func findExecutionARN(v any) string {
	switch t := v.(type) {
	case string:
		if strings.HasPrefix(t, "arn:") && strings.Contains(t, ":states:") && strings.Contains(t, ":execution:") {
			return t
		}
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if s := findExecutionARN(t[k]); s != "" {
				return s
			}
		}
	case []any:
		for _, e := range t {
			if s := findExecutionARN(e); s != "" {
				return s
			}
		}
	}
	return ""
}

type notificationsData struct {
	Rows  []notifRow
	Error string
}

func (c *Console) notificationsPage(w http.ResponseWriter, r *http.Request) {
	rows, err := c.notifications(r)
	d := notificationsData{Rows: rows}
	if err != nil {
		d.Error = err.Error()
	}
	c.render(w, "notifications", "Failure notifications", http.StatusOK, d)
}
