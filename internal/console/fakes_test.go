package console

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// Hand-written fakes of the console's sources: in-memory, safe for concurrent use.

const testMachineARN = "arn:aws:states:us-east-1:000000000000:stateMachine:sanitizer"

// testDefinition has the pipeline's shape: four tasks, each caught into the failure path.
const testDefinition = `{
  "StartAt": "Validate",
  "States": {
    "Validate": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:validate", "Next": "Strip",
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}]},
    "Strip": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:strip", "Next": "Write",
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}]},
    "Write": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:write", "Next": "Verify",
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}]},
    "Verify": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:verify", "Next": "Done",
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}]},
    "Done": {"Type": "Succeed"},
    "RecordFailure": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:record-failure", "Next": "NotifyFailure"},
    "NotifyFailure": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Next": "Failed"},
    "Failed": {"Type": "Fail", "Error": "ImageRejected"}
  }
}`

type fakeExec struct {
	item   types.ExecutionListItem
	input  string
	output string
	err    string
	cause  string
	events []types.HistoryEvent
}

type fakeSFN struct {
	mu         sync.Mutex
	definition string // testDefinition when empty
	pageSize   int    // ListExecutions page size; 2 when zero, so paging is exercised
	t0         time.Time
	execs      []*fakeExec
	started    []sfn.StartExecutionInput
	redriven   []string
}

func newFakeSFN() *fakeSFN {
	return &fakeSFN{t0: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
}

func s3Event(bucket, key, version string) string {
	b, _ := json.Marshal(map[string]any{
		"version": "0", "detail-type": "Object Created", "source": "aws.s3",
		"detail": map[string]any{
			"bucket": map[string]string{"name": bucket},
			"object": map[string]any{"key": key, "version-id": version, "size": 1234},
		},
	})
	return string(b)
}

// history builds a history for the test definition: every state up to and including
// failAt succeeds, failAt fails (after retries) and the Catch runs the failure path.
type historyBuilder struct {
	t      time.Time
	events []types.HistoryEvent
}

func (h *historyBuilder) add(t types.HistoryEventType, fill func(*types.HistoryEvent)) {
	h.t = h.t.Add(120 * time.Millisecond)
	ts := h.t
	ev := types.HistoryEvent{Id: int64(len(h.events) + 1), PreviousEventId: int64(len(h.events)), Type: t, Timestamp: &ts}
	if fill != nil {
		fill(&ev)
	}
	h.events = append(h.events, ev)
}

func (h *historyBuilder) task(name, input, output string, failures int, errName, cause string, succeed bool) {
	h.add(types.HistoryEventTypeTaskStateEntered, func(e *types.HistoryEvent) {
		e.StateEnteredEventDetails = &types.StateEnteredEventDetails{Name: aws.String(name), Input: aws.String(input)}
	})
	for range failures {
		h.add(types.HistoryEventTypeTaskScheduled, nil)
		h.add(types.HistoryEventTypeTaskFailed, func(e *types.HistoryEvent) {
			e.TaskFailedEventDetails = &types.TaskFailedEventDetails{Error: aws.String(errName), Cause: aws.String(cause), Resource: aws.String("invoke"), ResourceType: aws.String("lambda")}
		})
	}
	if succeed {
		h.add(types.HistoryEventTypeTaskScheduled, nil)
		h.add(types.HistoryEventTypeTaskSucceeded, func(e *types.HistoryEvent) {
			e.TaskSucceededEventDetails = &types.TaskSucceededEventDetails{Output: aws.String(output), Resource: aws.String("invoke"), ResourceType: aws.String("lambda")}
		})
	}
	h.add(types.HistoryEventTypeTaskStateExited, func(e *types.HistoryEvent) {
		e.StateExitedEventDetails = &types.StateExitedEventDetails{Name: aws.String(name), Output: aws.String(output)}
	})
}

// addExecution records an execution of the test machine. failAt "" means it succeeds;
// running means it stops after Strip without an ending.
func (f *fakeSFN) addExecution(name, key, failAt, errName, cause string, running bool) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	arn := strings.Replace(testMachineARN, ":stateMachine:", ":execution:", 1) + ":" + name
	start := f.t0.Add(time.Duration(len(f.execs)) * time.Minute)
	in := s3Event("uploads", key, "v1")
	h := &historyBuilder{t: start}
	h.add(types.HistoryEventTypeExecutionStarted, func(e *types.HistoryEvent) {
		e.ExecutionStartedEventDetails = &types.ExecutionStartedEventDetails{Input: aws.String(in)}
	})
	ex := &fakeExec{input: in}
	state := in
	status := types.ExecutionStatusSucceeded
	for _, st := range []string{"Validate", "Strip", "Write", "Verify"} {
		if running && st == "Write" {
			h.add(types.HistoryEventTypeTaskStateEntered, func(e *types.HistoryEvent) {
				e.StateEnteredEventDetails = &types.StateEnteredEventDetails{Name: aws.String(st), Input: aws.String(state)}
			})
			h.add(types.HistoryEventTypeTaskScheduled, nil)
			status = types.ExecutionStatusRunning
			break
		}
		if st == failAt {
			caught := fmt.Sprintf(`{"detail":{"object":{"key":%q}},"error":{"Error":%q,"Cause":%q}}`, key, errName, cause)
			h.task(st, state, caught, 1, errName, cause, false)
			h.task("RecordFailure", caught, caught, 0, "", "", true)
			h.task("NotifyFailure", caught, `{"MessageId":"m-1"}`, 0, "", "", true)
			h.add(types.HistoryEventTypeFailStateEntered, func(e *types.HistoryEvent) {
				e.StateEnteredEventDetails = &types.StateEnteredEventDetails{Name: aws.String("Failed"), Input: aws.String(caught)}
			})
			h.add(types.HistoryEventTypeExecutionFailed, func(e *types.HistoryEvent) {
				e.ExecutionFailedEventDetails = &types.ExecutionFailedEventDetails{Error: aws.String("ImageRejected"), Cause: aws.String(cause)}
			})
			status = types.ExecutionStatusFailed
			ex.err, ex.cause = "ImageRejected", cause
			break
		}
		out := fmt.Sprintf(`{"step":%q,"key":%q}`, strings.ToLower(st), key)
		h.task(st, state, out, 0, "", "", true)
		state = out
	}
	if status == types.ExecutionStatusSucceeded {
		h.add(types.HistoryEventTypeSucceedStateEntered, func(e *types.HistoryEvent) {
			e.StateEnteredEventDetails = &types.StateEnteredEventDetails{Name: aws.String("Done"), Input: aws.String(state)}
		})
		h.add(types.HistoryEventTypeSucceedStateExited, func(e *types.HistoryEvent) {
			e.StateExitedEventDetails = &types.StateExitedEventDetails{Name: aws.String("Done"), Output: aws.String(state)}
		})
		h.add(types.HistoryEventTypeExecutionSucceeded, func(e *types.HistoryEvent) {
			e.ExecutionSucceededEventDetails = &types.ExecutionSucceededEventDetails{Output: aws.String(state)}
		})
		ex.output = state
	}
	ex.events = h.events
	ex.item = types.ExecutionListItem{ExecutionArn: aws.String(arn), Name: aws.String(name), StateMachineArn: aws.String(testMachineARN), Status: status, StartDate: &start}
	if status != types.ExecutionStatusRunning {
		stop := h.t
		ex.item.StopDate = &stop
	}
	f.execs = append(f.execs, ex)
	return arn
}

func (f *fakeSFN) find(arn string) (*fakeExec, error) {
	for _, e := range f.execs {
		if aws.ToString(e.item.ExecutionArn) == arn {
			return e, nil
		}
	}
	return nil, &types.ExecutionDoesNotExist{Message: aws.String("Execution does not exist: " + arn)}
}

func (f *fakeSFN) ListStateMachines(ctx context.Context, in *sfn.ListStateMachinesInput, _ ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error) {
	return &sfn.ListStateMachinesOutput{StateMachines: []types.StateMachineListItem{{StateMachineArn: aws.String(testMachineARN), Name: aws.String("sanitizer")}}}, nil
}

func (f *fakeSFN) DescribeStateMachine(ctx context.Context, in *sfn.DescribeStateMachineInput, _ ...func(*sfn.Options)) (*sfn.DescribeStateMachineOutput, error) {
	if aws.ToString(in.StateMachineArn) != testMachineARN {
		return nil, &types.StateMachineDoesNotExist{Message: aws.String("no such state machine")}
	}
	f.mu.Lock()
	def := f.definition
	f.mu.Unlock()
	if def == "" {
		def = testDefinition
	}
	return &sfn.DescribeStateMachineOutput{StateMachineArn: in.StateMachineArn, Definition: aws.String(def), Name: aws.String("sanitizer")}, nil
}

// ListExecutions pages two at a time so the console's paging is exercised.
func (f *fakeSFN) ListExecutions(ctx context.Context, in *sfn.ListExecutionsInput, _ ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var items []types.ExecutionListItem
	for _, e := range f.execs {
		if aws.ToString(e.item.StateMachineArn) != aws.ToString(in.StateMachineArn) {
			continue
		}
		if in.StatusFilter != "" && e.item.Status != in.StatusFilter {
			continue
		}
		items = append(items, e.item)
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].StartDate.After(*items[j].StartDate) })
	from := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &from)
	}
	out := &sfn.ListExecutionsOutput{}
	size := f.pageSize
	if size == 0 {
		size = 2
	}
	to := min(from+size, len(items))
	out.Executions = items[from:to]
	if to < len(items) {
		out.NextToken = aws.String(fmt.Sprint(to))
	}
	return out, nil
}

func (f *fakeSFN) DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.find(aws.ToString(in.ExecutionArn))
	if err != nil {
		return nil, err
	}
	out := &sfn.DescribeExecutionOutput{
		ExecutionArn: e.item.ExecutionArn, Name: e.item.Name, StateMachineArn: e.item.StateMachineArn, Status: e.item.Status,
		StartDate: e.item.StartDate, StopDate: e.item.StopDate, Input: aws.String(e.input), RedriveCount: e.item.RedriveCount,
	}
	if e.output != "" {
		out.Output = aws.String(e.output)
	}
	if e.err != "" {
		out.Error, out.Cause = aws.String(e.err), aws.String(e.cause)
	}
	return out, nil
}

func (f *fakeSFN) GetExecutionHistory(ctx context.Context, in *sfn.GetExecutionHistoryInput, _ ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.find(aws.ToString(in.ExecutionArn))
	if err != nil {
		return nil, err
	}
	// Pages of 5 events, to exercise paging.
	from := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &from)
	}
	to := min(from+5, len(e.events))
	out := &sfn.GetExecutionHistoryOutput{Events: e.events[from:to]}
	if to < len(e.events) {
		out.NextToken = aws.String(fmt.Sprint(to))
	}
	return out, nil
}

func (f *fakeSFN) StartExecution(ctx context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.mu.Lock()
	f.started = append(f.started, *in)
	f.mu.Unlock()
	_, key, _ := objectOf(aws.ToString(in.Input))
	arn := f.addExecution(aws.ToString(in.Name), key, "", "", "", true)
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(arn)}, nil
}

func (f *fakeSFN) RedriveExecution(ctx context.Context, in *sfn.RedriveExecutionInput, _ ...func(*sfn.Options)) (*sfn.RedriveExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.find(aws.ToString(in.ExecutionArn))
	if err != nil {
		return nil, err
	}
	if e.item.Status != types.ExecutionStatusFailed {
		return nil, &types.ExecutionNotRedrivable{Message: aws.String("execution is not redrivable")}
	}
	f.redriven = append(f.redriven, aws.ToString(in.ExecutionArn))
	e.item.Status = types.ExecutionStatusRunning
	e.item.RedriveCount = aws.Int32(aws.ToInt32(e.item.RedriveCount) + 1)
	return &sfn.RedriveExecutionOutput{}, nil
}

var _ StepFunctions = (*fakeSFN)(nil)

type fakeObjects struct {
	mu      sync.Mutex
	objects map[string][]byte // bucket/key → bytes (any version)
	gets    []string          // bucket/key@version of every GetObject
}

func (f *fakeObjects) put(bucket, key string, b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.objects == nil {
		f.objects = map[string][]byte{}
	}
	f.objects[bucket+"/"+key] = b
}

func (f *fakeObjects) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets = append(f.gets, aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)+"@"+aws.ToString(in.VersionId))
	b, ok := f.objects[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)]
	if !ok { // as the SDK reports it: a 404 response error wrapping NoSuchKey
		return nil, &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusNotFound}}, Err: &s3types.NoSuchKey{}}
	}
	etag := fmt.Sprintf("%q", fmt.Sprint(len(b)))
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b)), ETag: aws.String(etag), VersionId: in.VersionId}, nil
}

var _ Objects = (*fakeObjects)(nil)

type fakeEvents struct {
	mu   sync.Mutex
	sent []eventbridge.PutEventsInput
}

func (f *fakeEvents) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, *in)
	return &eventbridge.PutEventsOutput{}, nil
}

type fakeAudit struct {
	mu   sync.Mutex
	recs []audit.Record
}

func (f *fakeAudit) add(r audit.Record) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r.Schema = audit.Schema
	f.recs = append(f.recs, r)
}

func (f *fakeAudit) ByExecution(ctx context.Context, arn string) ([]audit.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []audit.Record
	for _, r := range f.recs {
		if r.Execution == arn {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeAudit) ByKey(ctx context.Context, key string) ([]audit.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []audit.Record
	for _, r := range f.recs {
		if r.Source.Key == key {
			out = append(out, r)
		}
	}
	return out, nil
}

var _ AuditReader = (*audit.Reader)(nil)

type fakeNotifications struct {
	mu sync.Mutex
	ns []Notification
}

func (f *fakeNotifications) add(n Notification) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ns = append(f.ns, n)
}

func (f *fakeNotifications) Notifications(ctx context.Context) ([]Notification, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Notification(nil), f.ns...), nil
}

// testJPEG encodes a w×h gradient JPEG, with an APP1 Exif segment carrying the given
// orientation when it is not zero.
func testJPEG(t testing.TB, w, h, orientation int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{uint8(255 * x / w), uint8(255 * y / h), 90, 255}
			if x < w/4 && y < h/4 { // a red corner, to see orientation
				c = color.RGBA{230, 20, 20, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	out := b.Bytes()
	if orientation == 0 {
		return out
	}
	// TIFF, big-endian, IFD0 with one entry: Orientation SHORT.
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00")
	binary.BigEndian.PutUint16(tiff[18:], uint16(orientation))
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	return append(append(append([]byte{}, out[:2]...), seg...), out[2:]...)
}

// gpsPhoto is a 640×480 photo as phones write them: Exif with Orientation 6, GPS, a
// serial number and a thumbnail, XMP and a comment; and its sanitized copy, made by the
// real metadata policy.
func gpsPhoto(t testing.TB) (original, sanitized []byte) {
	t.Helper()
	original = jpegfixture.New(testJPEG(t, 640, 480, 0)).
		Add(jpegfixture.Exif(jpegfixture.ExifSpec{Orientation: 6, Make: "Canon", SerialNumber: "SN-0042", GPS: true, Thumbnail: jpegfixture.Baseline(8, 8, 2)})).
		Add(jpegfixture.XMP(`<exif:GPSLatitude>1</exif:GPSLatitude>`)).
		Add(jpegfixture.Comment("at the beach")).
		Bytes()
	var b bytes.Buffer
	if _, err := metadata.Strip(&b, bytes.NewReader(original), metadata.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	return original, b.Bytes()
}

func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
