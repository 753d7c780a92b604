package console

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
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
