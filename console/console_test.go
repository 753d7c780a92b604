package console

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// TestVendoredAssetsMatchChecksums: every vendored front-end file embedded
// in the binary is the one scripts/vendor-assets.sh fetched from the npm
// registry (its sha256 is in static/vendor/CHECKSUMS), and every embedded
// vendor file is listed there.
func TestVendoredAssetsMatchChecksums(t *testing.T) {
	sums, err := fs.ReadFile(staticFiles, "static/vendor/CHECKSUMS")
	if err != nil {
		t.Fatalf("static/vendor/CHECKSUMS: %v", err)
	}
	listed := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(string(sums)))
	for sc.Scan() {
		want, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("CHECKSUMS line %q is not sha256sum format", sc.Text())
		}
		name = strings.TrimPrefix(name, "./")
		b, err := fs.ReadFile(staticFiles, "static/vendor/"+name)
		if err != nil {
			t.Fatalf("listed file %s is not embedded: %v", name, err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: sha256 %s, CHECKSUMS says %s", name, got, want)
		}
		listed[name] = true
	}
	if !listed["echarts/echarts.min.js"] {
		t.Fatal("echarts/echarts.min.js is not in CHECKSUMS")
	}
	err = fs.WalkDir(staticFiles, "static/vendor", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := strings.TrimPrefix(p, "static/vendor/")
		if name != "CHECKSUMS" && name != "README.md" && !listed[name] {
			t.Errorf("vendored file %s has no checksum", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoCDN: no template or script loads anything from another origin.
func TestNoCDN(t *testing.T) {
	for _, root := range []fs.FS{templateFiles} {
		err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, _ := fs.ReadFile(root, p)
			for _, bad := range []string{"src=\"http", "href=\"http", "src=\"//", "href=\"//", "<script>", "style=\""} {
				if strings.Contains(string(b), bad) {
					t.Errorf("%s contains %q: nothing from another origin, no inline script or style (CSP)", p, bad)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestSafeNext: the sign-in page redirects only inside the console.
func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/console/filings?status=BUREAU_REVIEW": "/console/filings?status=BUREAU_REVIEW",
		"/console/":                             "/console/",
		"https://evil.example/console/":         "",
		"//evil.example/console/":               "",
		"/console/\\evil":                       "",
		"/api/v1/filings":                       "",
		"":                                      "",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFormField: a violation of a list item is shown beside the list's box.
func TestFormField(t *testing.T) {
	for in, want := range map[string]string{
		"website.domains[2]":                   "website.domains",
		"website.pre_approvals[0].document_no": "website.pre_approvals.document_no",
		"sponsor.province":                     "sponsor.province",
	} {
		if got := formField(in); got != want {
			t.Errorf("formField(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestClientAddr: failed sign-ins count against the browser's address, read
// from X-Forwarded-For only when the peer is a trusted proxy, and never
// from a hop a browser could have forged in front of the proxy's own.
func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		remote, xff, want string
	}{
		{"198.51.100.9:5000", "", "198.51.100.9"},
		{"198.51.100.9:5000", "1.2.3.4", "198.51.100.9"},          // not a proxy: its header is ignored
		{"10.0.0.2:5000", "203.0.113.7", "203.0.113.7"},           // through our proxy
		{"10.0.0.2:5000", "6.6.6.6, 203.0.113.7", "203.0.113.7"},  // a forged first hop is not believed
		{"10.0.0.2:5000", "203.0.113.7, 10.0.0.3", "203.0.113.7"}, // two proxies of ours
		{"10.0.0.2:5000", "garbage", "10.0.0.2"},
		{"10.0.0.2:5000", "", "10.0.0.2"},
		{"10.0.0.2:5000", "203.0.113.7:41000", "203.0.113.7"},    // a balancer that writes the port
		{"10.0.0.2:5000", "::ffff:203.0.113.7", "203.0.113.7"},   // one browser, one address
		{"[::ffff:10.0.0.2]:5000", "2001:db8::9", "2001:db8::9"}, // a mapped peer is our proxy too
		{"[2001:db8::1]:443", "", "2001:db8::1"},
	} {
		r := httptest.NewRequest("POST", "/console/login", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientAddr(r, trusted); got != tc.want {
			t.Errorf("clientAddr(%s, XFF %q) = %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
}
