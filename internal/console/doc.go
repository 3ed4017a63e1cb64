// Package console is the sanitizer's web console: an http.Handler that shows executions,
// their state machine graph, history and per-step audit records, the original and
// sanitized image side by side with what was removed, the failure notifications, and
// offers replay, redrive and reprocess.
//
// It reads everything through small interfaces declared in sources.go. The AWS SDK clients
// satisfy the AWS-shaped ones directly, so the same console runs against the local stack
// (clients pointed at its endpoint) and against AWS:
//
//	StepFunctions   ← *sfn.Client         (required)
//	Objects         ← *s3.Client          (previews, inspection; optional)
//	EventPublisher  ← *eventbridge.Client (reprocess; optional)
//	AuditReader     ← *audit.Reader       (per-step audit; optional)
//	NotificationLog ← the local SNS delivery log (optional)
//
// Wiring it under the local stack's port (`sanitizer run`):
//
//	con, err := console.New(console.Options{
//		StepFunctions: sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(endpoint) }),
//		Objects:       s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint); o.UsePathStyle = true }),
//		Events:        eventbridge.NewFromConfig(cfg, ...),
//		Audit:         &audit.Reader{Objects: s3store.New(s3c), Bucket: "sanitizer-audit"},
//		Notifications: snsLog,
//		OutputBucket:  "sanitized",
//		InputBucket:   "uploads",
//		Policy:        pipelinePolicy, // what "clean" means on the object page
//		Base:          "/_console/",
//		Listen:        addr,  // New refuses a non-loopback address without Token
//		Token:         token, // --console-token, or console.NewToken() printed at start
//	})
//	mux.Handle("/_console/", con)
//
// Bucket names cannot contain "_", so "/_console/" never shadows an S3 path-style request.
// cmd/sanitizer/run.go is the real wiring; cmd/sanitizer/console.go serves the console
// alone over a deployment's AWS APIs; cmd/sanitizer/console_browser_test.go drives it in
// headless Chromium.
//
// Safety: with no Token, only loopback peers using a loopback Host header are served
// (which also defeats DNS rebinding). With a Token, a request must carry it once as
// ?token= (a cookie is set and the address bar cleaned) or as "Authorization: Bearer".
// Actions are POSTs that need the page's CSRF token header and, when the browser sends an
// Origin, the console's own origin. Pages are html/template (context-aware escaping of
// keys, metadata and every other value), scripts insert data with textContent, and a
// strict Content-Security-Policy allows only the embedded assets: no CDN, works offline.
//
// Pages, all below Base:
//
//	/                 executions: status, key, start, duration; filter and search; live (SSE)
//	/execution?arn=   graph with each state's status, steps with input/output, audit and
//	                  error/cause, the history timeline, and the actions
//	/object?arn=      original and sanitized previews side by side, the removed segments
//	                  and sensitive tag names, and the key's audit trail
//	/notifications    failure notifications, live, each linking to its execution
package console
