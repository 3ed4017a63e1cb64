package console

import (
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/browsertest"
)

// The console in headless Chromium, against fakes of its sources: every page, live
// updates, filters, actions through the confirmation dialog, and a hostile key.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	f := newFixture(t, nil)
	srv := httptest.NewServer(f.con) // 127.0.0.1
	defer srv.Close()
	ctx := browsertest.Start(t)
	base := srv.URL + "/_console/"

	t.Run("list", func(t *testing.T) {
		browsertest.Within(t, ctx, 30*time.Second, "open list", chromedp.Navigate(base))
		// The live stream re-renders the rows; wait for it to connect.
		browsertest.WaitFor(t, ctx, 30*time.Second, "live indicator", `!document.getElementById("live").hidden`)
		if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("#executions tbody tr").length`); n != 3 {
			t.Errorf("rows: %d, want 3", n)
		}
		// The hostile key is text, not markup: nothing ran, and it reads as typed.
		if v := browsertest.Eval[bool](t, ctx, `window.__xss === undefined`); !v {
			t.Error("script from a key ran")
		}
		keyText := browsertest.Eval[string](t, ctx, `document.querySelector('#executions tbody tr td.key').textContent`)
		if keyText != xssKey {
			t.Errorf("first key cell %q, want the key as text", keyText)
		}
		browsertest.Screenshot(t, ctx, "console-list")

		// A new execution appears without a reload.
		f.sfn.addExecution("live-1", "live/arrival.jpg", "", "", "", true)
		browsertest.WaitFor(t, ctx, 30*time.Second, "live row", `[...document.querySelectorAll("#executions td.key")].some(td => td.textContent === "live/arrival.jpg")`)

		// Filter by status (the select), then search by key (typed).
		browsertest.Eval[bool](t, ctx, `(() => { const s = document.getElementById("status"); s.value = "FAILED"; s.dispatchEvent(new Event("change")); return true })()`)
		browsertest.WaitFor(t, ctx, 30*time.Second, "FAILED filter", `(() => { const r = document.querySelectorAll("#executions tbody tr"); return r.length === 1 && r[0].textContent.includes("bad-1") })()`)
		if loc := browsertest.Eval[string](t, ctx, `location.search`); loc != "?status=FAILED" {
			t.Errorf("filter not reflected in the address: %q", loc)
		}
		browsertest.Eval[bool](t, ctx, `(() => { const s = document.getElementById("status"); s.value = ""; s.dispatchEvent(new Event("change")); return true })()`)
		browsertest.Within(t, ctx, 30*time.Second, "type a search", chromedp.SendKeys("#q", "beach"))
		browsertest.WaitFor(t, ctx, 30*time.Second, "key search", `(() => { const r = document.querySelectorAll("#executions tbody tr"); return r.length === 1 && r[0].textContent.includes("beach day.jpg") })()`)
		browsertest.Screenshot(t, ctx, "console-list-search")
	})

	t.Run("execution", func(t *testing.T) {
		browsertest.Within(t, ctx, 30*time.Second, "open succeeded execution", chromedp.Navigate(base+"execution?arn="+url.QueryEscape(f.okARN)), chromedp.WaitVisible("#graph"))
		status := browsertest.Eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll("#graph g.node")].map(g => [g.dataset.state, g.dataset.status]))`)
		for st, want := range map[string]string{"Validate": "succeeded", "Strip": "succeeded", "Write": "succeeded", "Verify": "succeeded", "Done": "succeeded", "RecordFailure": "notrun"} {
			if status[st] != want {
				t.Errorf("graph %s = %q, want %q", st, status[st], want)
			}
		}
		// The graph is drawn: nodes have area and do not overlap.
		overlap := browsertest.Eval[bool](t, ctx, `(() => {
			const r = [...document.querySelectorAll("#graph g.node rect")].map(e => e.getBoundingClientRect());
			if (r.some(b => b.width < 50 || b.height < 20)) return true;
			for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++)
				if (r[i].left < r[j].right && r[j].left < r[i].right && r[i].top < r[j].bottom && r[j].top < r[i].bottom) return true;
			return false })()`)
		if overlap {
			t.Error("graph nodes overlap or are empty")
		}
		if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("#steps .audit").length`); n != 4 {
			t.Errorf("audit records shown: %d, want 4", n)
		}
		browsertest.Screenshot(t, ctx, "console-execution-succeeded")

		// The failed one: error and cause, the caught state, and a replay through the dialog.
		browsertest.Within(t, ctx, 30*time.Second, "open failed execution", chromedp.Navigate(base+"execution?arn="+url.QueryEscape(f.badARN)), chromedp.WaitVisible("#failure"))
		if st := browsertest.Eval[string](t, ctx, `document.querySelector('#graph g.node[data-state="Validate"]').dataset.status`); st != "caught" {
			t.Errorf("Validate is %q, want caught", st)
		}
		if txt := browsertest.Eval[string](t, ctx, `document.getElementById("failure").innerText`); !strings.Contains(txt, "ImageRejected") {
			t.Errorf("failure box: %q", txt)
		}
		browsertest.Screenshot(t, ctx, "console-execution-failed")
		// A state in the graph opens its step.
		browsertest.Within(t, ctx, 30*time.Second, "click RecordFailure in the graph", chromedp.Click(`#graph g.node[data-state="RecordFailure"] rect`))
		browsertest.WaitFor(t, ctx, 30*time.Second, "its step open", `document.querySelector('#steps li[data-state="RecordFailure"] details').open`)
		before := len(f.sfn.started)
		browsertest.Within(t, ctx, 30*time.Second, "click replay", chromedp.Click("#replay"), chromedp.WaitVisible("#confirm-ok"))
		if open := browsertest.Eval[bool](t, ctx, `document.getElementById("confirm").open`); !open {
			t.Fatal("no confirmation dialog")
		}
		browsertest.Screenshot(t, ctx, "console-replay-confirm")
		browsertest.Within(t, ctx, 30*time.Second, "confirm replay", chromedp.Click("#confirm-ok"))
		browsertest.WaitFor(t, ctx, 30*time.Second, "replay result", `document.getElementById("action-result").textContent.includes("Replay started")`)
		if len(f.sfn.started) != before+1 {
			t.Fatalf("replay started %d executions", len(f.sfn.started)-before)
		}
		browsertest.Within(t, ctx, 30*time.Second, "open the replay", chromedp.Click("#action-result a"), chromedp.WaitVisible("#exec-status"))
		if st := browsertest.Eval[string](t, ctx, `document.getElementById("exec-status").textContent`); st != "RUNNING" {
			t.Errorf("replayed execution status %q", st)
		}

		// Cancelling the dialog does nothing.
		browsertest.Within(t, ctx, 30*time.Second, "back to the failed execution", chromedp.Navigate(base+"execution?arn="+url.QueryEscape(f.badARN)), chromedp.WaitVisible("#redrive"))
		browsertest.Within(t, ctx, 30*time.Second, "redrive, then cancel", chromedp.Click("#redrive"), chromedp.WaitVisible("#confirm-cancel"), chromedp.Click("#confirm-cancel"))
		browsertest.WaitFor(t, ctx, 30*time.Second, "dialog closed", `!document.getElementById("confirm").open`)
		if len(f.sfn.redriven) != 0 {
			t.Error("cancelled redrive ran")
		}
	})

	t.Run("object", func(t *testing.T) {
		browsertest.Within(t, ctx, 30*time.Second, "open object", chromedp.Navigate(base+"object?arn="+url.QueryEscape(f.okARN)), chromedp.WaitVisible("#removed"))
		browsertest.WaitFor(t, ctx, 30*time.Second, "both previews", `["thumb-original", "thumb-sanitized"].every(id => { const i = document.getElementById(id); return i.complete && i.naturalWidth > 0 })`)
		if w := browsertest.Eval[int](t, ctx, `document.getElementById("thumb-original").naturalWidth`); w != 270 {
			t.Errorf("original preview width %d, want 270 (portrait after orientation)", w)
		}
		txt := browsertest.Eval[string](t, ctx, `document.getElementById("removed").innerText + "\n" + document.getElementById("sensitive").innerText`)
		for _, want := range []string{"APP1 Exif", "812", "GPSLatitude", "BodySerialNumber"} {
			if !strings.Contains(txt, want) {
				t.Errorf("removed table lacks %q:\n%s", want, txt)
			}
		}
		browsertest.Screenshot(t, ctx, "console-object")
	})

	t.Run("notifications", func(t *testing.T) {
		browsertest.Within(t, ctx, 30*time.Second, "open notifications", chromedp.Navigate(base+"notifications"))
		browsertest.WaitFor(t, ctx, 30*time.Second, "a notification", `document.querySelectorAll("#notifications tbody tr:not(.message)").length === 1`)
		f.notes.add(Notification{MessageID: "m-2", Subject: "sanitizer: late.jpg failed", Message: `{"key":"late.jpg","failedStep":"Strip","error":"Corrupt","execution":"` + f.okARN + `"}`, Received: f.sfn.t0.Add(time.Hour)})
		browsertest.WaitFor(t, ctx, 30*time.Second, "the new notification, live", `document.querySelectorAll("#notifications tbody tr:not(.message)").length === 2`)
		browsertest.Screenshot(t, ctx, "console-notifications")
		// The older one (second row) links to the failed execution.
		browsertest.Within(t, ctx, 30*time.Second, "follow the link", chromedp.Click(`#notifications tbody tr:nth-child(3) a`), chromedp.WaitVisible("#failure"))
		if name := browsertest.Eval[string](t, ctx, `document.querySelector("h1").textContent`); !strings.Contains(name, "bad-1") {
			t.Errorf("link led to %q", name)
		}
	})

	// The project's own state machine, drawn as the console draws it for `sanitizer run`.
	t.Run("project-graph", func(t *testing.T) {
		def, err := os.ReadFile("../../statemachine/sanitizer.asl.json")
		if err != nil {
			t.Skip("statemachine/sanitizer.asl.json not found")
		}
		f.sfn.mu.Lock()
		f.sfn.definition = string(def)
		f.sfn.mu.Unlock()
		browsertest.Within(t, ctx, 30*time.Second, "open execution", chromedp.Navigate(base+"execution?arn="+url.QueryEscape(f.okARN)), chromedp.WaitVisible("#graph"))
		if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("#graph g.node").length`); n < 8 {
			t.Errorf("%d states drawn", n)
		}
		browsertest.Screenshot(t, ctx, "console-graph-project")
	})
}
