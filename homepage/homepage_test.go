package homepage_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/beian/beian/homepage"
)

const filing = "苏ICP备12345678号-1"

var (
	local = netip.MustParseAddr("127.0.0.1")
	ours  = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
)

// site is a web site on 127.0.0.1 over HTTP and HTTPS, as the domain's
// server in our data centre; hits counts requests and hosts the Host
// headers and TLS server names seen.
type site struct {
	http, https *httptest.Server
	hits        atomic.Int64
	host, sni   atomic.Value
}

func startSite(t *testing.T, httpH, httpsH http.HandlerFunc) *site {
	t.Helper()
	s := &site{}
	wrap := func(h http.HandlerFunc) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.hits.Add(1)
			s.host.Store(r.Host)
			if r.TLS != nil {
				s.sni.Store(r.TLS.ServerName)
			}
			if h == nil {
				http.NotFound(w, r)
				return
			}
			h(w, r)
		})
	}
	s.http = listen(t, "127.0.0.1:0", wrap(httpH), false)
	s.https = listen(t, "127.0.0.1:0", wrap(httpsH), true)
	return s
}

func listen(t *testing.T, addr string, h http.Handler, tls bool) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

func port(t *testing.T, srv *httptest.Server) int {
	t.Helper()
	_, p, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)
	n, err := strconv.Atoi(p)
	require.NoError(t, err)
	return n
}

func (s *site) checker(t *testing.T) *homepage.Checker {
	return &homepage.Checker{Timeout: 2 * time.Second, HTTPPort: port(t, s.http), HTTPSPort: port(t, s.https)}
}

func page(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}
}

func check(t *testing.T, s *site, number string) homepage.Result {
	t.Helper()
	return s.checker(t).Check(context.Background(), "site.test", []netip.Addr{local}, number, ours)
}

// TestShown: the number on the home page is found, in the forms staff and
// filers write it (R-PA-5).
func TestShown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, number, body string }{
		{"as filed", filing, `<footer>版权所有 <a href="https://beian.miit.gov.cn/">苏ICP备12345678号-1</a></footer>`},
		{"page without site suffix", filing, `<p>苏ICP备12345678号</p>`},
		{"filing without site suffix", "苏ICP备12345678号", `<p>苏ICP备12345678号-1</p>`},
		{"full width on the page", filing, `<p>苏ＩＣＰ备１２３４５６７８号－１</p>`},
		{"full width in the filing", "苏ＩＣＰ备１２３４５６７８号", `<p>苏ICP备12345678号</p>`},
		{"spaces and nbsp", filing, "<p>苏 ICP 备&nbsp;1234 5678 号\u3000-1</p>"},
		{"split by tags", filing, `<p>苏ICP备<b>12345678</b>号</p>`},
		{"lower case icp, no 号", filing, `<p>苏icp备12345678</p>`},
		{"in an image's alt", filing, `<img alt="苏ICP备12345678号" src="/b.png">`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startSite(t, page(tc.body), nil)
			r := check(t, s, tc.number)
			require.True(t, r.Shown, "%+v", r)
			require.True(t, r.Reachable)
			require.Equal(t, "shown", r.Verdict())
			require.Equal(t, "http://site.test/", r.URL)
			require.Equal(t, 200, r.Status)
			require.Empty(t, r.Error)
			require.Contains(t, r.Evidence, "12345678")
			require.Equal(t, "site.test", s.host.Load())
			require.EqualValues(t, 1, s.hits.Load(), "found over HTTP: HTTPS not asked")
		})
	}
}

// TestNotShown: other numbers do not count.
func TestNotShown(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`<p>苏ICP备1234567号</p>`,   // a digit short
		`<p>苏ICP备123456789号</p>`, // a digit more
		`<p>浙ICP备12345678号</p>`,  // another province
		`<p>苏ICP证12345678号</p>`,  // an operating licence, not the filing
		`<p>版权所有</p>`,
	} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			s := startSite(t, page(body), page(body))
			r := check(t, s, filing)
			require.False(t, r.Shown, "%+v", r)
			require.True(t, r.Reachable)
			require.Equal(t, "missing", r.Verdict())
			require.Equal(t, "https://site.test/", r.URL, "HTTPS asked after HTTP")
			require.EqualValues(t, 2, s.hits.Load())
		})
	}
}

// TestShownOverHTTPS: a site that shows the number only over HTTPS is
// fetched with the domain as SNI, whatever its certificate.
func TestShownOverHTTPS(t *testing.T) {
	t.Parallel()
	s := startSite(t, page("<p>欢迎</p>"), page("<p>苏ICP备12345678号-1</p>"))
	r := check(t, s, filing)
	require.True(t, r.Shown, "%+v", r)
	require.Equal(t, "https://site.test/", r.URL)
	require.Equal(t, "site.test", s.sni.Load())
}

// TestChineseEncodings: GBK pages are decoded, whether the header, a meta
// tag or nothing says so.
func TestChineseEncodings(t *testing.T) {
	t.Parallel()
	gbk := func(s string) []byte {
		b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		require.NoError(t, err)
		return b
	}
	for _, tc := range []struct{ name, contentType, body string }{
		{"header gbk", "text/html; charset=GBK", `<p>备案号：苏ICP备12345678号</p>`},
		{"meta gb2312", "text/html", `<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>苏ICP备12345678号</body></html>`},
		{"meta charset gb18030", "text/html", `<meta charset="gb18030"><p>苏ＩＣＰ备１２３４５６７８号</p>`},
		{"undeclared", "text/html", `<p>网站备案：苏ICP备12345678号</p>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := gbk(tc.body)
			s := startSite(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.Write(body)
			}, nil)
			r := check(t, s, filing)
			require.True(t, r.Shown, "%+v", r)
			require.Contains(t, r.Evidence, "苏ICP备12345678号")
		})
	}
}

// TestOversizedPage: only MaxBytes of a page are read.
func TestOversizedPage(t *testing.T) {
	t.Parallel()
	filler := strings.Repeat("<p>内容内容内容内容</p>\n", 40_000) // ≈1.2 MB
	late := startSite(t, page(filler+"苏ICP备12345678号"), page(filler+"苏ICP备12345678号"))
	r := check(t, late, filing)
	require.False(t, r.Shown)
	require.True(t, r.Reachable)
	require.Contains(t, r.Error, "page cut at 524288 bytes")

	early := startSite(t, page("苏ICP备12345678号"+filler+filler), nil)
	r = check(t, early, filing)
	require.True(t, r.Shown, "%+v", r)
	require.LessOrEqual(t, len([]rune(r.Evidence)), homepage.SnippetRunes)
}

// TestRedirects: redirects are followed to the domain's www on our
// addresses, never to a host or address off them.
func TestRedirects(t *testing.T) {
	t.Parallel()
	// The number shown at an address outside ours (127.0.0.2) must not count.
	var outsideHits atomic.Int64
	outside := listen(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		outsideHits.Add(1)
		fmt.Fprint(w, "苏ICP备12345678号")
	}), false)

	redirect := func(to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Host == "www.site.test" {
				fmt.Fprint(w, "<p>苏ICP备12345678号</p>")
				return
			}
			http.Redirect(w, r, to, http.StatusFound)
		}
	}
	t.Run("to www on our address", func(t *testing.T) {
		t.Parallel()
		s := startSite(t, redirect("http://www.site.test/"), nil)
		r := check(t, s, filing)
		require.True(t, r.Shown, "%+v", r)
		require.Equal(t, "http://www.site.test/", r.URL)
	})
	for name, to := range map[string]string{
		"to an address outside ours": outside.URL + "/",
		"to another host":            "http://shell.example/",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := startSite(t, redirect(to), redirect(to))
			r := check(t, s, filing)
			require.False(t, r.Shown, "%+v", r)
			require.False(t, r.Reachable)
			require.Equal(t, "unreachable", r.Verdict())
			require.Contains(t, r.Error, "redirect to")
		})
	}
	t.Run("more than three", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int64
		loop := func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, fmt.Sprintf("/p%d", n.Add(1)), http.StatusFound)
		}
		s := startSite(t, loop, nil)
		r := check(t, s, filing)
		require.False(t, r.Reachable)
		require.Contains(t, r.Error, "more than 3 redirects")
	})
	require.Zero(t, outsideHits.Load())
}

// TestOnlyOurAddresses: an address outside ours is never dialled, even
// when the site answers there.
func TestOnlyOurAddresses(t *testing.T) {
	t.Parallel()
	s := startSite(t, page("苏ICP备12345678号"), nil)
	c := s.checker(t)
	r := c.Check(context.Background(), "site.test", []netip.Addr{netip.MustParseAddr("127.0.0.2")}, filing, ours)
	require.False(t, r.Shown)
	require.False(t, r.Reachable)
	require.Contains(t, r.Error, "no address in our ranges")
	require.Zero(t, s.hits.Load())
}

// TestUnreachable: a site that does not answer, or answers an error, is
// recorded as unreachable and not told to add the number.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	t.Run("nothing listening", func(t *testing.T) {
		t.Parallel()
		s := startSite(t, nil, nil)
		c := s.checker(t)
		s.http.Close()
		s.https.Close()
		start := time.Now()
		r := c.Check(context.Background(), "site.test", []netip.Addr{local}, filing, ours)
		require.False(t, r.Reachable)
		require.Equal(t, "unreachable", r.Verdict())
		require.Contains(t, r.Error, "http: ")
		require.Contains(t, r.Error, "https: ")
		require.Less(t, time.Since(start), 2*time.Second)
	})
	t.Run("server error", func(t *testing.T) {
		t.Parallel()
		fail := func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "苏ICP备12345678号 维护中", http.StatusServiceUnavailable)
		}
		s := startSite(t, fail, fail)
		r := check(t, s, filing)
		require.False(t, r.Reachable)
		require.False(t, r.Shown)
		require.Equal(t, 503, r.Status)
		require.Contains(t, r.Error, "status 503")
	})
	t.Run("too slow", func(t *testing.T) {
		t.Parallel()
		stop := make(chan struct{})
		slow := func(http.ResponseWriter, *http.Request) {
			select {
			case <-stop:
			case <-time.After(10 * time.Second):
			}
		}
		s := startSite(t, slow, slow)
		t.Cleanup(func() { close(stop) }) // before the servers close: cleanups run last first
		c := s.checker(t)
		c.Timeout = 200 * time.Millisecond
		start := time.Now()
		r := c.Check(context.Background(), "site.test", []netip.Addr{local}, filing, ours)
		require.False(t, r.Reachable)
		require.Less(t, time.Since(start), 2*time.Second)
	})
}

// TestBadFilingNumber: a number that is not one is reported, nothing fetched.
func TestBadFilingNumber(t *testing.T) {
	t.Parallel()
	s := startSite(t, page("x"), nil)
	r := check(t, s, "12345678")
	require.Contains(t, r.Error, "filing number")
	require.Zero(t, s.hits.Load())
}

// TestIDNDomain: a Chinese domain is fetched by its punycode name.
func TestIDNDomain(t *testing.T) {
	t.Parallel()
	s := startSite(t, page("苏ICP备12345678号"), nil)
	r := s.checker(t).Check(context.Background(), "例子.中国", []netip.Addr{local}, filing, ours)
	require.True(t, r.Shown, "%+v", r)
	require.Equal(t, "xn--fsqu00a.xn--fiqs8s", s.host.Load())
	r = s.checker(t).Check(context.Background(), "a/b", []netip.Addr{local}, filing, ours)
	require.Contains(t, r.Error, "not a host name")
}

// TestCheckAll: every site gets one result.
func TestCheckAll(t *testing.T) {
	t.Parallel()
	s := startSite(t, page("苏ICP备12345678号"), nil)
	c := s.checker(t)
	c.Concurrency = 3
	var sites []homepage.Site
	for i := range 10 {
		number := filing
		if i%2 == 1 {
			number = "苏ICP备87654321号"
		}
		sites = append(sites, homepage.Site{Domain: "site.test", Addrs: []netip.Addr{local}, FilingNumber: number})
	}
	shown := 0
	require.NoError(t, c.CheckAll(context.Background(), sites, ours, func(r homepage.Result) {
		if r.Shown {
			shown++
		}
	}))
	require.Equal(t, 5, shown)
}
