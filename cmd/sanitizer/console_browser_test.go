package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/chromedp/chromedp"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/browsertest"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// The console of `sanitizer run`, driven in headless Chromium against the real stack:
// a GPS photo is uploaded through S3 and processed, a PNG named .jpg fails and is
// notified, and a replay from the console starts a new execution.
func TestConsoleEndToEndInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	ctx := browsertest.Start(t)

	m := NewMain()
	m.Addr = "127.0.0.1:0"
	m.DataDir = t.TempDir()
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	cfg := m.AWSConfig()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	sfc := sfn.NewFromConfig(cfg)
	base := m.URL + "/_console/"

	put := func(key string, body []byte) {
		t.Helper()
		pctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := s3c.PutObject(pctx, &s3.PutObjectInput{Bucket: aws.String(m.InputBucket), Key: aws.String(key), Body: bytes.NewReader(body), ContentType: aws.String("image/jpeg")}); err != nil {
			t.Fatalf("upload %s: %v", key, err)
		}
	}

	// The list is open before anything is uploaded: the execution must arrive live.
	browsertest.Within(t, ctx, 30*time.Second, "open the console", chromedp.Navigate(base))
	browsertest.WaitFor(t, ctx, 30*time.Second, "live updates connected", `!document.getElementById("live").hidden`)

	// Keys are user input: this one is markup that would run if any page let it through.
	photoKey := `holiday/beach <img src=x onerror="window.__xss=1"> day <script>window.__xss=2</script>.jpg`
	// The key must read as typed (escaped, not parsed) and nothing in it may run; the
	// Content-Security-Policy alone would stop the script, so the text is what proves
	// the escaping.
	noScript := func(page, keySelector string) {
		t.Helper()
		if ran := browsertest.Eval[bool](t, ctx, `window.__xss !== undefined`); ran {
			t.Errorf("%s: markup from the key ran", page)
		}
		if got := browsertest.Eval[string](t, ctx, `document.querySelector(`+jsString(keySelector)+`).textContent`); got != photoKey {
			t.Errorf("%s: key shown as %q", page, got)
		}
	}
	photo := jpegfixture.New(jpegfixture.Baseline(320, 240, 7)).
		Add(jpegfixture.Exif(jpegfixture.ExifSpec{Make: "Canon", Model: "EOS", SerialNumber: "SN-31337", GPS: true, Thumbnail: jpegfixture.Baseline(16, 12, 3)})).
		Add(jpegfixture.XMP(`<exif:GPSLatitude>52,31.0N</exif:GPSLatitude>`)).
		Add(jpegfixture.Comment("shot at home")).
		Bytes()
	put(photoKey, photo)

	row := `[...document.querySelectorAll("#executions tbody tr")].find(tr => tr.querySelector("td.key").textContent === ` + jsString(photoKey) + `)`
	browsertest.WaitFor(t, ctx, 60*time.Second, "the photo's execution succeeds in the list", `(() => { const r = `+row+`; return r && r.textContent.includes("SUCCEEDED") })()`)
	noScript("list", "#executions td.key")
	browsertest.Screenshot(t, ctx, "e2e-list-succeeded")

	// Its page: the graph with the four tasks succeeded, the audit of all four steps,
	// and GPS among what was removed.
	browsertest.Eval[bool](t, ctx, `(() => { `+row+`.querySelector("a").click(); return true })()`)
	browsertest.Within(t, ctx, 30*time.Second, "open the execution", chromedp.WaitVisible("#graph"))
	photoExecURL := browsertest.Eval[string](t, ctx, `location.href`)
	status := browsertest.Eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll("#graph g.node")].map(g => [g.dataset.state, g.dataset.status]))`)
	for _, st := range []string{"Validate", "Strip", "Write", "Verify"} {
		if status[st] != "succeeded" {
			t.Errorf("graph: %s is %q, want succeeded (all: %v)", st, status[st], status)
		}
	}
	for _, step := range []string{"validate", "strip", "write", "verify"} {
		if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll('#steps .audit[data-step="`+step+`"]').length`); n < 1 {
			t.Errorf("no audit record shown for %s", step)
		}
	}
	stripAudit := browsertest.Eval[string](t, ctx, `document.querySelector('#steps .audit[data-step="strip"]').textContent`)
	if !strings.Contains(stripAudit, "GPS") {
		t.Errorf("strip audit does not name GPS among the removed:\n%s", stripAudit)
	}
	if strings.Contains(stripAudit, "SN-31337") || strings.Contains(stripAudit, "shot at home") {
		t.Error("a metadata value reached the page")
	}
	noScript("execution", "#exec-key a")
	browsertest.Screenshot(t, ctx, "e2e-execution-succeeded")

	browsertest.Within(t, ctx, 30*time.Second, "open before/after", chromedp.Click("#object-link"), chromedp.WaitVisible("#inspect"))
	browsertest.WaitFor(t, ctx, 30*time.Second, "both previews", `["thumb-original", "thumb-sanitized"].every(id => { const i = document.getElementById(id); return i && i.complete && i.naturalWidth > 0 })`)
	removed := browsertest.Eval[string](t, ctx, `(document.getElementById("sensitive") || document.body).innerText`)
	if !strings.Contains(removed, "GPS") {
		t.Errorf("object page: GPS not among the removed tags:\n%s", removed)
	}
	if same := browsertest.Eval[string](t, ctx, `document.getElementById("same-image").innerText`); !strings.Contains(same, "identical") {
		t.Errorf("object page: image data %q", same)
	}
	noScript("object", "#object-key")
	browsertest.Screenshot(t, ctx, "e2e-object")

	// Reprocess the key from its execution's page: the event goes through the real rule
	// and a second execution for the key appears in the list, searched by key.
	browsertest.Within(t, ctx, 30*time.Second, "back to the execution", chromedp.Navigate(photoExecURL), chromedp.WaitVisible("#reprocess"))
	browsertest.Within(t, ctx, 30*time.Second, "reprocess", chromedp.Click("#reprocess"), chromedp.WaitVisible("#confirm-ok"), chromedp.Click("#confirm-ok"))
	browsertest.WaitFor(t, ctx, 30*time.Second, "reprocess confirmed", `document.getElementById("action-result").textContent.includes("Reprocess event sent")`)
	browsertest.Within(t, ctx, 30*time.Second, "search the key", chromedp.Navigate(base+"?q="+url.QueryEscape("day <script>")))
	browsertest.WaitFor(t, ctx, 60*time.Second, "two executions of the key, both ended well", `(() => {
		const rows = [...document.querySelectorAll("#executions tbody tr")];
		return rows.length === 2 && rows.every(r => r.textContent.includes("SUCCEEDED")) })()`)
	browsertest.Screenshot(t, ctx, "e2e-reprocessed")

	// A PNG named .jpg: rejected, notified; the notification leads to the execution,
	// and a replay from there starts a new one.
	fakeKey := "holiday/not really.jpg"
	var pb bytes.Buffer
	png.Encode(&pb, image.NewRGBA(image.Rect(0, 0, 40, 30)))
	put(fakeKey, pb.Bytes())

	browsertest.Within(t, ctx, 30*time.Second, "open notifications", chromedp.Navigate(base+"notifications"))
	note := `[...document.querySelectorAll("#notifications tbody tr:not(.message)")].find(tr => tr.querySelector("td.key").textContent === ` + jsString(fakeKey) + `)`
	browsertest.WaitFor(t, ctx, 60*time.Second, "the failure notification", `(() => { const r = `+note+`; return r && r.querySelector("a") })()`)
	browsertest.Screenshot(t, ctx, "e2e-notifications")
	if txt := browsertest.Eval[string](t, ctx, note+`.textContent`); !strings.Contains(txt, "NotJPEG") || !strings.Contains(txt, "Validate") {
		t.Errorf("notification row: %q", txt)
	}
	browsertest.Eval[bool](t, ctx, `(() => { `+note+`.querySelector("a").click(); return true })()`)
	browsertest.Within(t, ctx, 30*time.Second, "the failed execution", chromedp.WaitVisible("#failure"))
	failedURL := browsertest.Eval[string](t, ctx, `location.href`)
	u, err := url.Parse(failedURL)
	if err != nil {
		t.Fatal(err)
	}
	failedARN := u.Query().Get("arn")
	if st := browsertest.Eval[string](t, ctx, `document.querySelector('#graph g.node[data-state="Validate"]').dataset.status`); st != "caught" {
		t.Errorf("Validate is %q, want caught", st)
	}
	browsertest.Screenshot(t, ctx, "e2e-execution-failed")

	before := countExecutions(t, sfc, m.StateMachineArn)
	browsertest.Within(t, ctx, 30*time.Second, "replay", chromedp.Click("#replay"), chromedp.WaitVisible("#confirm-ok"), chromedp.Click("#confirm-ok"))
	browsertest.WaitFor(t, ctx, 30*time.Second, "replay confirmed", `document.getElementById("action-result").textContent.includes("Replay started")`)
	browsertest.Screenshot(t, ctx, "e2e-replay-started")
	if after := countExecutions(t, sfc, m.StateMachineArn); after != before+1 {
		t.Errorf("executions %d → %d after replay", before, after)
	}
	browsertest.Within(t, ctx, 30*time.Second, "open the replay", chromedp.Click("#action-result a"), chromedp.WaitVisible("#exec-status"))
	replayARN := browsertest.Eval[string](t, ctx, `document.getElementById("execution").dataset.arn`)
	if replayARN == failedARN || replayARN == "" {
		t.Fatalf("replay page shows %q", replayARN)
	}
	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	orig, err1 := sfc.DescribeExecution(dctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(failedARN)})
	rep, err2 := sfc.DescribeExecution(dctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(replayARN)})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if aws.ToString(orig.Input) != aws.ToString(rep.Input) {
		t.Error("the replay's input differs from the original's")
	}
	// The same PNG fails the same way; the page follows it to the end on its own.
	browsertest.WaitFor(t, ctx, 60*time.Second, "the replay ends", `document.getElementById("execution") && document.getElementById("execution").dataset.status === "FAILED"`)
	browsertest.Screenshot(t, ctx, "e2e-replay-failed")

	// Redrive the original failed execution: it runs again from the state that failed.
	browsertest.Within(t, ctx, 30*time.Second, "the failed execution again", chromedp.Navigate(failedURL), chromedp.WaitVisible("#redrive"))
	browsertest.Within(t, ctx, 30*time.Second, "redrive", chromedp.Click("#redrive"), chromedp.WaitVisible("#confirm-ok"), chromedp.Click("#confirm-ok"))
	browsertest.WaitFor(t, ctx, 30*time.Second, "redrive confirmed", `document.getElementById("action-result").textContent.includes("Redrive started")`)
	rctx, rcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer rcancel()
	for i := 0; ; i++ {
		ex, err := sfc.DescribeExecution(rctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(failedARN)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt32(ex.RedriveCount) == 1 && ex.Status != "RUNNING" {
			break
		}
		if i == 300 { // 30 s
			t.Fatalf("after redrive: status %s, redrive count %d", ex.Status, aws.ToInt32(ex.RedriveCount))
		}
		time.Sleep(100 * time.Millisecond)
	}
	browsertest.Within(t, ctx, 30*time.Second, "the redriven execution", chromedp.Navigate(failedURL), chromedp.WaitVisible("#exec-status"))
	if txt := browsertest.Eval[string](t, ctx, `document.querySelector("dl.facts").innerText`); !strings.Contains(txt, "Redriven") {
		t.Errorf("the page does not show the redrive:\n%s", txt)
	}
	browsertest.Screenshot(t, ctx, "e2e-redriven")
}

func countExecutions(t *testing.T, c *sfn.Client, machine string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := 0
	p := sfn.NewListExecutionsPaginator(c, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.Executions)
	}
	return n
}

// jsString quotes s as a JavaScript string literal (JSON escapes <, > and & too).
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
