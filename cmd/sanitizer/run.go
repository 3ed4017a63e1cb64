package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/events"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/console"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/lambdafn"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/local"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/statemachine"
)

func init() {
	register(command{name: "run", summary: "run the whole pipeline on this machine behind the AWS APIs (S3, EventBridge, Step Functions, SNS)", run: runRun})
}

// Names of the resources the local stack installs, as Terraform names them on AWS.
const (
	localAccount     = "000000000000"
	localRegion      = "us-east-1"
	stateMachineName = "sanitizer"
	ruleName         = "sanitizer-uploads"
	failureTopic     = "sanitizer-failures"
)

// Main is `sanitizer run`: the production wiring of the local stack. Tests start
// it exactly as the command does, on a temp dir and port 0.
type Main struct {
	Addr          string // listen address; 127.0.0.1:0 picks a port
	DataDir       string
	InputBucket   string
	OutputBucket  string
	StagingBucket string
	AuditBucket   string
	ConsoleToken  string // required by the console when Addr is not loopback
	// MaxConcurrentTasks bounds Lambda invocations running at once (0: the stack's default).
	MaxConcurrentTasks int
	// ComputeSlots bounds the invocations parsing and decoding at once, and
	// with them the decoders' memory; 0 means two per P.
	ComputeSlots int
	// BlobCacheMB is the memory S3 keeps the newest objects' bytes in (0: the
	// stack's default, <0: none).
	BlobCacheMB int
	// Profiling serves Go profiles under /_debug/pprof/.
	Profiling bool
	Logger    *slog.Logger

	// Fault-injection and test hooks (off when nil).
	WrapS3    func(http.Handler) http.Handler
	WrapTasks func(asl.TaskRunner) asl.TaskRunner
	// WrapHandler wraps each Lambda handler (name as in lambdafn.Functions).
	WrapHandler func(name string, h lambda.Handler) lambda.Handler
	// WrapTargets wraps EventBridge's delivery to rule targets.
	WrapTargets func(local.TargetInvoker) local.TargetInvoker

	// Set by Run.
	URL             string
	Stack           *local.Stack
	StateMachineArn string
	TopicArn        string
	Started         local.StartReport
	StartupTime     time.Duration

	ln     net.Listener
	inproc *local.InProcess // the functions' way to the stack
	srv    *http.Server
}

// NewMain returns a Main with the defaults of `sanitizer run`.
func NewMain() *Main {
	return &Main{Addr: "127.0.0.1:4566", DataDir: ".data", InputBucket: "uploads", OutputBucket: "sanitized",
		StagingBucket: "sanitizer-staging", AuditBucket: "sanitizer-audit"}
}

// AWSConfig is an SDK configuration pointed at the running stack.
func (m *Main) AWSConfig() aws.Config {
	return aws.Config{
		Region:       localRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(m.URL),
		HTTPClient:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}},
	}
}

func functionARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:sanitizer-%s", localRegion, localAccount, name)
}

// Run opens the stack, serves it, installs the pipeline (topic, state machine,
// rule) and starts it: running executions resume and the input bucket is
// reconciled. It returns once the stack is serving; Close stops it.
func (m *Main) Run(ctx context.Context) error {
	began := time.Now()
	if m.Logger == nil {
		m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return err
	}
	m.ln = ln
	m.URL = "http://" + ln.Addr().String()
	if m.ConsoleToken, err = consoleToken(ln.Addr().String(), m.ConsoleToken); err != nil {
		ln.Close()
		return err
	}
	cfg := m.AWSConfig()
	// The functions (and the console) reach the stack in the process (see
	// local.InProcess); clients outside it use the TCP port.
	m.inproc = &local.InProcess{}
	cfg.HTTPClient = &http.Client{Transport: m.inproc}
	// The functions' client. Over plain HTTP the SDK would SHA-256 every PUT
	// body to sign it; over HTTPS on AWS it signs UNSIGNED-PAYLOAD (TLS and the
	// CRC checksum protect the bytes), so the functions cost here what they
	// cost there.
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	})

	env := map[string]string{"INPUT_BUCKET": m.InputBucket, "OUTPUT_BUCKET": m.OutputBucket,
		"STAGING_BUCKET": m.StagingBucket, "AUDIT_BUCKET": m.AuditBucket, "SSE": "AES256",
		// The functions' SDK endpoint: failure notifications name it in their commands.
		"AWS_ENDPOINT_URL": m.URL}
	pcfg, err := lambdafn.ConfigFromEnv(func(k string) string {
		if v, ok := os.LookupEnv(k); ok && (k == "POLICY_ORIENTATION" || k == "MAX_BYTES" || k == "MAX_PIXELS") {
			return v
		}
		return env[k]
	})
	if err != nil {
		m.Close()
		return err
	}
	// Each Lambda execution environment runs one invocation at a time, as on
	// AWS; concurrency comes from several environments per function.
	envs := m.MaxConcurrentTasks
	if envs <= 0 {
		envs = defaultConcurrency
	}
	svc := lambdafn.NewService(pcfg, s3c, time.Now)
	slots := m.ComputeSlots
	if slots <= 0 {
		slots = 2 * runtime.GOMAXPROCS(0)
	}
	svc.Compute = newGate(slots)
	values := map[string]string{}
	for _, name := range lambdafn.Functions {
		values[strings.ReplaceAll(name, "-", "_")+"_function_arn"] = functionARN(name)
	}
	pool := &lambdaPool{free: make(chan asl.TaskRunner, envs), other: &asl.LambdaTasks{SNS: snsPublisher{m}}}
	for range envs {
		handlers := lambdafn.Handlers(svc, m.Logger)
		functions := map[string]lambda.Handler{}
		for _, name := range lambdafn.Functions {
			functions[functionARN(name)] = handlers[name]
			if m.WrapHandler != nil {
				functions[functionARN(name)] = m.WrapHandler(name, handlers[name])
			}
		}
		env := &asl.LambdaTasks{Functions: functions}
		pool.free <- env
		pool.values = env
	}
	var tasks asl.TaskRunner = pool
	if m.WrapTasks != nil {
		tasks = m.WrapTasks(tasks)
	}
	buckets := []string{m.InputBucket, m.OutputBucket, m.StagingBucket, m.AuditBucket}
	st, err := local.Open(local.Options{Dir: m.DataDir, Endpoint: m.URL, Account: localAccount, Region: localRegion,
		InputBucket: m.InputBucket, Buckets: buckets, Versioned: buckets, Logger: m.Logger,
		Lifecycle: bucketLifecycle(m.InputBucket, m.OutputBucket, m.StagingBucket),
		WrapS3:    m.WrapS3, WrapTargets: m.WrapTargets, Tasks: tasks, MaxConcurrentTasks: envs,
		BlobCache: int64(m.BlobCacheMB) << 20})
	if err != nil {
		m.Close()
		return err
	}
	m.Stack = st

	con, err := console.New(console.Options{
		StepFunctions: sfn.NewFromConfig(cfg),
		Objects:       s3c,
		Events:        eventbridge.NewFromConfig(cfg),
		Audit:         auditReader(m),
		Notifications: consoleNotifications{st.SNS},
		OutputBucket:  m.OutputBucket, InputBucket: m.InputBucket, Policy: pcfg.Policy,
		Base: "/_console/", Listen: m.URL[len("http://"):], Token: m.ConsoleToken,
	})
	if err != nil {
		m.Close()
		return err
	}
	st.Mount("/_console/", con)
	if m.Profiling {
		// Go profiles for load runs: go tool pprof URL/_debug/pprof/profile
		st.Mount("/_debug/pprof/", http.HandlerFunc(pprofHandler))
	}

	m.srv = &http.Server{Handler: st, ReadHeaderTimeout: 10 * time.Second}
	go m.srv.Serve(ln)
	m.inproc.Serve(st)

	if err := m.install(values); err != nil {
		m.Close()
		return err
	}
	if m.Started, err = st.Start(); err != nil {
		m.Close()
		return err
	}
	m.StartupTime = time.Since(began)
	return nil
}

// install creates the failure topic, the state machine from the repository's
// definition and the rule from events/rule-pattern.json, as Terraform does on AWS.
func (m *Main) install(values map[string]string) error {
	topic, err := m.Stack.SNS.CreateTopic(failureTopic)
	if err != nil {
		return err
	}
	m.TopicArn = topic
	values[statemachine.FailureTopicARN] = topic
	def, err := statemachine.Render(values)
	if err != nil {
		return err
	}
	if m.StateMachineArn, err = m.Stack.SFN.EnsureStateMachine(stateMachineName, def); err != nil {
		return fmt.Errorf("state machine: %w", err)
	}
	pattern, err := events.RulePattern(m.InputBucket)
	if err != nil {
		return err
	}
	if _, err := m.Stack.Events.PutRule(ruleName, pattern, "uploads to "+m.InputBucket+" → "+stateMachineName); err != nil {
		return fmt.Errorf("rule: %w", err)
	}
	return m.Stack.Events.PutTargets(ruleName, local.Target{ID: stateMachineName, Arn: m.StateMachineArn})
}

// Close stops serving and closes the stack; running executions stay RUNNING on
// disk and resume at the next Run.
func (m *Main) Close() error {
	var errs []error
	if m.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		m.srv.Shutdown(ctx)
		m.inproc.Shutdown(ctx)
		cancel()
	} else if m.ln != nil {
		m.ln.Close()
	}
	if m.Stack != nil {
		errs = append(errs, m.Stack.Close())
	}
	return errors.Join(errs...)
}

func pprofHandler(w http.ResponseWriter, r *http.Request) {
	switch name := strings.TrimPrefix(r.URL.Path, "/_debug/pprof/"); name {
	case "profile":
		pprof.Profile(w, r)
	case "trace":
		pprof.Trace(w, r)
	default:
		pprof.Handler(name).ServeHTTP(w, r)
	}
}

// defaultConcurrency is how many invocations run at once by default. Most of
// an invocation's time is S3 round trips, so there are many more environments
// than cores; the compute gate (two per core) bounds the parsing and decoding
// they do at once, and with it the decoders' memory. With 16 environments and
// S3 answering in 50 ms plus retries, the pipeline managed 9 images/s; with 64,
// 31 images/s (sanitizer load, faults as in the README).
const defaultConcurrency = 64

// computeGate is a counting semaphore (sanitize.Gate).
type computeGate chan struct{}

func newGate(n int) computeGate { return make(computeGate, n) }

func (g computeGate) Acquire(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g computeGate) Release() { <-g }

// lambdaPool runs each Lambda task in a free execution environment: a set of
// the functions' handlers that serves one invocation at a time. Other tasks
// (the failure notification's sns:publish) take no environment, as on AWS,
// where a state machine's SNS integration uses no Lambda concurrency; they
// still count in the stack's bound on Task states running at once
// (local.Options.MaxConcurrentTasks), which is the engine's, not Lambda's.
type lambdaPool struct {
	free  chan asl.TaskRunner
	other asl.TaskRunner
	// values answers which resources have a value path: any environment,
	// as all answer alike; nil when they have none.
	values asl.ValueTaskRunner
}

func isLambda(resource string) bool {
	return resource == asl.ResourceLambdaInvoke || strings.HasPrefix(resource, "arn:aws:lambda:")
}

func (p *lambdaPool) RunTask(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error) {
	if !isLambda(resource) {
		return p.other.RunTask(ctx, resource, input)
	}
	env, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { p.free <- env }()
	return env.RunTask(ctx, resource, input)
}

// HasValue: the resources the environments have a value path for.
func (p *lambdaPool) HasValue(resource string) bool {
	return p.values != nil && p.values.HasValue(resource)
}

// RunTaskValue passes the engine's value path on to an environment.
func (p *lambdaPool) RunTaskValue(ctx context.Context, resource string, input json.RawMessage) (any, error) {
	env, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { p.free <- env }()
	return env.(asl.ValueTaskRunner).RunTaskValue(ctx, resource, input)
}

// acquire waits for a free environment; the caller hands it back to p.free.
func (p *lambdaPool) acquire(ctx context.Context) (asl.TaskRunner, error) {
	select {
	case env := <-p.free:
		return env, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var _ asl.ValueTaskRunner = (*lambdaPool)(nil)

// snsPublisher serves arn:aws:states:::sns:publish from the stack's SNS.
type snsPublisher struct{ m *Main }

func (p snsPublisher) Publish(_ context.Context, in asl.SNSPublishInput) (string, error) {
	attrs := map[string]string{}
	for k, v := range in.MessageAttributes {
		attrs[k] = v.StringValue
	}
	return p.m.Stack.SNS.Publish(firstOf(in.TopicArn, in.TargetArn), in.Subject, in.Message, attrs)
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// consoleNotifications shows the SNS delivery log in the console.
type consoleNotifications struct{ sns *local.Notifications }

func (c consoleNotifications) Notifications(context.Context) ([]console.Notification, error) {
	msgs, err := c.sns.Messages()
	out := make([]console.Notification, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, console.Notification{MessageID: m.MessageID, TopicARN: m.TopicArn, Subject: m.Subject, Message: m.Message, Received: m.Time})
	}
	return out, err
}

func runRun(ctx context.Context, args []string, s stdio) error {
	m := NewMain()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.StringVar(&m.Addr, "addr", m.Addr, "listen address (loopback by default; another address needs --console-token)")
	fs.StringVar(&m.DataDir, "data", m.DataDir, "directory for all durable state (objects, executions, history)")
	fs.StringVar(&m.InputBucket, "input-bucket", m.InputBucket, "bucket uploads go to (bucket A)")
	fs.StringVar(&m.OutputBucket, "output-bucket", m.OutputBucket, "bucket sanitized copies go to (bucket B)")
	fs.StringVar(&m.ConsoleToken, "console-token", "", "token the web console requires (needed off loopback)")
	fs.IntVar(&m.MaxConcurrentTasks, "concurrency", 0, "Lambda invocations running at once (default 64; decoding is bounded by the cores apart from this)")
	fs.IntVar(&m.BlobCacheMB, "blob-cache-mb", 0, fmt.Sprintf("memory for the newest objects' bytes, which the pipeline reads right after they are written (default %d; -1: none)", local.DefaultBlobCache>>20))
	fs.BoolVar(&m.Profiling, "pprof", false, "serve Go profiles under /_debug/pprof/ (heap, goroutine, profile, trace)")
	samples := fs.Bool("samples", false, "upload a few generated photos carrying GPS, serials and thumbnails, and show what was removed")
	verbose := fs.Bool("v", false, "log background errors to stderr")
	faultCfg := faultFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelInfo
	}
	m.Logger = slog.New(slog.NewTextHandler(s.err, &slog.HandlerOptions{Level: level}))
	inj, err := m.injectFaults(faultCfg)
	if err != nil {
		return err
	}
	m.ComputeSlots = 2 * runtime.GOMAXPROCS(0)
	tuneGC()
	tuneScheduler()
	if err := m.Run(ctx); err != nil {
		return err
	}
	defer m.Close()
	reconcile := "every upload has an execution"
	if n := m.Started.Reconciling; n > 0 {
		reconcile = fmt.Sprintf("%d uploads had none (found in %s; their executions start in the background)", n, m.Started.ReconcileTime.Round(time.Millisecond))
	}
	fmt.Fprintf(s.out, "sanitizer: local stack on %s (data in %s), ready in %s; resumed %d executions (%s); %s\n",
		m.URL, m.DataDir, m.StartupTime.Round(time.Millisecond), m.Started.Resumed, m.Started.ResumeTime.Round(time.Millisecond), reconcile)
	if *samples {
		if err := uploadSamples(ctx, m, s.out); err != nil {
			fmt.Fprintf(s.err, "sanitizer: samples: %v\n", err)
		}
	}
	printHelp(m, s.out)
	if inj != nil {
		fmt.Fprintf(s.out, "fault injection on: %s\n", inj.Config())
	}
	<-ctx.Done()
	if inj != nil {
		reportFaults(s.out, inj)
	}
	if st := m.Stack.Objects.BlobCacheStats(); st.Bytes > 0 {
		b, _ := json.Marshal(st)
		fmt.Fprintf(s.out, "blob cache: %s\n", b)
	}
	fmt.Fprintln(s.out, "\nsanitizer: stopping; running executions resume at the next start")
	return nil
}

// tuneGC: the stack's garbage is mostly photo-sized buffers that die with the
// request that read them, so collecting at 300% heap growth instead of 100%
// cuts the collector's CPU to about a third; the soft limit keeps the heap
// bounded whatever the load. GOGC and GOMEMLIMIT in the environment win.
// tuneScheduler gives the stack twice as many Ps as cores unless GOMAXPROCS
// is set. Its threads spend long stretches in file system calls (O_DIRECT
// writes, fsync, inode allocation, reads of objects past the blob cache),
// and with one P per core the cores then idled (~10% idle and ~9% iowait in
// vmstat) while photos waited. Three runs each of 3,000 uploads offered at
// 90/s: 2 Ps 69–73 images/s, 3 Ps 73, 4 Ps 80–83, 6 or 8 Ps 82.
func tuneScheduler() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(2 * runtime.GOMAXPROCS(0))
	}
}

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(768 << 20)
	}
}

func printHelp(m *Main, w io.Writer) {
	console := m.URL + "/_console/"
	if m.ConsoleToken != "" {
		console += "?token=" + m.ConsoleToken
	}
	fmt.Fprintf(w, `
console:   %s
state machine: %s
failure topic: %s

try (any AWS CLI; credentials can be anything):
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=%s
  aws --endpoint-url %s s3 cp photo.jpg s3://%s/photo.jpg
  aws --endpoint-url %s s3 ls s3://%s/
  aws --endpoint-url %s stepfunctions list-executions --state-machine-arn %s
  aws --endpoint-url %s sns list-topics
  sanitizer executions --endpoint-url %s
  sanitizer audit --endpoint-url %s --key photo.jpg

Ctrl-C stops the stack.
`, console, m.StateMachineArn, m.TopicArn, localRegion, m.URL, m.InputBucket, m.URL, m.OutputBucket,
		m.URL, m.StateMachineArn, m.URL, m.URL, m.URL)
}

func auditReader(m *Main) *audit.Reader {
	s3c := s3.NewFromConfig(m.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	return &audit.Reader{Objects: s3store.New(s3c), Bucket: m.AuditBucket}
}

// consoleToken is the token the console requires on addr: the one given, a
// fresh one off loopback (printHelp shows it in the console URL), or none on
// loopback.
func consoleToken(addr, given string) (string, error) {
	if given != "" || console.IsLoopback(addr) {
		return given, nil
	}
	return console.NewToken()
}
