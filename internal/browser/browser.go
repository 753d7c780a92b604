// Package browser drives Debian's headless Chromium with chromedp for the
// console's tests: a page is judged by what a person sees, so every test
// also saves screenshots under .data/screenshots/.
package browser

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/beian/beian/internal/testenv"
)

// Browser is one headless Chromium tab at 1366×768 (the desk's screens).
type Browser struct {
	t   testing.TB
	Ctx context.Context
	// mu guards problems: console errors and CSP violations the page reported.
	mu       sync.Mutex
	problems []string
}

// ExecPath is Chromium's binary: $BEIAN_CHROMIUM or chromium on PATH. A
// missing browser fails the test with what to install (make test installs it).
func ExecPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("BEIAN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("browser: chromium not found: `apt-get install -y chromium fonts-noto-cjk` (make test does it when missing)")
	return ""
}

// Start opens a browser for the test; it closes when the test ends.
func Start(t testing.TB) *Browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ExecPath(t)),
		chromedp.NoSandbox, // root in a container
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(1366, 768),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	tctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	b := &Browser{t: t, Ctx: tctx}
	if err := chromedp.Do(tctx); err != nil {
		t.Fatalf("browser: start chromium: %v", err)
	}
	if err := chromedp.Listen(tctx, b.listen); err != nil {
		t.Fatalf("browser: listen: %v", err)
	}
	if err := chromedp.Do(tctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("browser: viewport: %v", err)
	}
	return b
}

// listen keeps the page's errors: an exception, a console.error, and any
// log entry of the security source (a Content-Security-Policy violation).
func (b *Browser) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			msg += " " + ev.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			parts = append(parts, strings.Trim(string(a.Value), `"`))
		}
		msg = "console.error: " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		if ev.Entry.Source != log.EntrySourceSecurity && ev.Entry.Level != log.EntryLevelError {
			return
		}
		if strings.Contains(ev.Entry.Text, "favicon") || strings.Contains(ev.Entry.Text, "status of 4") {
			return // a 4xx page we asked for on purpose
		}
		msg = "log[" + string(ev.Entry.Source) + "]: " + ev.Entry.Text
	default:
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, msg)
	b.mu.Unlock()
}

// Problems are the page errors and CSP violations seen so far.
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// Do runs steps, failing the test on an error.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v (at %s)", err, b.Location())
	}
}

// Text is the visible text of the first element sel matches.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("browser: text of %s: %v (at %s)", sel, err, b.Location())
	}
	return s
}

// Count is how many elements match a CSS selector now.
func (b *Browser) Count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int]("document.querySelectorAll("+quote(sel)+").length"))
	if err != nil {
		b.t.Fatalf("browser: count %s: %v", sel, err)
	}
	return n
}

// Eval evaluates a JavaScript expression to a T.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("browser: eval %s: %v", expr, err)
	}
	return v
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// Location is the tab's URL.
func (b *Browser) Location() string {
	u, err := chromedp.Run(b.Ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return u
}

// Screenshot saves a full-page PNG as .data/screenshots/<name>.png and
// returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	dir := filepath.Join(testenv.RepoRoot(b.t), ".data", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", p)
	return p
}

// ClickAndWait clicks the element and waits for the page it leads to.
func (b *Browser) ClickAndWait(sel string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.Ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		b.t.Fatalf("browser: click %s and wait: %v (at %s)", sel, err, b.Location())
	}
}

// Open navigates to url and waits for the page.
func (b *Browser) Open(url string) {
	b.t.Helper()
	b.Do(chromedp.Navigate(url))
}

// Fill sets the values of form fields by CSS selector (inputs, selects, textareas).
func (b *Browser) Fill(fields ...string) {
	b.t.Helper()
	for i := 0; i+1 < len(fields); i += 2 {
		b.Do(chromedp.SetValue(chromedp.CSS(fields[i]), fields[i+1]))
	}
}

// JS runs a JavaScript statement in the page (the test's, not the page's).
func (b *Browser) JS(expr string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[any](expr+";null")); err != nil {
		b.t.Fatalf("browser: js %s: %v", expr, err)
	}
}

// WaitFor polls a JavaScript condition until it is true, for at most 15 s.
func (b *Browser) WaitFor(cond string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool]("!!("+cond+")")); err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("browser: %s never became true (at %s)", cond, b.Location())
}
