package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store"
)

// Config describes one load run against a running stack.
type Config struct {
	Endpoint     string // the stack's base URL
	Region       string // default us-east-1
	InputBucket  string // default uploads
	OutputBucket string // default sanitized
	AuditBucket  string // default sanitizer-audit: where Verify's records say when an output was proven clean
	TopicName    string // the failure topic's name, default sanitizer-failures
	Concurrency  int    // upload clients, default 16
	Corpus       CorpusConfig
	// Settle bounds the wait for outcomes once no key settles any more.
	Settle time.Duration
	// Policy checks outputs (default metadata.DefaultPolicy(), the pipeline's).
	Policy *metadata.Policy
	// ExiftoolSample is how many clean outputs exiftool re-checks (0: none).
	ExiftoolSample int
	// Stack, when set, is sampled for memory; Kills SIGKILLs it that many
	// times, KillEvery apart, while uploads are processed.
	Stack     *Supervisor
	Kills     int
	KillEvery time.Duration
	// StackPID is sampled for memory when the stack is not supervised.
	StackPID int
	// Rate paces uploads at this many keys per second (0: as fast as the
	// clients go), to measure latency at a rate the stack sustains rather
	// than the queueing of a burst.
	Rate     float64
	Progress io.Writer
}

// tracked is what the run knows of one key.
type tracked struct {
	item     Item
	versions map[string]int // A version id → body index, from PutObject answers
	lastVer  string         // the version the client last wrote
	ended    time.Time      // when that upload returned
	attempts int
	failed   bool // an upload gave up

	expected  string // A's latest version id: what the output must come from
	settled   bool
	clean     bool      // an output of the expected version appeared
	notified  bool      // a failure notification for the expected version arrived
	settledAt time.Time // output's LastModified or the notification's arrival
	outVer    string    // B version id holding the output
	outETag   string
}

// Run uploads the corpus, waits for the pipeline, checks every outcome and
// returns the summary.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	cfg.defaults()
	// Uploaders, the killer and the poller all report progress: one line at a time.
	var progressMu sync.Mutex
	logf := func(format string, a ...any) {
		if cfg.Progress != nil {
			progressMu.Lock()
			defer progressMu.Unlock()
			fmt.Fprintf(cfg.Progress, "load: "+format+"\n", a...)
		}
	}
	genStart := time.Now()
	corpus := NewCorpus(cfg.Corpus)
	logf("generated %d keys (pool of %d pictures) in %s", len(corpus.Items), len(corpus.pool), time.Since(genStart).Round(time.Millisecond))

	awsCfg := aws.Config{
		Region:       cfg.Region,
		Credentials:  credentials.NewStaticCredentialsProvider("load", "load", ""),
		BaseEndpoint: aws.String(cfg.Endpoint),
		HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency + 8,
			IdleConnTimeout: 30 * time.Second, ResponseHeaderTimeout: 2 * time.Minute}},
		// Faults are expected: retry often, without the client-side retry
		// quota that would turn a burst of 503s into hard failures.
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 6
				o.RateLimiter = ratelimit.None
			})
		},
	}
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = true })
	// Uploads are signed with UNSIGNED-PAYLOAD, as the SDK does over HTTPS:
	// hashing every body for SigV4 would take CPU from the stack under test.
	uploader := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	})

	rcv, err := newReceiver()
	if err != nil {
		return nil, err
	}
	defer rcv.close()
	snsc := sns.NewFromConfig(awsCfg)
	topic, err := rcv.subscribe(ctx, snsc, cfg.TopicName)
	if err != nil {
		return nil, err
	}
	defer unsubscribe(snsc, topic, rcv.url)

	keys := make([]*tracked, len(corpus.Items))
	for i, it := range corpus.Items {
		keys[i] = &tracked{item: it, versions: map[string]int{}}
	}
	sum := &Summary{Keys: len(keys), Concurrency: cfg.Concurrency, Rate: cfg.Rate, Prefix: cfg.Corpus.Prefix}

	// Crash drill: SIGKILL and restart the stack while work is in flight.
	drillCtx, stopDrill := context.WithCancel(ctx)
	defer stopDrill()
	var drill sync.WaitGroup
	if cfg.Stack != nil && cfg.Kills > 0 {
		drill.Add(1)
		go func() {
			defer drill.Done()
			for i := 0; i < cfg.Kills; i++ {
				select {
				case <-drillCtx.Done():
					return
				case <-time.After(cfg.KillEvery):
				}
				began := time.Now()
				if err := cfg.Stack.Kill(drillCtx); err != nil {
					logf("kill %d: %v", i+1, err)
					return
				}
				logf("SIGKILLed the stack and restarted it (%d of %d) in %s", i+1, cfg.Kills, time.Since(began).Round(time.Millisecond))
			}
		}()
	}

	// Upload with Concurrency clients. Storm keys upload both versions at
	// once from two clients.
	start, startCPU := time.Now(), ownCPU()
	type job struct {
		t *tracked
		v int
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	var bytesUp, retries atomic.Int64
	var mu sync.Mutex
	var putMS []float64 // each upload's time, retries included
	for c := 0; c < cfg.Concurrency; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				body := corpus.Body(j.t.item, j.v)
				began := time.Now()
				ver, tries, err := upload(ctx, uploader, cfg.InputBucket, j.t.item.Key, body)
				retries.Add(int64(tries - 1))
				mu.Lock()
				putMS = append(putMS, float64(time.Since(began))/float64(time.Millisecond))
				j.t.attempts += tries
				if err != nil {
					j.t.failed = true
					logf("upload %s gave up: %v", j.t.item.Key, err)
				} else {
					bytesUp.Add(int64(len(body)))
					j.t.versions[ver] = j.v
					j.t.lastVer, j.t.ended = ver, time.Now()
					if j.t.item.Versions == 1 {
						j.t.expected = ver
					}
				}
				mu.Unlock()
			}
		}()
	}
	go func() {
		defer close(jobs)
		// Key i is due at start + i/Rate. A key that could not be handed to a
		// client in time goes as soon as one is free, and the ones after it
		// keep their times: the offered rate holds over the run (a ticker
		// would drop the ticks missed meanwhile and quietly offer less).
		for i, t := range keys {
			if cfg.Rate > 0 {
				due := start.Add(time.Duration(float64(i) / cfg.Rate * float64(time.Second)))
				if wait := time.Until(due); wait > 0 {
					select {
					case <-time.After(wait):
					case <-ctx.Done():
						return
					}
				}
			}
			for v := 0; v < t.item.Versions; v++ {
				select {
				case jobs <- job{t, v}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()

	// Settle keys while uploads go on: outputs from the list of the output
	// bucket, rejections from the notifications.
	uploadsDone := make(chan struct{})
	go func() { wg.Wait(); close(uploadsDone) }()
	w := &watcher{c: s3c, bucket: cfg.OutputBucket, prefix: cfg.Corpus.Prefix, seen: map[string]string{}}
	uploaded := false
	lastProgress := time.Now()
	settled := 0
	for settled < len(keys) {
		select {
		case <-uploadsDone:
			uploadsDone = nil // closed: from now on only the poll interval paces the loop
			uploaded = true
			sum.UploadSeconds = time.Since(start).Seconds()
			logf("uploaded %d keys (%.1f MB) in %.1fs, %d upload retries", len(keys), float64(bytesUp.Load())/1e6, sum.UploadSeconds, retries.Load())
			// Whatever the client saw, A decides which version is newest.
			if err := resolveExpected(ctx, s3c, cfg.InputBucket, keys, &mu); err != nil {
				logf("resolve latest versions: %v", err)
			}
			lastProgress = time.Now()
		case <-time.After(pollInterval(len(keys) - settled)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		n, err := w.poll(ctx, keys, &mu, rcv)
		sum.OutputPolls++
		if err != nil {
			logf("poll: %v", err)
		}
		if n > 0 {
			settled += n
			lastProgress = time.Now()
		}
		if uploaded && time.Since(lastProgress) > cfg.Settle {
			logf("no key settled for %s: giving up on %d keys", cfg.Settle, len(keys)-settled)
			break
		}
		if settled > 0 && settled%max(1, len(keys)/10) < n {
			logf("%d of %d keys settled", settled, len(keys))
		}
	}
	stopDrill()
	drill.Wait()
	sum.WallSeconds = time.Since(start).Seconds()
	if settled > 0 {
		sum.LoadCPUMsPerImage = float64((ownCPU() - startCPU).Microseconds()) / 1000 / float64(settled)
	}
	logf("%d of %d keys settled in %.1fs", settled, len(keys), sum.WallSeconds)

	sum.BytesUploaded = bytesUp.Load()
	sum.UploadRetries = retries.Load()
	if cfg.Stack != nil {
		// The pipeline's CPU: what the checks below ask of the stack is not its work.
		sum.StackCPUSeconds = cfg.Stack.CPU().Seconds()
		sum.Kills = cfg.Stack.Kills()
		for _, d := range cfg.Stack.StartTimes() {
			sum.StartSeconds = append(sum.StartSeconds, d.Seconds())
		}
	}
	n, err := verifiedTimes(ctx, s3c, cfg.AuditBucket, keys)
	if err != nil {
		logf("read Verify's audit records: %v (those keys' latencies end at their outputs' LastModified)", err)
	}
	sum.VerifiedTimes = n
	sum.timing(keys, start)
	mu.Lock()
	sort.Float64s(putMS)
	sum.UploadMS.P50, sum.UploadMS.P99 = percentile(putMS, 50), percentile(putMS, 99)
	mu.Unlock()
	if err := check(ctx, cfg, s3c, corpus, keys, sum, logf); err != nil {
		return sum, err
	}
	if cfg.Stack != nil {
		peak, samples := cfg.Stack.Memory()
		sum.memory(peak, samples)
		if n := sum.Clean + sum.RejectedAndNotified; n > 0 {
			sum.CPUMsPerImage = sum.StackCPUSeconds * 1000 / float64(n)
		}
	} else if cfg.StackPID != 0 {
		if _, hwm, err := ProcessMemory(cfg.StackPID); err == nil {
			sum.PeakRSSMB = float64(hwm) / (1 << 20)
		}
	}
	return sum, nil
}

func (c *Config) defaults() {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.InputBucket == "" {
		c.InputBucket = "uploads"
	}
	if c.OutputBucket == "" {
		c.OutputBucket = "sanitized"
	}
	if c.TopicName == "" {
		c.TopicName = "sanitizer-failures"
	}
	if c.AuditBucket == "" {
		c.AuditBucket = "sanitizer-audit"
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.Settle <= 0 {
		c.Settle = 2 * time.Minute
	}
	if c.Policy == nil {
		p := metadata.DefaultPolicy()
		c.Policy = &p
	}
}

// upload puts one body, retrying beyond the SDK's own retries for up to two
// minutes: the stack may be restarting. It returns the version id and the
// number of attempts.
func upload(ctx context.Context, c *s3.Client, bucket, key string, body []byte) (string, int, error) {
	deadline := time.Now().Add(2 * time.Minute)
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: bytes.NewReader(body), ContentType: aws.String("image/jpeg")})
		if err == nil {
			return aws.ToString(out.VersionId), attempt, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return "", attempt, err
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return "", attempt, ctx.Err()
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// resolveExpected sets each key's expected version: the one the client wrote
// last, except where two uploads raced or one gave up, where the input
// bucket's latest version decides.
func resolveExpected(ctx context.Context, c *s3.Client, bucket string, keys []*tracked, mu *sync.Mutex) error {
	var errs []error
	for _, t := range keys {
		mu.Lock()
		ask := t.item.Versions > 1 || t.failed || len(t.versions) == 0
		mu.Unlock()
		if !ask {
			continue
		}
		var out *s3.HeadObjectOutput
		var err error
		for try := 0; try < 20; try++ {
			if out, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(t.item.Key)}); err == nil {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.item.Key, err))
			continue
		}
		mu.Lock()
		t.expected = aws.ToString(out.VersionId)
		if _, ok := t.versions[t.expected]; !ok && t.item.Versions == 1 {
			// An attempt the client saw fail did reach A: same bytes.
			t.versions[t.expected] = 0
		}
		mu.Unlock()
	}
	return errors.Join(errs...)
}

// watcher follows the output bucket's listing and reads the source version
// of every output that changed.
type watcher struct {
	c      *s3.Client
	bucket string
	prefix string
	seen   map[string]string // key → ETag+LastModified last looked at
}

// headWorkers is how many outputs a poll reads at once.
const headWorkers = 16

// poll settles keys: an output from the expected version, or a notification
// for it. It returns how many keys settled.
func (w *watcher) poll(ctx context.Context, keys []*tracked, mu *sync.Mutex, rcv *receiver) (int, error) {
	byKey := map[string]*tracked{}
	n := 0
	mu.Lock()
	for _, t := range keys {
		if t.settled || t.expected == "" {
			continue
		}
		if at, ok := rcv.notified(t.item.Key, t.expected); ok {
			t.settled, t.notified, t.settledAt = true, true, at
			n++
			continue
		}
		byKey[t.item.Key] = t
	}
	mu.Unlock()
	if len(byKey) == 0 {
		return n, nil
	}
	type candidate struct {
		t            *tracked
		key, stamp   string
		lastModified time.Time
	}
	var fresh []candidate
	p := s3.NewListObjectsV2Paginator(w.c, &s3.ListObjectsV2Input{Bucket: aws.String(w.bucket), Prefix: aws.String(w.prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			t := byKey[key]
			if t == nil || t.item.Kind.Hostile() {
				continue // hostile uploads settle by their notification only
			}
			stamp := aws.ToString(o.ETag) + aws.ToTime(o.LastModified).String()
			if w.seen[key] != stamp {
				fresh = append(fresh, candidate{t, key, stamp, aws.ToTime(o.LastModified)})
			}
		}
	}
	// The outputs' sources, read several at once: under injected S3 latency,
	// one at a time made settling 3,000 keys take minutes after the last
	// output was clean. A failed read (changed again, or a fault) waits for
	// the next poll.
	heads := make([]*s3.HeadObjectOutput, len(fresh))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(headWorkers, len(fresh)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if head, err := w.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(fresh[i].key)}); err == nil {
					heads[i] = head
				}
			}
		}()
	}
	for i := range fresh {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, c := range fresh {
		head := heads[i]
		if head == nil {
			continue
		}
		w.seen[c.key] = c.stamp
		if head.Metadata["source-version-id"] != c.t.expected {
			continue
		}
		mu.Lock()
		c.t.settled, c.t.clean, c.t.settledAt = true, true, c.lastModified
		c.t.outVer, c.t.outETag = aws.ToString(head.VersionId), aws.ToString(head.ETag)
		mu.Unlock()
		n++
	}
	return n, nil
}

func unsubscribe(c *sns.Client, topic, endpoint string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := sns.NewListSubscriptionsByTopicPaginator(c, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return
		}
		for _, s := range out.Subscriptions {
			if aws.ToString(s.Endpoint) == endpoint {
				c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: s.SubscriptionArn})
			}
		}
	}
}

// pollInterval spaces the listings of the output bucket: every two seconds,
// plus a tenth of a second per thousand keys still pending, so the checker's
// own requests stay a small share of the stack's work (listing every half
// second cost the stack 4 ms of CPU per image in a 400-key run). Latency and
// throughput do not depend on it: a key's time is Verify's audit record (else
// its output's LastModified) or its notification's arrival, whenever the poll
// sees it.
func pollInterval(pending int) time.Duration {
	return 2*time.Second + time.Duration(pending/1000)*100*time.Millisecond
}

// percentile of sorted values (nearest rank).
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ownCPU is the CPU time this process has used (user and system).
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// verifiedTimes moves each clean key's settle time from its output's
// LastModified (when Write published it) to when Verify finished proving it
// clean, read from Verify's audit record for the expected source version: the
// pipeline is done with an upload only then. Keys without such a record keep
// LastModified. It returns how many keys it moved.
//
// Only Verify's records are read, by auditReaders keys at once: each key
// costs a listing of its index, one of each execution and a read per record,
// and with every S3 request delayed and one in ten failing (the faulted
// runs), reading all of a key's records eight keys at a time took five
// minutes for 3,000 keys after the last one settled.
func verifiedTimes(ctx context.Context, c *s3.Client, bucket string, keys []*tracked) (int, error) {
	rd := &audit.Reader{Objects: s3store.New(c), Bucket: bucket}
	var moved int
	var firstErr error
	var mu sync.Mutex
	jobs := make(chan *tracked)
	var wg sync.WaitGroup
	for range auditReaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				// A faulty stack fails some reads (a reset mid-body is not
				// retried by the SDK): try a key a few times.
				at, err := verifiedAt(ctx, rd, t.item.Key, t.expected)
				for try := 1; err != nil && try < 4; try++ {
					at, err = verifiedAt(ctx, rd, t.item.Key, t.expected)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if !at.IsZero() {
					t.settledAt = at
					moved++
				}
				mu.Unlock()
			}
		}()
	}
	for _, t := range keys {
		if t.clean && t.expected != "" {
			jobs <- t
		}
	}
	close(jobs)
	wg.Wait()
	return moved, firstErr
}

// auditReaders is how many keys verifiedTimes reads at once.
const auditReaders = 32

func verifiedAt(ctx context.Context, rd *audit.Reader, key, version string) (time.Time, error) {
	recs, err := rd.ByKeyStep(ctx, key, audit.StepVerify)
	if err != nil {
		return time.Time{}, err
	}
	var at time.Time
	for _, r := range recs {
		if r.Outcome == audit.Succeeded && r.Source.VersionID == version && (at.IsZero() || r.FinishedAt.Before(at)) {
			at = r.FinishedAt
		}
	}
	return at, nil
}
