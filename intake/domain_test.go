package intake

import (
	"testing"

	"github.com/stretchr/testify/require"

	beian "github.com/beian/beian"
)

// R-IN-4: a domain is filed as its registrable domain, IDN in punycode, with
// a suffix on the fileable list.
func TestNormaliseDomain(t *testing.T) {
	t.Parallel()
	suffixes := DefaultRules().FileableSuffixes
	tests := []struct {
		name, in, want, wantUnicode, code string
	}{
		{"R-IN-4 plain .cn", "example.cn", "example.cn", "example.cn", ""},
		{"R-IN-4 sub-domain of com.cn reduced", "www.example.com.cn", "example.com.cn", "example.com.cn", ""},
		{"R-IN-4 deep sub-domain reduced", "a.b.c.example.com", "example.com", "example.com", ""},
		{"R-IN-4 upper case, scheme, port, path, query", "HTTPS://WWW.Example.COM.cn:8080/a/b?c=d#e", "example.com.cn", "example.com.cn", ""},
		{"R-IN-4 user info stripped", "ftp://user:pw@files.example.net", "example.net", "example.net", ""},
		{"R-IN-4 trailing dot", "www.example.com.", "example.com", "example.com", ""},
		{"R-IN-4 spaces", "  example.top  ", "example.top", "example.top", ""},
		{"R-IN-4 IDN under .中国", "例子.中国", "xn--fsqu00a.xn--fiqs8s", "例子.中国", ""},
		{"R-IN-4 IDN sub-domain under .中国", "www.例子.中国", "xn--fsqu00a.xn--fiqs8s", "例子.中国", ""},
		{"R-IN-4 IDN under .com", "中文.com", "xn--fiq228c.com", "中文.com", ""},
		{"R-IN-4 IDN given in punycode", "XN--FIQ228C.COM", "xn--fiq228c.com", "中文.com", ""},
		{"R-IN-4 full-width dot mapped by UTS-46", "例子。中国", "xn--fsqu00a.xn--fiqs8s", "例子.中国", ""},
		{"R-IN-4 multi-label IDN suffix 政务.cn", "www.税务.政务.cn", "xn--zfr703g.xn--zfr164b.cn", "税务.政务.cn", ""},
		{"R-IN-4 province suffix bj.cn", "www.example.bj.cn", "example.bj.cn", "example.bj.cn", ""},
		{"R-IN-4 gov.cn", "www.miit.gov.cn", "miit.gov.cn", "miit.gov.cn", ""},
		{"R-IN-4 chinanet.cc", "www.chinanet.cc", "chinanet.cc", "chinanet.cc", ""},
		{"R-IN-4 private PSL suffix ignored", "myapp.github.io", "", "", CodeTLDNotFileable},
		{"R-IN-4 .org refused", "example.org", "", "", CodeTLDNotFileable},
		{"R-IN-4 .dev refused", "example.dev", "", "", CodeTLDNotFileable},
		{"R-IN-4 .hk refused", "example.com.hk", "", "", CodeTLDNotFileable},
		{"R-IN-4 .jp refused", "example.jp", "", "", CodeTLDNotFileable},
		{"R-IN-4 .me refused", "example.me", "", "", CodeTLDNotFileable},
		{"R-IN-4 .io refused", "example.io", "", "", CodeTLDNotFileable},
		{"R-IN-4 unknown TLD", "example.notatld", "", "", CodeTLDNotFileable},
		{"R-IN-4 bare suffix com.cn", "com.cn", "", "", CodeInvalidDomain},
		{"R-IN-4 bare TLD", "com", "", "", CodeInvalidDomain},
		{"R-IN-4 single label", "localhost", "", "", CodeTLDNotFileable},
		{"R-IN-4 empty", "", "", "", CodeInvalidDomain},
		{"R-IN-4 IPv4 is no domain", "198.51.100.7", "", "", CodeInvalidDomain},
		{"R-IN-4 IPv6 is no domain", "[2001:db8:1::1]:443", "", "", CodeInvalidDomain},
		{"R-IN-4 underscore", "my_site.com", "", "", CodeInvalidDomain},
		{"R-IN-4 leading hyphen", "-example.com", "", "", CodeInvalidDomain},
		{"R-IN-4 empty label", "www..example.com", "", "", CodeInvalidDomain},
		{"R-IN-4 wildcard", "*.example.com", "", "", CodeInvalidDomain},
		{"R-IN-4 space inside", "exa mple.com", "", "", CodeInvalidDomain},
		{"R-IN-4 label over 63", "a123456789012345678901234567890123456789012345678901234567890123.com", "", "", CodeInvalidDomain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, uni, err := NormaliseDomain(tt.in, suffixes)
			if tt.code != "" {
				require.Error(t, err)
				require.Equal(t, tt.code, beian.ErrorCode(err), "%v", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.wantUnicode, uni)
			again, uni2, err := NormaliseDomain(got, suffixes)
			require.NoError(t, err)
			require.Equal(t, got, again, "normalising twice changes nothing")
			require.Equal(t, uni, uni2)
			fromUnicode, _, err := NormaliseDomain(uni, suffixes)
			require.NoError(t, err)
			require.Equal(t, got, fromUnicode)
		})
	}
}

// R-IN-4: the suffix list is data; an admin's list decides.
func TestNormaliseDomainCustomSuffixes(t *testing.T) {
	t.Parallel()
	_, _, err := NormaliseDomain("example.org", []string{"cn", "org"})
	require.NoError(t, err)
	_, _, err = NormaliseDomain("example.com", []string{"cn", "org"})
	require.Equal(t, CodeTLDNotFileable, beian.ErrorCode(err))
	_, _, err = NormaliseDomain("example.com", nil)
	require.Equal(t, CodeTLDNotFileable, beian.ErrorCode(err))
	// Without com.cn on the list the public suffix list still knows it.
	got, _, err := NormaliseDomain("www.example.com.cn", []string{"cn"})
	require.NoError(t, err)
	require.Equal(t, "example.com.cn", got)
}
