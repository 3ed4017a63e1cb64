package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	"golang.org/x/sync/errgroup"
)

// Options configure a Stack.
type Options struct {
	// Dir holds all durable state (created when missing).
	Dir string
	// Endpoint is the stack's own base URL (http://127.0.0.1:4566), used in
	// SNS SubscribeURL/UnsubscribeURL.
	Endpoint string
	// Account and Region appear in ARNs and events (defaults 000000000000, us-east-1).
	Account, Region string
	// InputBucket is the bucket whose writes emit EventBridge events.
	InputBucket string
	// Buckets are created at start; Versioned ones get versioning enabled.
	Buckets   []string
	Versioned []string
	// Lifecycle gives buckets a lifecycle configuration (S3's XML) at start,
	// unless they have one (a configuration put through the API is kept).
	Lifecycle map[string][]byte
	// LifecycleInterval is how often lifecycle rules are applied once the
	// stack starts (default: hourly; S3 itself runs them about daily;
	// negative: never).
	LifecycleInterval time.Duration
	// Logger for background errors (default: discard).
	Logger *slog.Logger
	// WrapS3 wraps the S3 handler (fault injection); nil leaves it alone.
	WrapS3 func(http.Handler) http.Handler
	// WrapTargets wraps EventBridge's delivery to rule targets (fault
	// injection: duplicated, delayed deliveries); nil leaves it alone.
	WrapTargets func(TargetInvoker) TargetInvoker
	// Tasks runs Task states (the Lambda handlers); nil disables Step Functions.
	Tasks asl.TaskRunner
	// MaxConcurrentTasks bounds Task states running at once (default 16).
	MaxConcurrentTasks int
	// MaxRunningExecutions is how many executions may run before EventBridge
	// deliveries to a state machine wait for one to end (default twice
	// MaxConcurrentTasks: executions waiting on retries hold no task slot, so
	// more may run than there are slots; but each running execution queues
	// for a slot at every step, and with many more, every step waits behind
	// the others' and an execution's reads come seconds after its writes,
	// too late for S3's blob cache). StartExecution calls are not held back.
	MaxRunningExecutions int
	// BlobCache is how many bytes of the newest objects S3 keeps in memory
	// for the reads that follow their writes (0: DefaultBlobCache, <0: none).
	BlobCache int64
}

// Stack is the running local AWS: its services and the HTTP handler over them.
type Stack struct {
	opt    Options
	ctx    context.Context
	cancel context.CancelFunc

	Objects *ObjectStore
	Events  *EventBus
	SNS     *Notifications
	SFN     *StepFunctions

	state   *stateDB
	s3      http.Handler
	front   *s3Front
	mu      sync.RWMutex
	mounts  map[string]http.Handler
	invoker *targets
	closers []func() error
	bg      sync.WaitGroup // background reconciliation
}

// Open opens (or creates) the stack's state under opt.Dir and creates the
// configured buckets. Nothing runs in the background until Start.
func Open(opt Options) (*Stack, error) {
	if opt.Dir == "" {
		return nil, errors.New("local: Options.Dir is required")
	}
	if opt.Account == "" {
		opt.Account = "000000000000"
	}
	if opt.Region == "" {
		opt.Region = "us-east-1"
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.BlobCache == 0 {
		opt.BlobCache = DefaultBlobCache
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Stack{opt: opt, ctx: ctx, cancel: cancel, mounts: map[string]http.Handler{}}
	fail := func(err error) (*Stack, error) {
		s.Close()
		return nil, err
	}
	objects, err := OpenObjectStore(filepath.Join(opt.Dir, "s3"), StoreOptions{BlobCache: opt.BlobCache})
	if err != nil {
		return fail(err)
	}
	s.Objects = objects
	s.closers = append(s.closers, objects.Close)
	state, err := openStateDB(opt.Dir)
	if err != nil {
		return fail(err)
	}
	s.state = state
	s.closers = append(s.closers, state.Close)

	versioned := map[string]bool{}
	for _, b := range opt.Versioned {
		versioned[b] = true
	}
	for _, b := range opt.Buckets {
		if err := objects.EnsureBucket(b, versioned[b]); err != nil {
			return fail(fmt.Errorf("create bucket %s: %w", b, err))
		}
	}
	for b, config := range opt.Lifecycle {
		if err := objects.ensureLifecycle(b, config); err != nil {
			return fail(fmt.Errorf("lifecycle of bucket %s: %w", b, err))
		}
	}
	s.Events, err = newEventBus(ctx, state, opt.Account, opt.Region, opt.Logger)
	if err != nil {
		return fail(err)
	}
	s.SNS = newNotifications(ctx, state, opt.Account, opt.Region, func() string { return s.opt.Endpoint }, opt.Logger)
	s.invoker = &targets{sns: s.SNS}
	s.Events.invoker = s.invoker
	if opt.WrapTargets != nil {
		s.Events.invoker = opt.WrapTargets(s.invoker)
	}
	if opt.Tasks != nil {
		n := opt.MaxConcurrentTasks
		if n <= 0 {
			n = 16
		}
		s.SFN, err = newStepFunctions(ctx, state, opt.Account, opt.Region, &boundedTasks{next: opt.Tasks, sem: make(chan struct{}, n)}, opt.Logger)
		if err != nil {
			return fail(err)
		}
		s.SFN.maxRunning = opt.MaxRunningExecutions
		if s.SFN.maxRunning <= 0 {
			s.SFN.maxRunning = 2 * n
		}
		s.invoker.start = func(ctx context.Context, arn string, input []byte) error {
			return s.SFN.admit(ctx, func() error {
				_, err := s.SFN.Start(arn, "", input)
				return err
			})
		}
	}

	fake := gofakes3.New(objects, gofakes3.WithTimeSkewLimit(0), gofakes3.WithIntegrityCheck(true),
		gofakes3.WithLogger(gofakes3.DiscardLog()))
	s.front = newS3Front(fake.Server(), opt.InputBucket, s.Events, opt.Account, opt.Region)
	s.front.store = objects
	objects.onChange = s.front.onChange
	s.s3 = unchunk(s.front)
	if opt.WrapS3 != nil {
		s.s3 = opt.WrapS3(s.s3)
	}
	return s, nil
}

// Mount serves h under prefix (which must start with "/_", a path no bucket
// can have), e.g. the console at /_console/.
func (s *Stack) Mount(prefix string, h http.Handler) {
	if !strings.HasPrefix(prefix, "/_") {
		panic("local: mount prefix must start with /_")
	}
	s.mu.Lock()
	s.mounts[prefix] = h
	s.mu.Unlock()
}

// SetEndpoint records the stack's base URL once the listener is known.
func (s *Stack) SetEndpoint(url string) { s.opt.Endpoint = url }

// deliveryWorkers is how many EventBridge deliveries run at once. A delivery
// mostly waits: StartExecution commits the execution record and the delivery's
// end commits its removal from the durable queue, each a shared bbolt commit
// of some 20-40 ms. With 4 workers deliveries capped the pipeline at ~66
// uploads/s with the cores a fifth idle.
const deliveryWorkers = 64

// Start begins delivering events, resumes the executions that were running
// when the stack last stopped, and reconciles the input bucket: it finds the
// uploads that have no execution before returning, and starts their executions
// in the background, so that a restart after a crash with many uploads in
// flight is ready at once. Call it once the HTTP server is accepting requests:
// resumed tasks call S3 through it.
func (s *Stack) Start() (StartReport, error) {
	s.Events.start(deliveryWorkers)
	s.startLifecycle()
	var rep StartReport
	if s.SFN == nil {
		return rep, nil
	}
	var err error
	began := time.Now()
	if rep.Resumed, err = s.SFN.ResumeAll(); err != nil {
		return rep, err
	}
	rep.ResumeTime = time.Since(began)
	began = time.Now()
	missing, err := s.missingExecutions()
	rep.Reconciling, rep.ReconcileTime = len(missing), time.Since(began)
	if err != nil || len(missing) == 0 {
		return rep, err
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		began := time.Now()
		n, err := s.startMissing(s.ctx, missing)
		if err != nil && s.ctx.Err() == nil {
			s.opt.Logger.Error("reconcile: starting executions for uploads that had none", "started", n, "of", len(missing), "err", err)
			return
		}
		s.opt.Logger.Info("reconcile: started executions for uploads that had none", "started", n, "of", len(missing), "in", time.Since(began))
	}()
	return rep, nil
}

// StartReport says what Start found to do.
type StartReport struct {
	Resumed     int // executions resumed from their checkpoint
	Reconciling int // input objects without an execution, started in the background

	ResumeTime, ReconcileTime time.Duration // ReconcileTime: finding them
}

// Reconcile starts an execution, through the rules that match its S3 event,
// for every input object whose latest version has no execution yet (events
// lost in a crash, uploads made while the rule was missing). It returns how
// many it started.
func (s *Stack) Reconcile() (int, error) {
	missing, err := s.missingExecutions()
	if err != nil {
		return 0, err
	}
	return s.startMissing(s.ctx, missing)
}

// missingStart is an execution Reconcile owes an upload.
type missingStart struct {
	machineArn string
	input      []byte
}

// missingExecutions lists, for the input objects whose latest version has no
// execution, the state machine targets their S3 event would reach.
func (s *Stack) missingExecutions() ([]missingStart, error) {
	var latest []Change
	err := s.Objects.Latest(s.opt.InputBucket, func(c Change) bool {
		if c.Kind == ChangePut {
			latest = append(latest, c)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	missing, err := s.SFN.withoutExecution(latest)
	if err != nil {
		return nil, err
	}
	var out []missingStart
	for _, c := range missing {
		ev := s.front.event(c, "PutObject", newRequestID(), "")
		for _, d := range s.Events.route(ev) {
			if strings.Contains(d.Target.Arn, ":stateMachine:") {
				out = append(out, missingStart{d.Target.Arn, d.Input})
			}
		}
	}
	return out, nil
}

// reconcileWorkers is how many of Reconcile's starts run at once: each commits
// the execution record, and concurrent commits share one bbolt transaction
// (started one by one, 700 uploads took 20 s).
const reconcileWorkers = 32

// startMissing starts the executions, at most reconcileWorkers at once and,
// like event deliveries, only while fewer than maxRunning executions run.
// An upload whose execution was started meanwhile (its event arrived after
// all) is skipped.
func (s *Stack) startMissing(ctx context.Context, starts []missingStart) (int, error) {
	var (
		g       errgroup.Group
		started atomic.Int64
		failed  atomic.Bool
	)
	g.SetLimit(reconcileWorkers)
	for _, m := range starts {
		if failed.Load() {
			break
		}
		g.Go(func() error {
			var ok bool
			err := s.SFN.admit(ctx, func() (err error) {
				ok, err = s.SFN.StartUnlessProcessed(m.machineArn, m.input)
				return err
			})
			if ok {
				started.Add(1)
			}
			if err != nil {
				failed.Store(true)
			}
			return err
		})
	}
	err := g.Wait()
	return int(started.Load()), err
}

// boundedTasks limits how many Task states run at once.
type boundedTasks struct {
	next asl.TaskRunner
	sem  chan struct{}
}

func (b *boundedTasks) RunTask(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error) {
	if err := b.acquire(ctx); err != nil {
		return nil, err
	}
	defer func() { <-b.sem }()
	return b.next.RunTask(ctx, resource, input)
}

// HasValue: the resources next has a value path for.
func (b *boundedTasks) HasValue(resource string) bool {
	vr, ok := b.next.(asl.ValueTaskRunner)
	return ok && vr.HasValue(resource)
}

// RunTaskValue passes the engine's value path on to next.
func (b *boundedTasks) RunTaskValue(ctx context.Context, resource string, input json.RawMessage) (any, error) {
	if err := b.acquire(ctx); err != nil {
		return nil, err
	}
	defer func() { <-b.sem }()
	return b.next.(asl.ValueTaskRunner).RunTaskValue(ctx, resource, input)
}

// acquire waits for a place within the bound; the caller gives it back by
// receiving from b.sem.
func (b *boundedTasks) acquire(ctx context.Context) error {
	select {
	case b.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var _ asl.ValueTaskRunner = (*boundedTasks)(nil)

// Close stops background work and closes the stores. Running executions stay
// RUNNING on disk and resume at the next Start.
func (s *Stack) Close() error {
	if s.cancel != nil {
		s.cancel()
	}
	s.bg.Wait()
	if s.Events != nil {
		s.Events.close()
	}
	if s.SFN != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.SFN.wait(ctx)
		cancel()
	}
	if s.SNS != nil {
		s.SNS.wait()
	}
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// ServeHTTP dispatches by request shape, as the AWS endpoints would see it.
func (s *Stack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_") {
		s.mu.RLock()
		var h http.Handler
		best := ""
		for p, m := range s.mounts {
			if strings.HasPrefix(r.URL.Path, p) && len(p) > len(best) {
				best, h = p, m
			}
		}
		s.mu.RUnlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "AWSStepFunctions."):
		if s.SFN == nil {
			writeJSONError(w, apiErr(http.StatusServiceUnavailable, "ServiceUnavailable", "Step Functions is not configured"))
			return
		}
		s.SFN.ServeHTTP(w, r)
	case strings.HasPrefix(target, "AWSEvents."):
		s.Events.ServeHTTP(w, r)
	case target != "":
		writeJSONError(w, apiErr(http.StatusBadRequest, "UnknownOperationException", "Unknown operation %s", target))
	case isQueryRequest(r):
		s.SNS.ServeHTTP(w, r)
	default:
		s.s3.ServeHTTP(w, r)
	}
}

// isQueryRequest recognises the AWS query protocol (SNS): a form POST or a GET
// with Action to the root path, or a request signed for the sns service.
func isQueryRequest(r *http.Request) bool {
	if scope := signingService(r); scope != "" {
		return scope == "sns"
	}
	if r.URL.Path != "/" {
		return false
	}
	if r.Method == http.MethodGet {
		return r.URL.Query().Has("Action")
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return r.Method == http.MethodPost && mt == "application/x-www-form-urlencoded"
}

// signingService reads the service from a SigV4 credential scope
// (Credential=AKID/date/region/service/aws4_request), header or query.
func signingService(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); auth != "" {
		if i := strings.Index(auth, "Credential="); i >= 0 {
			cred = auth[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	}
	parts := strings.Split(cred, "/")
	if len(parts) == 5 {
		return parts[3]
	}
	return ""
}

// targets invokes rule targets by ARN.
type targets struct {
	sns   *Notifications
	start func(ctx context.Context, smArn string, input []byte) error
}

func (t *targets) InvokeTarget(ctx context.Context, arn string, input []byte) error {
	switch {
	case strings.Contains(arn, ":states:") && strings.Contains(arn, ":stateMachine:"):
		if t.start == nil {
			return fmt.Errorf("no Step Functions for target %s", arn)
		}
		return t.start(ctx, arn, input)
	case strings.HasPrefix(arn, "arn:aws:sns:"):
		_, err := t.sns.Publish(arn, "", string(input), nil)
		return err
	}
	return fmt.Errorf("unsupported target %s", arn)
}

// startLifecycle applies the buckets' lifecycle rules now and then every
// LifecycleInterval, until the stack closes.
func (s *Stack) startLifecycle() {
	every := s.opt.LifecycleInterval
	if every < 0 {
		return
	}
	if every == 0 {
		every = time.Hour
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			rep, err := s.Objects.ApplyLifecycle(s.ctx, time.Now())
			switch {
			case err != nil && s.ctx.Err() == nil:
				s.opt.Logger.Error("lifecycle: applying the buckets' rules", "err", err)
			case rep != (LifecycleReport{}):
				s.opt.Logger.Info("lifecycle: applied the buckets' rules", "expired", rep.Expired, "noncurrentRemoved", rep.NoncurrentRemoved,
					"deleteMarkersRemoved", rep.DeleteMarkersRemoved, "uploadsAborted", rep.UploadsAborted)
			}
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}
