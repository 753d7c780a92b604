package intake

import (
	"net/netip"
	"strings"
	"sync"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	beian "github.com/beian/beian"
)

// NormaliseDomain reduces what a filer typed as a domain to the registrable
// domain that is filed (R-IN-4): it strips a scheme, user info, path, query,
// port and trailing dot; maps the name by UTS-46 (the idna.Lookup profile) to
// lower-case punycode; and keeps the registrable domain, one label below the
// suffix, so "https://WWW.Example.com.cn:8080/x" gives "example.com.cn". The
// suffix is the longer of the fileable suffix that matches (so com.cn or
// 政务.cn count as a suffix) and the ICANN public suffix. The suffix must be on
// the fileable list (IDN suffixes may be given in Unicode; they are compared in
// punycode), else TLD_NOT_FILEABLE; anything not a domain name gives
// INVALID_DOMAIN. It returns the registrable domain in punycode and in Unicode.
// Normalising a result again gives the same result.
func NormaliseDomain(s string, suffixes []string) (registrable string, unicode string, err error) {
	host := strings.TrimSpace(s)
	if host == "" {
		return "", "", domainError(CodeInvalidDomain, "域名为空")
	}
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	if i := strings.IndexAny(host, "/?#\\"); i >= 0 {
		host = host[:i]
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if strings.HasPrefix(host, "[") {
		return "", "", domainError(CodeInvalidDomain, "“%s”是 IP 地址，不是域名；仅用 IP 访问的网站不填域名，只填服务器 IP（R-IN-7）", s)
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && allDigits(host[i+1:]) {
		host = host[:i]
	}
	host = strings.TrimSpace(host)
	if _, err := netip.ParseAddr(host); err == nil {
		return "", "", domainError(CodeInvalidDomain, "“%s”是 IP 地址，不是域名；仅用 IP 访问的网站不填域名，只填服务器 IP（R-IN-7）", s)
	}
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return "", "", domainError(CodeInvalidDomain, "“%s”不是有效的域名", s)
	}
	ascii = strings.TrimSuffix(strings.ToLower(ascii), ".")
	if !ValidDNSName(ascii) {
		return "", "", domainError(CodeInvalidDomain, "“%s”不是有效的域名", s)
	}
	if _, err := netip.ParseAddr(ascii); err == nil {
		return "", "", domainError(CodeInvalidDomain, "“%s”是 IP 地址，不是域名；仅用 IP 访问的网站不填域名，只填服务器 IP（R-IN-7）", s)
	}

	suffix := ""
	for _, f := range suffixes {
		fa := asciiSuffix(f)
		if fa == "" || len(fa) <= len(suffix) {
			continue
		}
		if ascii == fa || strings.HasSuffix(ascii, "."+fa) {
			suffix = fa
		}
	}
	if suffix == "" {
		return "", "", domainError(CodeTLDNotFileable, "域名“%s”的后缀.%s不在工信部可备案的域名后缀名单上", s, lastLabelUnicode(ascii))
	}
	if ps, icann := publicsuffix.PublicSuffix(ascii); icann && len(ps) > len(suffix) && strings.HasSuffix(ps, "."+suffix) {
		suffix = ps
	}
	if ascii == suffix {
		return "", "", domainError(CodeInvalidDomain, "“%s”只是域名后缀，不是可注册的域名", s)
	}
	rest := strings.TrimSuffix(ascii, "."+suffix)
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		rest = rest[i+1:]
	}
	registrable = rest + "." + suffix
	unicode, err = idna.Lookup.ToUnicode(registrable)
	if err != nil {
		return "", "", domainError(CodeInvalidDomain, "“%s”不是有效的域名", s)
	}
	return registrable, unicode, nil
}

// asciiSuffix converts a fileable suffix to lower-case punycode without dots
// around it; "" when it is not a valid name.
// asciiSuffixes caches asciiSuffix: the suffix list is the same on every
// call, and converting it costs more than the domain itself (an importer
// normalises thousands of domains).
var asciiSuffixes sync.Map // string → string

func asciiSuffix(f string) string {
	if v, ok := asciiSuffixes.Load(f); ok {
		return v.(string)
	}
	a := asciiSuffixUncached(f)
	asciiSuffixes.Store(f, a)
	return a
}

func asciiSuffixUncached(f string) string {
	f = strings.Trim(strings.TrimSpace(f), ".")
	if f == "" {
		return ""
	}
	a, err := idna.Lookup.ToASCII(f)
	if err != nil {
		return ""
	}
	a = strings.ToLower(a)
	if !ValidDNSName(a) {
		return ""
	}
	return a
}

// ValidDNSName checks lengths and characters of an ASCII name: labels of
// 1–63 letters, digits and inner hyphens, 253 characters in all.
func ValidDNSName(a string) bool {
	if len(a) == 0 || len(a) > 253 {
		return false
	}
	labels := strings.Split(a, ".")
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func lastLabelUnicode(a string) string {
	l := a
	if i := strings.LastIndexByte(a, '.'); i >= 0 {
		l = a[i+1:]
	}
	if u, err := idna.Lookup.ToUnicode(l); err == nil {
		return u
	}
	return l
}

func domainError(code, format string, args ...any) *beian.Error {
	return beian.Errorf(code, format, args...)
}
