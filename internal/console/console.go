package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// Options configures a Console. StepFunctions is required; every other source is
// optional and the pages say what is missing instead of failing.
type Options struct {
	// StepFunctions lists and describes executions, serves their history and the state
	// machine definition, and starts replays and redrives.
	StepFunctions StepFunctions
	// StateMachineARNs restricts the console to these state machines; empty means every
	// state machine ListStateMachines returns.
	StateMachineARNs []string
	// Objects reads the original upload (bucket, key and version from the execution's
	// input) and the sanitized copy (OutputBucket, same key) for thumbnails.
	Objects      Objects
	OutputBucket string
	// Policy is the metadata policy the object page inspects files with (what counts as
	// clean); default metadata.DefaultPolicy(). Give the pipeline's policy.
	Policy metadata.Policy
	// InputBucket is the bucket reprocess events name when the execution input names none.
	InputBucket string
	// Events sends reprocess events; nil hides the reprocess action.
	Events EventPublisher
	// ReprocessSource is the custom event source the EventBridge rule matches for
	// reprocessing; default "s3-image-sanitizer.reprocess".
	ReprocessSource string
	// Audit reads the per-step audit records; nil shows "no audit reader".
	Audit AuditReader
	// Notifications lists messages delivered on the failure topic; nil hides the page.
	Notifications NotificationLog

	// Base is the path the console is mounted under, e.g. "/_console/". Default "/".
	Base string
	// Listen is the address the hosting server is bound to. When it is not a loopback
	// address, Token must be set: New refuses otherwise.
	Listen string
	// Token, when set, is required on every request: once as ?token=... (which sets a
	// cookie), or as an "Authorization: Bearer" header. With no token, only requests from
	// loopback peers with a loopback Host header are served (no DNS rebinding).
	Token string

	// PollInterval is how often live views look for changes; default 1s.
	PollInterval time.Duration
	// MaxExecutions caps how many executions the list reads per state machine; default 500.
	MaxExecutions int
	// Now is the clock for running durations; default time.Now.
	Now func() time.Time
}

// Console is the web console, an http.Handler.
type Console struct {
	opt   Options
	base  string
	csrf  string
	mux   *http.ServeMux
	pages pages

	// Caches. An execution's input never changes; previews and inspections are keyed
	// by object identity (version and ETag).
	objects     memo[object] // what each execution is about, by ARN
	errors      memo[string] // an ended execution's error, by ARN, status and redrive count
	thumbs      memo[[]byte]
	inspections memo[inspection]
	decoding    chan struct{} // bounds thumbnails decoded at once
}

// ErrTokenRequired is returned by New when Listen is not a loopback address and no Token
// is set.
var ErrTokenRequired = errors.New("console: a token is required when listening on a non-loopback address")

// New builds the console from its sources. See the package documentation for wiring.
func New(opt Options) (*Console, error) {
	if opt.StepFunctions == nil {
		return nil, errors.New("console: Options.StepFunctions is required")
	}
	if opt.Listen != "" && !IsLoopback(opt.Listen) && opt.Token == "" {
		return nil, ErrTokenRequired
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = time.Second
	}
	if opt.MaxExecutions <= 0 {
		opt.MaxExecutions = 500
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Policy.Version == "" {
		opt.Policy = metadata.DefaultPolicy()
	}
	if opt.ReprocessSource == "" {
		opt.ReprocessSource = "s3-image-sanitizer.reprocess"
	}
	base := opt.Base
	if base == "" {
		base = "/"
	}
	if !strings.HasPrefix(base, "/") {
		base = "/" + base
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	csrf, err := NewToken()
	if err != nil {
		return nil, err
	}
	c := &Console{
		opt:         opt,
		base:        base,
		csrf:        csrf,
		mux:         http.NewServeMux(),
		objects:     memo[object]{max: 100_000},
		errors:      memo[string]{max: 100_000},
		thumbs:      memo[[]byte]{max: 256},
		inspections: memo[inspection]{max: 1024},
		decoding:    make(chan struct{}, 2),
	}
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	c.routes()
	return c, nil
}

// NewToken returns a random 128-bit token, hex encoded: for the CSRF token and for a
// generated access token the host prints when binding beyond loopback.
func NewToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("console: token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// IsLoopback reports whether a listen address ("host:port" or a bare host) binds only
// loopback interfaces. An empty host ("":4566) binds every interface and is not loopback.
func IsLoopback(addr string) bool {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Console) routes() {
	c.mux.HandleFunc("GET /{$}", c.listPage)
	c.mux.HandleFunc("GET /execution", c.executionPage)
	c.mux.HandleFunc("GET /object", c.objectPage)
	c.mux.HandleFunc("GET /notifications", c.notificationsPage)
	c.mux.HandleFunc("GET /thumb", c.thumb)
	c.mux.HandleFunc("GET /api/executions", c.apiExecutions)
	c.mux.HandleFunc("GET /api/execution", c.apiExecution)
	c.mux.HandleFunc("GET /api/notifications", c.apiNotifications)
	c.mux.HandleFunc("GET /api/events", c.apiEvents)
	c.mux.HandleFunc("POST /api/replay", c.replay)
	c.mux.HandleFunc("POST /api/redrive", c.redrive)
	c.mux.HandleFunc("POST /api/reprocess", c.reprocess)
	c.mux.Handle("GET /assets/", http.StripPrefix("/assets/", assetHandler()))
}

// ServeHTTP checks access, sets the security headers, and dispatches below Base.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")

	if !c.allowed(w, r) {
		return
	}
	p := r.URL.Path
	if p+"/" == c.base {
		http.Redirect(w, r, c.base, http.StatusFound)
		return
	}
	if !strings.HasPrefix(p, c.base) {
		http.NotFound(w, r)
		return
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path = "/" + strings.TrimPrefix(p, c.base)
	u.RawPath = ""
	r2.URL = &u
	c.mux.ServeHTTP(w, r2)
}

const tokenCookie = "sanitizer_console_token"

// allowed enforces the access rule: the token when one is set, otherwise loopback peer
// and loopback Host. It writes the refusal itself.
func (c *Console) allowed(w http.ResponseWriter, r *http.Request) bool {
	if c.opt.Token == "" {
		host := r.Host
		peer, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			peer = r.RemoteAddr
		}
		if !IsLoopback(host) || !IsLoopback(peer) {
			http.Error(w, "the console serves loopback only; start it with a token to reach it from elsewhere", http.StatusForbidden)
			return false
		}
		return true
	}
	if q := r.URL.Query().Get("token"); q != "" {
		if !equal(q, c.opt.Token) {
			http.Error(w, "bad console token", http.StatusUnauthorized)
			return false
		}
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: q, Path: c.base, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		// Drop the token from the address bar and from history.
		u := *r.URL
		v := u.Query()
		v.Del("token")
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return false
	}
	if ck, err := r.Cookie(tokenCookie); err == nil && equal(ck.Value, c.opt.Token) {
		return true
	}
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") && equal(strings.TrimPrefix(a, "Bearer "), c.opt.Token) {
		return true
	}
	http.Error(w, "console token required: open the URL printed at start (…?token=…)", http.StatusUnauthorized)
	return false
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// checkCSRF accepts a state-changing request only with the page's CSRF token and, when
// the browser names an Origin, only from this console's own origin.
func (c *Console) checkCSRF(r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return errors.New("cross-origin request refused")
		}
	}
	t := r.Header.Get("X-CSRF-Token")
	if t == "" || !equal(t, c.csrf) {
		return errors.New("missing or wrong CSRF token: reload the page")
	}
	return nil
}

// link returns a path under the console's base with an escaped query.
func (c *Console) link(page string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	s := c.base + page
	if len(v) > 0 {
		s += "?" + v.Encode()
	}
	return s
}
