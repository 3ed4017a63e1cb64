package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Resources served by LambdaTasks besides direct function ARNs.
const (
	ResourceLambdaInvoke = "arn:aws:states:::lambda:invoke"
	ResourceSNSPublish   = "arn:aws:states:::sns:publish"
)

// SNSPublisher publishes a message for arn:aws:states:::sns:publish and
// returns its MessageId. An error that is a *TaskError keeps its name; one
// with an ErrorCode() method (an AWS API error) is named SNS.<code>.
type SNSPublisher interface {
	Publish(ctx context.Context, in SNSPublishInput) (messageID string, err error)
}

// SNSPublishInput is the sns:publish task's Parameters (the SNS Publish API).
// A Message given as a JSON object or array is passed as its JSON text.
type SNSPublishInput struct {
	TopicArn               string                         `json:"TopicArn,omitempty"`
	TargetArn              string                         `json:"TargetArn,omitempty"`
	PhoneNumber            string                         `json:"PhoneNumber,omitempty"`
	Message                string                         `json:"Message"`
	Subject                string                         `json:"Subject,omitempty"`
	MessageStructure       string                         `json:"MessageStructure,omitempty"`
	MessageGroupID         string                         `json:"MessageGroupId,omitempty"`
	MessageDeduplicationID string                         `json:"MessageDeduplicationId,omitempty"`
	MessageAttributes      map[string]SNSMessageAttribute `json:"MessageAttributes,omitempty"`
}

// SNSMessageAttribute is one SNS message attribute.
type SNSMessageAttribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue []byte `json:"BinaryValue,omitempty"`
}

// LambdaTasks is a TaskRunner that invokes aws-lambda-go handlers in
// process, through lambda.Handler.Invoke, so a function's JSON crosses the
// same boundary as on AWS. It serves direct function ARNs (the raw result),
// arn:aws:states:::lambda:invoke (the result wrapped as the Lambda Invoke
// response) and, with SNS set, arn:aws:states:::sns:publish. Other resources
// go to Next.
type LambdaTasks struct {
	// Functions maps a function ARN or name to its handler, e.g. a
	// lambda.NewHandler(fn).
	Functions map[string]lambda.Handler
	// Default serves functions not in Functions; nil reports
	// Lambda.ResourceNotFoundException.
	Default lambda.Handler
	SNS     SNSPublisher
	Next    TaskRunner
	// Random names request ids (default crypto/rand).
	Random func() float64
	// Now dates the response headers (default time.Now).
	Now func() time.Time

	// envs holds one lock per handler: see invokeHandler.
	envs sync.Map // lambda.Handler -> *sync.Mutex
}

var _ ValueTaskRunner = (*LambdaTasks)(nil)

// RunTask implements TaskRunner.
func (l *LambdaTasks) RunTask(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error) {
	switch {
	case strings.HasPrefix(resource, "arn:aws:lambda:"):
		out, _, err := l.invoke(ctx, resource, input)
		return out, err
	case resource == ResourceLambdaInvoke:
		v, err := l.lambdaInvoke(ctx, input)
		if err != nil {
			return nil, err
		}
		return json.RawMessage(toJSON(v)), nil
	case resource == ResourceSNSPublish && l.SNS != nil:
		return l.snsPublish(ctx, input)
	case l.Next != nil:
		return l.Next.RunTask(ctx, resource, input)
	}
	return nil, &TaskError{Name: ErrTaskFailed, Cause: "no handler for resource " + resource}
}

// HasValue: lambda:invoke has a value path (see ValueTaskRunner).
func (l *LambdaTasks) HasValue(resource string) bool { return resource == ResourceLambdaInvoke }

// RunTaskValue serves lambda:invoke without encoding the response for the
// engine to parse again (see ValueTaskRunner).
func (l *LambdaTasks) RunTaskValue(ctx context.Context, resource string, input json.RawMessage) (any, error) {
	if !l.HasValue(resource) {
		return nil, &TaskError{Name: ErrTaskFailed, Cause: "no value path for resource " + resource}
	}
	return l.lambdaInvoke(ctx, input)
}

// handler finds the function for an ARN, partial ARN or name, ignoring a
// version or alias qualifier when no exact entry exists.
func (l *LambdaTasks) handler(fn string) (lambda.Handler, string, bool) {
	if h, ok := l.Functions[fn]; ok {
		return h, fn, true
	}
	name := fn
	if i := strings.Index(fn, ":function:"); i >= 0 {
		name = fn[i+len(":function:"):]
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	if h, ok := l.Functions[name]; ok {
		return h, name, true
	}
	for k, h := range l.Functions {
		if strings.HasSuffix(k, ":function:"+name) {
			return h, k, true
		}
	}
	if l.Default != nil {
		return l.Default, name, true
	}
	return nil, name, false
}

// invoke runs a function and converts its failure the way the Lambda Go
// runtime reports it: Error is the errorType, Cause the JSON error body.
func (l *LambdaTasks) invoke(ctx context.Context, fn string, payload []byte) (out []byte, requestID string, err error) {
	h, arn, ok := l.handler(fn)
	if !ok {
		return nil, "", &TaskError{
			Name:  "Lambda.ResourceNotFoundException",
			Cause: fmt.Sprintf("Function not found: %s (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException)", fn),
		}
	}
	requestID = newUUID(l.Random)
	if !strings.HasPrefix(arn, "arn:") {
		arn = "arn:aws:lambda:us-east-1:123456789012:function:" + arn
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID, InvokedFunctionArn: arn})
	out, ierr := invokeHandler(ctx, h, l.environment(h), payload)
	if ierr != nil {
		body, _ := json.Marshal(ierr)
		return nil, requestID, &TaskError{Name: ierr.Type, Cause: string(body)}
	}
	if len(out) == 0 {
		out = []byte("null")
	}
	return out, requestID, nil
}

// environment returns the lock that makes h behave as one Lambda execution
// environment: one invocation at a time. aws-lambda-go's Handler.Invoke returns
// the bytes of a pooled buffer that it has already put back in the pool, so
// concurrent invocations of one handler would overwrite each other's results.
// Hosts that want parallelism register several lambda.NewHandler values.
func (l *LambdaTasks) environment(h lambda.Handler) sync.Locker {
	if !reflect.TypeOf(h).Comparable() {
		mu, _ := l.envs.LoadOrStore(struct{}{}, new(sync.Mutex))
		return mu.(*sync.Mutex)
	}
	mu, _ := l.envs.LoadOrStore(h, new(sync.Mutex))
	return mu.(*sync.Mutex)
}

// invokeHandler calls h as the aws-lambda-go runtime loop does
// (callBytesHandlerFunc): a returned error becomes lambdaErrorResponse, a
// panic lambdaPanicResponse. Handler.Invoke itself does not recover panics.
// The result is copied while env is held (see environment).
func invokeHandler(ctx context.Context, h lambda.Handler, env sync.Locker, payload []byte) (out []byte, ierr *messages.InvokeResponse_Error) {
	env.Lock()
	defer env.Unlock()
	defer func() {
		if r := recover(); r != nil {
			ierr = lambdaPanicResponse(r)
		}
	}()
	res, err := h.Invoke(ctx, payload)
	if err != nil {
		return nil, lambdaErrorResponse(err)
	}
	return append([]byte(nil), res...), nil
}

// errorTypeName is aws-lambda-go's getErrorType: the dynamic type's name,
// through one pointer, without package ("errorString", "wrapError", ...).
func errorTypeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return ""
	}
	if t.Kind() == reflect.Ptr {
		return t.Elem().Name()
	}
	return t.Name()
}

func lambdaErrorResponse(err error) *messages.InvokeResponse_Error {
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		return &ive
	}
	return &messages.InvokeResponse_Error{Message: err.Error(), Type: errorTypeName(err)}
}

func lambdaPanicResponse(v any) *messages.InvokeResponse_Error {
	if ive, ok := v.(messages.InvokeResponse_Error); ok {
		return &ive
	}
	return &messages.InvokeResponse_Error{
		Message:    fmt.Sprintf("%v", v),
		Type:       errorTypeName(v),
		StackTrace: panicStack(),
		ShouldExit: true,
	}
}

// panicStack formats the panicking goroutine's stack as the runtime does.
func panicStack() []*messages.InvokeResponse_Error_StackFrame {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(4, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var out []*messages.InvokeResponse_Error_StackFrame
	for {
		f, more := frames.Next()
		label := f.Function
		if i := strings.LastIndexByte(label, '/'); i >= 0 {
			label = label[i+1:]
		}
		if i := strings.IndexByte(label, '.'); i >= 0 {
			label = label[i+1:]
		}
		path := f.File
		if i := strings.LastIndexByte(path, '/'); i >= 0 {
			if j := strings.LastIndexByte(path[:i], '/'); j >= 0 {
				path = path[j+1:]
			}
		}
		out = append(out, &messages.InvokeResponse_Error_StackFrame{Path: path, Line: int32(f.Line), Label: label})
		if !more {
			break
		}
	}
	return out
}

// lambdaInvoke serves arn:aws:states:::lambda:invoke: Parameters carry
// FunctionName and Payload; the result is the Invoke API response.
func (l *LambdaTasks) lambdaInvoke(ctx context.Context, input []byte) (map[string]any, error) {
	var params struct {
		FunctionName   string          `json:"FunctionName"`
		Payload        json.RawMessage `json:"Payload"`
		Qualifier      string          `json:"Qualifier"`
		InvocationType string          `json:"InvocationType"`
	}
	if err := json.Unmarshal(input, &params); err != nil || params.FunctionName == "" {
		return nil, &TaskError{Name: "Lambda.InvalidParameterValueException", Cause: "The lambda:invoke task needs Parameters with a FunctionName"}
	}
	fn := params.FunctionName
	if params.Qualifier != "" {
		fn += ":" + params.Qualifier
	}
	payload := []byte(params.Payload)
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if params.InvocationType == "Event" {
		// Asynchronous invocation: AWS answers 202 with an empty payload.
		go func() { _, _, _ = l.invoke(context.WithoutCancel(ctx), fn, payload) }()
		return invokeResponse(nil, newUUID(l.Random), 202, l.now()), nil
	}
	out, requestID, err := l.invoke(ctx, fn, payload)
	if err != nil {
		return nil, err
	}
	if len(out) > MaxPayloadBytes {
		return nil, &TaskError{Name: ErrDataLimitExceeded, Cause: "The Lambda function returned a result with a size exceeding the maximum number of bytes service limit."}
	}
	var v any
	if pv, perr := parseJSON(out); perr == nil {
		v = pv
		orderFrom(ctx).recordJSON(out, pv)
	} else {
		v = string(out)
	}
	resp := invokeResponse(v, requestID, 200, l.now())
	resp["SdkHttpMetadata"].(map[string]any)["AllHttpHeaders"].(map[string]any)["Content-Length"] = []any{strconv.Itoa(len(out))}
	resp["SdkHttpMetadata"].(map[string]any)["HttpHeaders"].(map[string]any)["Content-Length"] = strconv.Itoa(len(out))
	return resp, nil
}

func (l *LambdaTasks) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// invokeResponse is the shape Step Functions returns for lambda:invoke.
func invokeResponse(payload any, requestID string, status int64, now time.Time) map[string]any {
	date := now.UTC().Format(time.RFC1123)
	date = strings.Replace(date, "UTC", "GMT", 1)
	all := map[string]any{
		"Connection":             []any{"keep-alive"},
		"Content-Type":           []any{"application/json"},
		"Date":                   []any{date},
		"X-Amz-Executed-Version": []any{"$LATEST"},
		"x-amzn-RequestId":       []any{requestID},
	}
	single := map[string]any{}
	for k, v := range all {
		single[k] = v.([]any)[0]
	}
	resp := map[string]any{
		"ExecutedVersion": "$LATEST",
		"SdkHttpMetadata": map[string]any{
			"AllHttpHeaders": all,
			"HttpHeaders":    single,
			"HttpStatusCode": status,
		},
		"SdkResponseMetadata": map[string]any{"RequestId": requestID},
		"StatusCode":          status,
	}
	if payload != nil || status == 200 {
		resp["Payload"] = payload
	}
	return resp
}

func (l *LambdaTasks) snsPublish(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(input, &raw); err != nil {
		return nil, &TaskError{Name: "SNS.InvalidParameterException", Cause: "The sns:publish task needs Parameters as an object"}
	}
	// Message may be any JSON value; a non-string is sent as its JSON text.
	var msg string
	if m, ok := raw["Message"]; ok {
		if err := json.Unmarshal(m, &msg); err != nil {
			msg = string(m)
		}
		delete(raw, "Message")
	}
	rest, _ := json.Marshal(raw)
	var in SNSPublishInput
	if err := json.Unmarshal(rest, &in); err != nil {
		return nil, &TaskError{Name: "SNS.InvalidParameterException", Cause: err.Error()}
	}
	in.Message = msg
	if in.TopicArn == "" && in.TargetArn == "" && in.PhoneNumber == "" {
		return nil, &TaskError{Name: "SNS.InvalidParameterException", Cause: "Invalid parameter: TopicArn or TargetArn or PhoneNumber must be given"}
	}
	id, err := l.SNS.Publish(ctx, in)
	if err != nil {
		var te *TaskError
		if errors.As(err, &te) {
			return nil, te
		}
		var coded interface{ ErrorCode() string }
		if errors.As(err, &coded) {
			return nil, &TaskError{Name: "SNS." + coded.ErrorCode(), Cause: err.Error()}
		}
		return nil, err
	}
	requestID := newUUID(l.Random)
	return []byte(toJSON(map[string]any{
		"MessageId": id,
		"SdkHttpMetadata": map[string]any{
			"AllHttpHeaders": map[string]any{"x-amzn-RequestId": []any{requestID}, "Content-Type": []any{"text/xml"}},
			"HttpHeaders":    map[string]any{"x-amzn-RequestId": requestID, "Content-Type": "text/xml"},
			"HttpStatusCode": int64(200),
		},
		"SdkResponseMetadata": map[string]any{"RequestId": requestID},
	})), nil
}
