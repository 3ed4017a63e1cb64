// Package browsertest starts headless Chromium for tests that drive pages in a real
// browser (chromedp), and saves checked screenshots under tests/artifacts/.
//
// Chromium is looked up as $CHROMIUM, chromium, chromium-browser, google-chrome. When it
// is missing, tests skip with a message, except under CI=true, where they fail: `make test`
// installs Debian's chromium, so a missing browser there is a broken setup, not a reason
// to pass.
package browsertest

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path returns the Chromium executable, or "" when none is installed.
func Path() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start launches a headless Chromium with a fresh profile and returns a chromedp context
// for one tab. The browser stops when the test ends. The flags keep the browser from
// reaching out to the network (the machines that run these tests have none): no QUIC,
// no background networking, no component updates, no sync.
func Start(t testing.TB) context.Context {
	t.Helper()
	path := Path()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found: `make tools` installs it (Debian package chromium)")
		}
		t.Skip("chromium not found: install Debian's chromium (make tools) to run browser tests")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first Run starts the browser; it must not carry a timeout (see chromedp.Run).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

// Within runs steps with a time limit, failing the test with what it was doing.
func Within(t testing.TB, ctx context.Context, d time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Eval evaluates a JavaScript expression within a time limit.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// WaitFor polls a JavaScript predicate until it is truthy, failing after d. A page that
// reloads or navigates meanwhile (live pages do) is polled again once it has loaded.
func WaitFor(t testing.TB, ctx context.Context, d time.Duration, what, predicate string) {
	t.Helper()
	deadline := time.Now().Add(d)
	var err error
	for time.Now().Before(deadline) {
		left := time.Until(deadline)
		tctx, cancel := context.WithTimeout(ctx, left+5*time.Second)
		_, err = chromedp.Run(tctx, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(left)))
		cancel()
		if err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ""`))
	t.Fatalf("waiting for %s (%s): %v\npage text:\n%s", what, predicate, err, text)
}

// Screenshot saves a full-page PNG as tests/artifacts/<name>.png and fails the test when
// the image is blank: it must hold many colours and a fair share of non-background pixels.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	b, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := CheckContent(b); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
	dir := ArtifactDir(t)
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
	return p
}

// ArtifactDir is tests/artifacts at the module root (gitignored), created on demand.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, "tests", "artifacts")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

type blankError string

func (e blankError) Error() string { return string(e) }

// CheckContent decodes a PNG and reports an error when it looks blank: fewer than 16
// distinct colours (after dropping the low 3 bits of each channel), or under 2% of pixels
// differing from the most common colour.
func CheckContent(pngBytes []byte) error {
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		return err
	}
	b := img.Bounds()
	if b.Dx() < 100 || b.Dy() < 100 {
		return blankError("image too small: " + b.String())
	}
	counts := map[uint32]int{}
	total := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			k := (r>>11)<<10 | (g>>11)<<5 | bl>>11
			counts[k]++
			total++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	var why []string
	if len(counts) < 16 {
		why = append(why, "too few colours")
	}
	if float64(total-top) < 0.02*float64(total) {
		why = append(why, "almost every pixel is the background colour")
	}
	if len(why) > 0 {
		return blankError("blank screenshot: " + strings.Join(why, ", "))
	}
	return nil
}
