// Package homepage checks that an approved site shows its filing number
// (备案号) on its home page (R-PA-5: 未在网站的主页上标明编号 is fined). It
// fetches http://domain/ and https://domain/ from our own addresses only:
// the sweep (R-PA-3) has found the domain resolving into our data centre,
// and it is that site, not one elsewhere, that must show the number.
package homepage

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/beian/beian/dns"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/net/idna"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Defaults of Checker.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultMaxBytes    = 512 << 10
	DefaultConcurrency = 16
	// MaxRedirects is how many redirects are followed, each only to the
	// domain or its www on our addresses.
	MaxRedirects = 3
	// SnippetRunes bounds Result.Evidence.
	SnippetRunes = 200
)

// Checker fetches home pages. The zero value uses the defaults.
type Checker struct {
	// Timeout bounds one fetch, redirects and body included; default 5s.
	Timeout time.Duration
	// MaxBytes is how much of a page is read; default 512 KiB.
	MaxBytes int64
	// Concurrency is how many sites CheckAll fetches at once; default 16.
	Concurrency int
	// HTTPPort and HTTPSPort replace ports 80 and 443 when dialing (tests).
	HTTPPort, HTTPSPort int
}

// Result is the R-PA-5 check of one site.
type Result struct {
	Domain string `json:"domain"`
	// Shown: the filing number is on the home page.
	Shown bool `json:"shown"`
	// Reachable: a home page came back (2xx). An unreachable site is
	// recorded, not an error, and is not told to add the number.
	Reachable bool `json:"reachable"`
	// URL is where the number was found, else the last page fetched.
	URL    string `json:"url,omitempty"`
	Status int    `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
	// Evidence is the page text around the number, at most 200 characters.
	Evidence string `json:"evidence,omitempty"`
}

// Verdict is "shown", "missing" (reachable, no number: tell the filer to
// add it) or "unreachable".
func (r Result) Verdict() string {
	switch {
	case r.Shown:
		return "shown"
	case r.Reachable:
		return "missing"
	default:
		return "unreachable"
	}
}

// Site is one site for CheckAll.
type Site struct {
	Domain       string
	Addrs        []netip.Addr
	FilingNumber string
}

// Check fetches http://domain/ and, unless the number is found there,
// https://domain/, connecting only to those addrs (the domain's and its
// www's, as resolved) that lie in ours. DNS is not asked again; a redirect
// is followed (at most MaxRedirects) only to the domain or its www, so a
// page that redirects to a host off our addresses is not taken for the
// site. Failures are recorded in the Result.
func (c *Checker) Check(ctx context.Context, domain string, addrs []netip.Addr, filingNumber string, ours []netip.Prefix) Result {
	res := Result{Domain: domain}
	num, err := parseNumber(filingNumber)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	host, err := idna.Lookup.ToASCII(strings.TrimSuffix(strings.TrimSpace(domain), "."))
	if err != nil || host == "" || strings.ContainsAny(host, "/:@?#[]") {
		res.Error = fmt.Sprintf("domain %q is not a host name", domain)
		return res
	}
	host = strings.ToLower(host)
	var dial []netip.Addr
	for _, a := range addrs {
		if dns.InPrefixes(a, ours) {
			dial = append(dial, a.Unmap())
		}
	}
	if len(dial) == 0 {
		res.Error = "no address in our ranges to fetch from"
		return res
	}
	client, done := c.client(host, dial)
	defer done()

	var errs []string
	for _, scheme := range []string{"http", "https"} {
		p := c.fetch(ctx, client, scheme+"://"+host+"/", num)
		if p.err != nil {
			errs = append(errs, scheme+": "+p.err.Error())
		}
		if p.status != 0 || res.URL == "" {
			res.URL, res.Status = p.url, p.status
		}
		if p.status >= 200 && p.status < 300 {
			res.Reachable = true
		}
		if p.evidence != "" {
			res.Shown, res.URL, res.Status, res.Evidence = true, p.url, p.status, p.evidence
			errs = nil
			break
		}
	}
	res.Error = strings.Join(errs, "; ")
	return res
}

// CheckAll checks sites, Concurrency at a time, calling fn with each
// result from one goroutine at a time.
func (c *Checker) CheckAll(ctx context.Context, sites []Site, ours []netip.Prefix, fn func(Result)) error {
	work := make(chan Site)
	var mu sync.Mutex
	var wg sync.WaitGroup
	n := c.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	for range min(n, len(sites)) {
		wg.Go(func() {
			for s := range work {
				r := c.Check(ctx, s.Domain, s.Addrs, s.FilingNumber, ours)
				if ctx.Err() != nil {
					continue
				}
				mu.Lock()
				fn(r)
				mu.Unlock()
			}
		})
	}
feed:
	for _, s := range sites {
		select {
		case work <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return ctx.Err()
}

// client is an HTTP client that reaches host (and www.host) on dial only.
func (c *Checker) client(host string, dial []netip.Addr) (*http.Client, func()) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	allowed := func(h string) bool {
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		return h == host || h == "www."+host || "www."+h == host
	}
	d := &net.Dialer{Timeout: timeout}
	tr := &http.Transport{
		Proxy: nil, // never through a proxy: it would fetch from elsewhere
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			h, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if !allowed(h) {
				return nil, fmt.Errorf("refusing %s: not %s on our addresses", h, host)
			}
			port = c.port(port)
			var errs []error
			for _, a := range dial {
				conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
				if err == nil {
					return conn, nil
				}
				errs = append(errs, err)
			}
			return nil, errors.Join(errs...)
		},
		// The check reads what the site shows, not whether its certificate
		// is valid: many filed sites run expired or self-signed ones, and
		// we only ever connect to our own addresses. SNI is the URL's host
		// (the domain or its www), so the server picks that site.
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   1,
		ForceAttemptHTTP2:     true,
	}
	cl := &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return fmt.Errorf("more than %d redirects", MaxRedirects)
			}
			if !allowed(req.URL.Hostname()) {
				return fmt.Errorf("redirect to %s, off %s on our addresses", req.URL.Host, host)
			}
			return nil
		},
	}
	return cl, tr.CloseIdleConnections
}

// port maps the scheme's default port to the configured one.
func (c *Checker) port(p string) string {
	switch {
	case p == "80" && c.HTTPPort != 0:
		return strconv.Itoa(c.HTTPPort)
	case p == "443" && c.HTTPSPort != 0:
		return strconv.Itoa(c.HTTPSPort)
	}
	return p
}

// page is the outcome of one fetch.
type page struct {
	url      string
	status   int
	evidence string
	err      error
}

// fetch gets u and looks for num in its text.
func (c *Checker) fetch(ctx context.Context, client *http.Client, u string, num number) page {
	p := page{url: u}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		p.err = err
		return p
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (compatible; beian-homepage-check; R-PA-5)")
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	resp, err := client.Do(req)
	if err != nil {
		p.err = unwrapURLError(err)
		return p
	}
	defer resp.Body.Close()
	p.url, p.status = resp.Request.URL.String(), resp.StatusCode
	max := c.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max))
	if err != nil {
		p.err = fmt.Errorf("read body: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		p.err = errors.Join(p.err, fmt.Errorf("status %d", resp.StatusCode))
		return p
	}
	p.evidence = findNumber(decode(body, resp.Header.Get("Content-Type")), num)
	if p.evidence == "" && int64(len(body)) == max {
		p.err = errors.Join(p.err, fmt.Errorf("page cut at %d bytes without the number", max))
	}
	return p
}

// unwrapURLError drops the "Get URL:" wrapping; the URL is in the Result.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// decode turns body into UTF-8: by the charset of the header, a BOM or
// <meta>, else UTF-8 when valid, else GB18030 (a superset of GBK and
// GB2312, what Chinese pages that declare nothing are mostly written in).
func decode(body []byte, contentType string) string {
	enc, name, certain := charset.DetermineEncoding(body, contentType)
	if !certain && name == "windows-1252" {
		if utf8.Valid(body) {
			return string(body)
		}
		enc = simplifiedchinese.GB18030
	}
	if name == "utf-8" && utf8.Valid(body) {
		return string(body)
	}
	out, _, err := transform.Bytes(enc.NewDecoder(), body)
	if err != nil {
		return string(bytes.ToValidUTF8(body, []byte("\uFFFD")))
	}
	return string(out)
}

// findNumber looks for num in the page's text (tags removed, entities
// decoded, so 苏ICP备<b>12345678</b>号 counts) and in its markup (so a
// number in an alt, title or script counts too), and returns the text
// around it; "" when absent.
func findNumber(doc string, num number) string {
	for _, t := range []string{normalize(text(doc)), normalize(doc)} {
		if i := num.find(t); i >= 0 {
			return snippet(t, i, len(num.key), SnippetRunes)
		}
	}
	return ""
}

// text is the character data of an HTML document, scripts and styles
// left out.
func text(doc string) string {
	z := html.NewTokenizer(strings.NewReader(doc))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken:
			if name, _ := z.TagName(); string(name) == "script" || string(name) == "style" {
				skip++
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); (string(name) == "script" || string(name) == "style") && skip > 0 {
				skip--
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		}
	}
}

// CheckHomepage is Check in the words of the sweep (activities.HomepageChecker):
// the verdict ("shown", "missing", "unreachable"), the page read, and the
// evidence or the error.
func (c *Checker) CheckHomepage(ctx context.Context, domain string, addrs []netip.Addr, filingNumber string, ours []netip.Prefix) (string, string, string) {
	r := c.Check(ctx, domain, addrs, filingNumber, ours)
	detail := r.Evidence
	if r.Error != "" {
		detail = r.Error
	}
	return r.Verdict(), r.URL, detail
}
