package mailparse

import (
	"net/netip"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
	"golang.org/x/text/width"
)

// replyPrefix matches one reply or forward prefix as mail clients write
// them (after full-width folding, so "回复：" arrives as "回复:"): Re, Fw,
// Fwd, the German, Nordic and French ones Outlook uses, Chinese 回复, 答复,
// 转发 in simplified and traditional forms, with an optional counter as in
// "Re[2]:" or "回复(2):".
var replyPrefix = regexp.MustCompile(`(?i)^(re|fw|fwd|aw|wg|sv|vs|tr|回复|回覆|答复|答覆|转发|轉發|转寄|轉寄)\s*(\[\d+\]|\(\d+\))?\s*:\s*`)

// leadingTag matches one bracketed tag at the start of a subject: 【备案】,
// [备案], 〔…〕, 〖…〗.
var leadingTag = regexp.MustCompile(`^(【[^】]*】|\[[^\]]*\]|〔[^〕]*〕|〖[^〗]*〗)\s*`)

// foldSubject folds full-width forms to half-width (＋ → +, ：→ :, Ｗ → W,
// １ → 1, the ideographic space → space) and every other space to ' '.
func foldSubject(s string) string {
	s = width.Fold.String(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r == '﹢':
			return '+'
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

// stripSubjectPrefixes removes reply and forward prefixes and leading
// bracketed tags until none is left: "Re: 回复：【备案】x" gives "x".
func stripSubjectPrefixes(s string) string {
	s = strings.TrimSpace(s)
	for {
		t := s
		if loc := replyPrefix.FindStringIndex(t); loc != nil {
			t = t[loc[1]:]
		} else if loc := leadingTag.FindStringIndex(t); loc != nil {
			t = t[loc[1]:]
		}
		t = strings.TrimSpace(t)
		if t == s {
			return s
		}
		s = t
	}
}

// NormaliseSponsor folds a sponsor name (主办者名称) the way SubjectKey does:
// full-width to half-width ("（集团）" becomes "(集团)", "ＡＢＣ" becomes
// "ABC"), runs of spaces to one, trimmed. Compare a SubjectKey sponsor with
// a filing's sponsor only after passing the filing's through it too.
func NormaliseSponsor(s string) string {
	return strings.Join(strings.Fields(foldSubject(s)), " ")
}

// SubjectKey reads the subject that R-IN-3 asks filers to use,
// `<sponsor full name>+<domain>`, from a decoded Subject such as
// "Re: 回复：张三 ＋ WWW.Example.CN" or "转发: 【备案】苏州某某科技有限公司+例子.中国".
//
// It folds full-width forms to half-width, strips reply and forward
// prefixes (Re, Fw, Fwd, 回复, 答复, 转发 …, any number, with half- or
// full-width colons) and leading bracketed tags (【备案】, [备案]), and
// splits at the one '+': more or fewer pluses, an empty sponsor or a domain
// that is not a domain name give ok false. The sponsor is as NormaliseSponsor
// gives it. The domain is lower-case punycode (例子.中国 gives
// xn--fsqu00a.xn--fiqs8s) without scheme, path, port, "www." or trailing dot;
// it is not reduced to the registrable domain (intake.NormaliseDomain does
// that against the fileable suffixes). A remark after the domain, set off by
// a space or a bracket ("张三+example.cn（补充材料）"), is ignored.
func SubjectKey(subject string) (sponsor, domain string, ok bool) {
	s := stripSubjectPrefixes(foldSubject(subject))
	if strings.Count(s, "+") != 1 {
		return "", "", false
	}
	left, right, _ := strings.Cut(s, "+")
	sponsor = NormaliseSponsor(left)
	right = strings.TrimSpace(right)
	if i := strings.IndexAny(right, " ([【〔〖<《"); i >= 0 {
		right = right[:i]
	}
	domain, ok = normaliseSubjectDomain(right)
	if sponsor == "" || !ok {
		return "", "", false
	}
	return sponsor, domain, true
}

// normaliseSubjectDomain reduces the domain part of a subject to lower-case
// punycode without scheme, path, port, "www." or trailing dot, and checks
// that it is a host name of two or more labels (not an IP address).
func normaliseSubjectDomain(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#\\"); i >= 0 {
		s = s[:i]
	}
	if strings.Contains(s, "@") {
		return "", false // a mail address, not a domain
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && i+1 < len(s) && allDigits(s[i+1:]) {
		s = s[:i]
	}
	s = strings.TrimRight(s, ".。")
	if s == "" {
		return "", false
	}
	a, err := idna.Lookup.ToASCII(s)
	if err != nil {
		return "", false
	}
	a = strings.TrimRight(strings.ToLower(a), ".")
	for {
		rest, ok := strings.CutPrefix(a, "www.")
		if !ok || !strings.Contains(rest, ".") {
			break
		}
		a = rest
	}
	if !hostName(a) {
		return "", false
	}
	if _, err := netip.ParseAddr(a); err == nil {
		return "", false
	}
	return a, true
}

// hostName checks an ASCII name: two or more labels of 1–63 letters, digits
// and inner hyphens, 253 characters in all, a top-level label not all
// digits.
func hostName(a string) bool {
	if len(a) == 0 || len(a) > 253 {
		return false
	}
	labels := strings.Split(a, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return !allDigits(labels[len(labels)-1])
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// caseNumber matches a case number (受理编号) as the desk issues it:
// province code, year, six-digit sequence, e.g. JS-2026-000123, in either
// case and with any dash (after full-width folding).
var caseNumber = regexp.MustCompile(`(?i)[a-z]{2}[-‐‑‒–—_][0-9]{4}[-‐‑‒–—_][0-9]{6}`)

// CaseNumbers finds the case numbers such as JS-2026-000123 or
// AH-2026-000001 in a subject or body, full-width forms included
// ("ＪＳ－２０２６－０００１２３"), and returns each once, in the order of
// first appearance, in canonical form (upper case, ASCII hyphens); nil when
// there is none. A match inside a longer run of letters or digits
// ("XJS-2026-000123", "JS-2026-0001234") is not a case number.
func CaseNumbers(text string) []string {
	s := width.Fold.String(text)
	var out []string
	seen := map[string]bool{}
	for _, loc := range caseNumber.FindAllStringIndex(s, -1) {
		if loc[0] > 0 && isASCIIAlnum(s[loc[0]-1]) || loc[1] < len(s) && isASCIIAlnum(s[loc[1]]) {
			continue
		}
		m := s[loc[0]:loc[1]]
		no := strings.ToUpper(m[:2]) + "-" + firstDigits(m[2:], 4) + "-" + lastDigits(m, 6)
		if !seen[no] {
			seen[no] = true
			out = append(out, no)
		}
	}
	return out
}

func isASCIIAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// firstDigits returns the first n ASCII digits of s.
func firstDigits(s string, n int) string {
	b := make([]byte, 0, n)
	for i := 0; i < len(s) && len(b) < n; i++ {
		if '0' <= s[i] && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// lastDigits returns the last n bytes of s, which the pattern makes digits.
func lastDigits(s string, n int) string { return s[len(s)-n:] }
