package console

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
)

const xssKey = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">.jpg`

type fixture struct {
	con     *Console
	sfn     *fakeSFN
	objects *fakeObjects
	events  *fakeEvents
	audit   *fakeAudit
	notes   *fakeNotifications
	okARN   string
	badARN  string
	xssARN  string
}

func newFixture(t testing.TB, mod func(*Options)) *fixture {
	t.Helper()
	f := &fixture{sfn: newFakeSFN(), objects: &fakeObjects{}, events: &fakeEvents{}, audit: &fakeAudit{}, notes: &fakeNotifications{}}
	f.okARN = f.sfn.addExecution("ok-1", "photos/beach day.jpg", "", "", "", false)
	f.badARN = f.sfn.addExecution("bad-1", "images/fake.jpg", "Validate", "NotJPEG", `{"errorMessage":"not a JPEG: detected png","errorType":"NotJPEG"}`, false)
	f.xssARN = f.sfn.addExecution("xss-1", xssKey, "", "", "", false)
	beach := audit.Object{Bucket: "uploads", Key: "photos/beach day.jpg", VersionID: "v1"}
	for i, st := range []string{audit.StepValidate, audit.StepStrip, audit.StepWrite, audit.StepVerify} {
		at := f.sfn.t0.Add(time.Duration(i) * time.Second)
		r := audit.Record{Execution: f.okARN, Step: st, Attempt: 1, Outcome: audit.Succeeded, Source: beach, StartedAt: at, FinishedAt: at.Add(80 * time.Millisecond), BytesIn: 5000, BytesOut: 4000, PolicyVersion: "strip-v1"}
		if st == audit.StepWrite {
			r.Output = &audit.Object{Bucket: "sanitized", Key: beach.Key, VersionID: "out-v1"}
		}
		if st == audit.StepStrip {
			r.Removed = []audit.Removal{{Kind: "APP1 Exif", Bytes: 812, Count: 1}, {Kind: "APP1 XMP", Bytes: 190, Count: 1}, {Kind: "COM", Bytes: 12, Count: 1}}
			r.SensitiveTags = []string{"GPSLatitude", "GPSLongitude", "BodySerialNumber"}
		}
		f.audit.add(r)
	}
	fake := audit.Object{Bucket: "uploads", Key: "images/fake.jpg", VersionID: "v1"}
	f.audit.add(audit.Record{Execution: f.badARN, Step: audit.StepValidate, Attempt: 1, Outcome: audit.Failed, Source: fake, Error: &audit.Error{Name: "NotJPEG", Message: "not a JPEG: detected png"}, StartedAt: f.sfn.t0})
	f.audit.add(audit.Record{Execution: f.badARN, Step: audit.StepRecordFailure, Attempt: 1, Outcome: audit.Failed, FailedStep: "Validate", Source: fake, Error: &audit.Error{Name: "NotJPEG", Message: "not a JPEG: detected png"}, StartedAt: f.sfn.t0})
	orig, clean := gpsPhoto(t)
	f.objects.put("uploads", "photos/beach day.jpg", orig)
	f.objects.put("sanitized", "photos/beach day.jpg", clean)
	f.objects.put("uploads", "images/fake.jpg", pngBytes(t, 64, 48))
	f.notes.add(Notification{MessageID: "m-1", TopicARN: "arn:aws:sns:us-east-1:000000000000:failures", Subject: "sanitizer: images/fake.jpg failed at Validate",
		Message:  `{"key":"images/fake.jpg","failedStep":"Validate","error":"NotJPEG","execution":"` + f.badARN + `","replay":"sanitizer replay ` + f.badARN + `"}`,
		Received: f.sfn.t0.Add(2 * time.Second)})
	opt := Options{
		StepFunctions: f.sfn, Objects: f.objects, Events: f.events, Audit: f.audit, Notifications: f.notes,
		OutputBucket: "sanitized", InputBucket: "uploads", Base: "/_console/", PollInterval: 50 * time.Millisecond,
		Now: func() time.Time { return f.sfn.t0.Add(time.Hour) },
	}
	if mod != nil {
		mod(&opt)
	}
	con, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	f.con = con
	return f
}

// get serves one request from a loopback peer and returns status and body.
func (f *fixture) get(t *testing.T, target string) (int, string) {
	t.Helper()
	r := httptest.NewRequest("GET", "http://127.0.0.1:4566"+target, nil)
	r.RemoteAddr = "127.0.0.1:50000"
	w := httptest.NewRecorder()
	f.con.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func (f *fixture) post(t *testing.T, target, body string, hdr map[string]string) (int, map[string]string) {
	t.Helper()
	r := httptest.NewRequest("POST", "http://127.0.0.1:4566"+target, strings.NewReader(body))
	r.RemoteAddr = "127.0.0.1:50000"
	r.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.con.ServeHTTP(w, r)
	var out map[string]string
	json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

func execPath(arn string) string { return "/_console/execution?arn=" + url.QueryEscape(arn) }

func TestListPageShowsExecutionsNewestFirst(t *testing.T) {
	f := newFixture(t, nil)
	code, body := f.get(t, "/_console/")
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	iOK, iBad, iXSS := strings.Index(body, "ok-1"), strings.Index(body, "bad-1"), strings.Index(body, "xss-1")
	if iOK < 0 || iBad < 0 || iXSS < 0 {
		t.Fatalf("missing executions in list:\n%s", body)
	}
	if !(iXSS < iBad && iBad < iOK) {
		t.Errorf("list not newest first: xss %d bad %d ok %d", iXSS, iBad, iOK)
	}
	for _, want := range []string{"photos/beach day.jpg", ">SUCCEEDED<", ">FAILED<", `<td class="err">ImageRejected</td>`, "2026-11-22T08:00:00Z", "assets/console.js"} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %q", want)
		}
	}
}

func TestKeysAreEscapedEverywhere(t *testing.T) {
	f := newFixture(t, nil)
	pages := []string{"/_console/", "/_console/?q=script", execPath(f.xssARN), "/_console/object?arn=" + url.QueryEscape(f.xssARN)}
	for _, p := range pages {
		code, body := f.get(t, p)
		if code != 200 {
			t.Fatalf("%s: status %d", p, code)
		}
		if strings.Contains(body, "<script>window") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s: key reached the page unescaped", p)
		}
		if !strings.Contains(body, "&lt;script&gt;window.__xss=1&lt;/script&gt;") {
			t.Errorf("%s: escaped key not shown", p)
		}
	}
	// The JSON API is escaped for HTML contexts too (encoding/json escapes < and >).
	_, body := f.get(t, "/_console/api/executions?q=script")
	if strings.Contains(body, "<script>") || !strings.Contains(body, `\u003cscript\u003e`) {
		t.Errorf("api executions: %s", body)
	}
}

func TestFilterByStatusAndSearchByKey(t *testing.T) {
	f := newFixture(t, nil)
	names := func(target string) []string {
		code, body := f.get(t, target)
		if code != 200 {
			t.Fatalf("%s: %d %s", target, code, body)
		}
		var rows []execRow
		if err := json.Unmarshal([]byte(body), &rows); err != nil {
			t.Fatal(err)
		}
		var ns []string
		for _, r := range rows {
			ns = append(ns, r.Name)
		}
		return ns
	}
	cases := map[string]string{
		"/_console/api/executions":                         "xss-1,bad-1,ok-1",
		"/_console/api/executions?status=FAILED":           "bad-1",
		"/_console/api/executions?status=succeeded":        "xss-1,ok-1",
		"/_console/api/executions?q=BEACH":                 "ok-1",
		"/_console/api/executions?q=fake&status=SUCCEEDED": "",
		"/_console/api/executions?status=bogus":            "xss-1,bad-1,ok-1", // unknown status: no filter
	}
	for target, want := range cases {
		if got := strings.Join(names(target), ","); got != want {
			t.Errorf("%s: got %q, want %q", target, got, want)
		}
	}
	_, body := f.get(t, "/_console/?status=FAILED")
	if strings.Contains(body, "ok-1") || !strings.Contains(body, "bad-1") || !strings.Contains(body, `<option value="FAILED" selected>`) {
		t.Errorf("server-rendered filter wrong:\n%s", body)
	}
}

func TestExecutionPageSucceeded(t *testing.T) {
	f := newFixture(t, nil)
	code, body := f.get(t, execPath(f.okARN))
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	for st, want := range map[string]string{"Validate": "succeeded", "Strip": "succeeded", "Write": "succeeded", "Verify": "succeeded", "Done": "succeeded", "RecordFailure": "notrun", "Failed": "notrun"} {
		if !strings.Contains(body, `data-state="`+st+`" data-status="`+want+`"`) {
			t.Errorf("graph: state %s is not %s", st, want)
		}
	}
	if n := strings.Count(body, `class="audit" data-step=`); n != 4 {
		t.Errorf("audit records on page: %d, want 4", n)
	}
	for _, want := range []string{"GPSLatitude", "APP1 Exif (812 B)", "TaskStateEntered", "ExecutionSucceeded", `id="replay"`, "photos/beach day.jpg"} {
		if !strings.Contains(body, want) {
			t.Errorf("execution page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="redrive"`) {
		t.Error("a succeeded execution offers redrive")
	}
}

func TestExecutionPageFailed(t *testing.T) {
	f := newFixture(t, nil)
	_, body := f.get(t, execPath(f.badARN))
	for st, want := range map[string]string{"Validate": "caught", "Strip": "notrun", "RecordFailure": "succeeded", "NotifyFailure": "succeeded", "Failed": "failed"} {
		if !strings.Contains(body, `data-state="`+st+`" data-status="`+want+`"`) {
			t.Errorf("graph: state %s is not %s", st, want)
		}
	}
	for _, want := range []string{`id="failure"`, "ImageRejected", "NotJPEG", "not a JPEG: detected png", `id="redrive"`, "TaskFailed"} {
		if !strings.Contains(body, want) {
			t.Errorf("failed execution page lacks %q", want)
		}
	}
	// record-failure's audit record is matched to the RecordFailure state.
	if !regexp.MustCompile(`(?s)data-state="RecordFailure">.*?class="audit" data-step="record-failure"`).MatchString(body) {
		t.Error("record-failure audit not attached to RecordFailure")
	}
}

func TestExecutionPageUnknown(t *testing.T) {
	f := newFixture(t, nil)
	code, body := f.get(t, execPath("arn:aws:states:us-east-1:000000000000:execution:sanitizer:nope"))
	if code != 404 || !strings.Contains(body, "does not exist") {
		t.Errorf("unknown execution: %d %s", code, body)
	}
}

func TestObjectPage(t *testing.T) {
	f := newFixture(t, nil)
	_, body := f.get(t, "/_console/object?arn="+url.QueryEscape(f.okARN))
	for _, want := range []string{`id="thumb-original"`, `id="thumb-sanitized"`, "side=sanitized&amp;version=out-v1", "@ out-v1", "<td>APP1 Exif</td><td>1</td><td>812</td>", "<li>GPSLatitude</li>", "<li>BodySerialNumber</li>", "<th>1014</th>", "s3://sanitized/photos/beach day.jpg"} {
		if !strings.Contains(body, want) {
			t.Errorf("object page lacks %q", want)
		}
	}
	// The console's own inspection: GPS and serial in the original, nothing in the copy,
	// the image rotated losslessly as its Orientation 6 said (the default policy's
	// transform mode), every coefficient checked.
	insp := body[strings.Index(body, `id="inspect"`):]
	insp = insp[:strings.Index(insp, "</table>")]
	for _, want := range []string{"holds metadata", `<span class="ok">clean</span>`, "GPSLatitude", "SerialNumber", "ThumbnailImage", "640×480", "480×640", `<span class="ok">transformed losslessly</span> (Orientation 6 applied`} {
		if !strings.Contains(insp, want) {
			t.Errorf("inspection lacks %q:\n%s", want, insp)
		}
	}
	if strings.Contains(insp, "SN-0042") || strings.Contains(body, "at the beach") {
		t.Error("a metadata value reached the page")
	}
	if got := strings.Count(body, "<td>verify</td>"); got != 1 {
		t.Errorf("key audit rows for verify: %d", got)
	}
	_, body = f.get(t, "/_console/object?arn="+url.QueryEscape(f.badARN))
	if !strings.Contains(body, `id="removed-note"`) {
		t.Error("rejected upload: no note that nothing was removed")
	}
	if !strings.Contains(body, "not a JPEG") {
		t.Error("rejected upload: the inspection does not say it is not a JPEG")
	}
	if !strings.Contains(body, `<p class="muted" id="sanitized-missing">not in s3://sanitized/images/fake.jpg (deleted, or never written)</p>`) || strings.Contains(body, `id="thumb-sanitized"`) {
		t.Error("rejected upload: no plain word that nothing was published")
	}
}

func TestThumbnailsAreReencodedAndOriented(t *testing.T) {
	f := newFixture(t, nil)
	r := httptest.NewRequest("GET", "http://127.0.0.1:4566/_console/thumb?side=original&arn="+url.QueryEscape(f.okARN), nil)
	r.RemoteAddr = "127.0.0.1:1"
	w := httptest.NewRecorder()
	f.con.ServeHTTP(w, r)
	if w.Code != 200 || w.Header().Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumb: %d %s", w.Code, w.Body.String())
	}
	b := w.Body.Bytes()
	if bytes.Contains(b, []byte("Exif\x00\x00")) {
		t.Error("thumbnail carries the original's Exif")
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// 640×480 with Orientation 6 is shown 480×640, fitted to 360: 270×360.
	if got := img.Bounds().Size(); got.X != 270 || got.Y != 360 {
		t.Errorf("thumbnail size %v, want 270x360", got)
	}
	// Orientation 6 rotates clockwise: the red top-left corner ends top-right.
	rr, gg, _, _ := img.At(260, 10).RGBA()
	if rr>>8 < 180 || gg>>8 > 80 {
		t.Errorf("top-right pixel not red after orientation: r=%d g=%d", rr>>8, gg>>8)
	}
	// The sanitized side is the version the execution published.
	if code, _ := f.get(t, "/_console/thumb?side=sanitized&version=out-v1&arn="+url.QueryEscape(f.okARN)); code != 200 {
		t.Errorf("sanitized thumbnail: %d", code)
	}
	if last := f.objects.gets[len(f.objects.gets)-1]; last != "sanitized/photos/beach day.jpg@out-v1" {
		t.Errorf("sanitized thumbnail read %s", last)
	}
	code, _ := f.get(t, "/_console/thumb?side=sanitized&arn="+url.QueryEscape(f.badARN))
	if code != 404 {
		t.Errorf("missing sanitized object: %d", code)
	}
}

func TestNotificationsLinkToExecutions(t *testing.T) {
	f := newFixture(t, nil)
	_, body := f.get(t, "/_console/notifications")
	link := `href="/_console/execution?arn=` + url.QueryEscape(f.badARN) + `"`
	if !strings.Contains(body, link) {
		t.Errorf("notification lacks link %s:\n%s", link, body)
	}
	for _, want := range []string{"Validate", "NotJPEG", "images/fake.jpg"} {
		if !strings.Contains(body, want) {
			t.Errorf("notifications page lacks %q", want)
		}
	}
}

func TestAccessLoopbackOnlyWithoutToken(t *testing.T) {
	f := newFixture(t, nil)
	for _, c := range []struct{ host, peer string }{
		{"evil.example:4566", "127.0.0.1:1"}, // DNS rebinding: a foreign name resolving to us
		{"127.0.0.1:4566", "10.0.0.8:1"},     // a peer from elsewhere
	} {
		r := httptest.NewRequest("GET", "http://"+c.host+"/_console/", nil)
		r.RemoteAddr = c.peer
		w := httptest.NewRecorder()
		f.con.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Errorf("host %s peer %s: %d", c.host, c.peer, w.Code)
		}
	}
	for _, host := range []string{"localhost:4566", "[::1]:4566", "127.0.0.1"} {
		r := httptest.NewRequest("GET", "http://"+host+"/_console/", nil)
		r.RemoteAddr = "[::1]:1"
		w := httptest.NewRecorder()
		f.con.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Errorf("host %s: %d", host, w.Code)
		}
	}
}

func TestNonLoopbackNeedsToken(t *testing.T) {
	if _, err := New(Options{StepFunctions: newFakeSFN(), Listen: "0.0.0.0:4566"}); !errors.Is(err, ErrTokenRequired) {
		t.Errorf("0.0.0.0 without token: %v", err)
	}
	if _, err := New(Options{StepFunctions: newFakeSFN(), Listen: ":4566"}); !errors.Is(err, ErrTokenRequired) {
		t.Errorf(":4566 without token: %v", err)
	}
	if _, err := New(Options{StepFunctions: newFakeSFN(), Listen: "127.0.0.1:4566"}); err != nil {
		t.Errorf("loopback: %v", err)
	}
	f := newFixture(t, func(o *Options) { o.Listen = "0.0.0.0:4566"; o.Token = "s3cret" })
	do := func(target string, hdr map[string]string, cookie *http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "http://192.168.1.5:4566"+target, nil)
		r.RemoteAddr = "192.168.1.9:1"
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		if cookie != nil {
			r.AddCookie(cookie)
		}
		w := httptest.NewRecorder()
		f.con.ServeHTTP(w, r)
		return w
	}
	if w := do("/_console/", nil, nil); w.Code != 401 {
		t.Errorf("no token: %d", w.Code)
	}
	if w := do("/_console/?token=wrong", nil, nil); w.Code != 401 {
		t.Errorf("wrong token: %d", w.Code)
	}
	w := do("/_console/?status=FAILED&token=s3cret", nil, nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/_console/?status=FAILED" {
		t.Fatalf("token login: %d → %q", w.Code, w.Header().Get("Location"))
	}
	ck := w.Result().Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie: %+v", ck)
	}
	if w := do("/_console/", nil, ck[0]); w.Code != 200 {
		t.Errorf("with cookie: %d", w.Code)
	}
	if w := do("/_console/api/executions", map[string]string{"Authorization": "Bearer s3cret"}, nil); w.Code != 200 {
		t.Errorf("bearer: %d", w.Code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, nil)
	r := httptest.NewRequest("GET", "http://127.0.0.1/_console/", nil)
	r.RemoteAddr = "127.0.0.1:1"
	w := httptest.NewRecorder()
	f.con.ServeHTTP(w, r)
	csp := w.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
		t.Errorf("CSP: %q", csp)
	}
	if w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
	// No page refers to anything off the console: offline, no CDN.
	if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(w.Body.String()) {
		t.Error("page loads something from another origin")
	}
}

func csrfOf(t *testing.T, body string) string {
	m := regexp.MustCompile(`name="csrf-token" content="([0-9a-f]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no csrf token in page")
	}
	return m[1]
}

func TestReplayNeedsCSRFAndStartsSameInput(t *testing.T) {
	f := newFixture(t, nil)
	_, page := f.get(t, execPath(f.badARN))
	tok := csrfOf(t, page)
	body := `{"arn":"` + f.badARN + `"}`
	if code, _ := f.post(t, "/_console/api/replay", body, nil); code != 403 {
		t.Errorf("no CSRF token: %d", code)
	}
	if code, _ := f.post(t, "/_console/api/replay", body, map[string]string{"X-CSRF-Token": "00" + tok[2:]}); code != 403 {
		t.Errorf("wrong CSRF token: %d", code)
	}
	if code, _ := f.post(t, "/_console/api/replay", body, map[string]string{"X-CSRF-Token": tok, "Origin": "http://evil.example"}); code != 403 {
		t.Errorf("foreign origin: %d", code)
	}
	if len(f.sfn.started) != 0 {
		t.Fatal("a refused request started an execution")
	}
	code, out := f.post(t, "/_console/api/replay", body, map[string]string{"X-CSRF-Token": tok, "Origin": "http://127.0.0.1:4566"})
	if code != 200 {
		t.Fatalf("replay: %d %v", code, out)
	}
	if len(f.sfn.started) != 1 {
		t.Fatalf("started %d executions", len(f.sfn.started))
	}
	s := f.sfn.started[0]
	bad, _ := f.sfn.DescribeExecution(context.Background(), describe(f.badARN))
	if aws.ToString(s.Input) != aws.ToString(bad.Input) || aws.ToString(s.StateMachineArn) != testMachineARN {
		t.Errorf("replay input/machine differ: %+v", s)
	}
	if !regexp.MustCompile(`^bad-1-replay-[0-9a-f]{12}$`).MatchString(aws.ToString(s.Name)) {
		t.Errorf("replay name %q", aws.ToString(s.Name))
	}
	if !strings.HasSuffix(out["arn"], ":"+aws.ToString(s.Name)) || !strings.Contains(out["link"], "/_console/execution?arn=") {
		t.Errorf("replay result: %v", out)
	}
	if code, _ := f.post(t, "/_console/api/replay", `{"arn":"arn:aws:states:us-east-1:0:execution:x:none"}`, map[string]string{"X-CSRF-Token": tok}); code != 404 {
		t.Errorf("replay of unknown execution: %d", code)
	}
}

func TestRedriveAndReprocess(t *testing.T) {
	f := newFixture(t, nil)
	_, page := f.get(t, execPath(f.badARN))
	h := map[string]string{"X-CSRF-Token": csrfOf(t, page)}
	if code, out := f.post(t, "/_console/api/redrive", `{"arn":"`+f.badARN+`"}`, h); code != 200 {
		t.Fatalf("redrive: %d %v", code, out)
	}
	if len(f.sfn.redriven) != 1 || f.sfn.redriven[0] != f.badARN {
		t.Errorf("redriven: %v", f.sfn.redriven)
	}
	if code, out := f.post(t, "/_console/api/redrive", `{"arn":"`+f.okARN+`"}`, h); code != 502 || !strings.Contains(out["error"], "not redrivable") {
		t.Errorf("redrive of a succeeded execution: %d %v", code, out)
	}
	if code, out := f.post(t, "/_console/api/reprocess", `{"bucket":"uploads","key":"a b+c%.jpg"}`, h); code != 200 {
		t.Fatalf("reprocess: %d %v", code, out)
	}
	if len(f.events.sent) != 1 || len(f.events.sent[0].Entries) != 1 {
		t.Fatalf("events sent: %+v", f.events.sent)
	}
	e := f.events.sent[0].Entries[0]
	var detail struct {
		Bucket struct{ Name string }
		Object struct{ Key string }
	}
	json.Unmarshal([]byte(aws.ToString(e.Detail)), &detail)
	if aws.ToString(e.Source) != "s3-image-sanitizer.reprocess" || aws.ToString(e.DetailType) != "Object Created" || detail.Bucket.Name != "uploads" || detail.Object.Key != "a b+c%.jpg" {
		t.Errorf("reprocess event: %s %s %s", aws.ToString(e.Source), aws.ToString(e.DetailType), aws.ToString(e.Detail))
	}
	if code, _ := f.post(t, "/_console/api/reprocess", `{"key":""}`, h); code != 400 {
		t.Errorf("reprocess without key: %d", code)
	}
}

func TestEventsStreamSendsChanges(t *testing.T) {
	f := newFixture(t, nil)
	srv := httptest.NewServer(f.con)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/_console/api/events?status=RUNNING", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(resp.Body)
	next := func(event string) string {
		for range 1000 {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("stream ended: %v", err)
			}
			if line == "event: "+event+"\n" {
				data, _ := rd.ReadString('\n')
				return strings.TrimPrefix(strings.TrimSpace(data), "data: ")
			}
		}
		t.Fatalf("no %s event", event)
		return ""
	}
	if got := next("executions"); got != "[]" {
		t.Errorf("first RUNNING list: %s", got)
	}
	f.sfn.addExecution("new-1", "live/arrival.jpg", "", "", "", true)
	if got := next("executions"); !strings.Contains(got, "live/arrival.jpg") {
		t.Errorf("update lacks the new execution: %s", got)
	}
}

func describe(arn string) *sfn.DescribeExecutionInput {
	return &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)}
}
