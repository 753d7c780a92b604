// Package verify compares what the person on a verification call
// (真实性核验电话) answered with what the filing says (R-VC-1, R-VC-2): the
// organisation or person's name, the principal, the last four digits of the
// contact phone, the email domain, and the province and city of the
// address. People say things many ways (全角 or 半角, with or without 省 and
// 市, the email domain in capitals, the whole address), so each answer is
// normalised before it is compared. Pure: no storage, no clock.
package verify

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
)

// Question keys, in the order of the R-VC-2 script; they are the field
// names of the answers in the API.
const (
	SponsorName = "sponsor_name"
	Principal   = "principal"
	PhoneLast4  = "phone_last4"
	EmailDomain = "email_domain"
	Province    = "province"
	City        = "city"
)

// Questions are the five questions of R-VC-2 (province and city are one
// question with two answers), in the script's order.
var Questions = []string{SponsorName, Principal, PhoneLast4, EmailDomain, Province, City}

// Title is the Chinese name of a question's answer.
func Title(q string) string {
	switch q {
	case SponsorName:
		return "主办者名称"
	case Principal:
		return "网站负责人"
	case PhoneLast4:
		return "电话后四位"
	case EmailDomain:
		return "邮箱域名"
	case Province:
		return "省份"
	case City:
		return "城市"
	}
	return q
}

// Answers are what the person answered, by question key. Dialled says which
// number was called ("mobile" or "landline"): R-VC-2 asks for the landline's
// last four digits when the mobile was dialled, and the mobile's otherwise.
type Answers struct {
	Values  map[string]string
	Dialled string
}

// Check is one compared answer.
type Check struct {
	Question string
	Answer   string
	Expected string // what the record says, as staff may be shown it
	Match    bool
}

// Result is a whole call's comparison.
type Result struct {
	Checks []Check
}

// Match reports whether every answer matches the record.
func (r Result) Match() bool {
	for _, c := range r.Checks {
		if !c.Match {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Mismatches are the question keys whose answers do not match, in order.
func (r Result) Mismatches() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.Match {
			out = append(out, c.Question)
		}
	}
	return out
}

// Compare compares the answers with the case (R-VC-1). An answer left
// empty does not match.
func Compare(c *beian.Case, a Answers) Result {
	v := func(q string) string { return strings.TrimSpace(a.Values[q]) }
	var r Result
	add := func(q, expected string, match bool) {
		r.Checks = append(r.Checks, Check{Question: q, Answer: v(q), Expected: expected, Match: v(q) != "" && match})
	}
	add(SponsorName, c.Sponsor.Name, sameName(v(SponsorName), c.Sponsor.Name))
	add(Principal, c.Principal.Name, sameName(v(Principal), c.Principal.Name))
	phones := expectedPhones(c, a.Dialled)
	got := digits(v(PhoneLast4))
	ok := false
	for _, p := range phones {
		if len(got) >= 4 && len(p) >= 4 && strings.HasSuffix(p, got[len(got)-4:]) {
			ok = true
		}
	}
	add(PhoneLast4, strings.Join(last4s(phones), " 或 "), ok)
	add(EmailDomain, emailDomain(c.Principal.Email), sameDomain(v(EmailDomain), emailDomain(c.Principal.Email)))
	add(Province, c.Sponsor.Province, sameProvince(v(Province), c.Sponsor.Province))
	add(City, c.Sponsor.City, samePlace(v(City), c.Sponsor.City))
	return r
}

// expectedPhones are the numbers whose last four digits answer R-VC-2's
// third question: the landline's when the mobile was dialled (and there is
// one), the mobile's when the landline was; either when not said.
func expectedPhones(c *beian.Case, dialled string) []string {
	mobile, landline := digits(c.Principal.Mobile), digits(c.Principal.Landline)
	var out []string
	switch {
	case dialled == "mobile" && landline != "":
		out = []string{landline}
	case dialled == "landline" && mobile != "":
		out = []string{mobile}
	default:
		for _, p := range []string{mobile, landline} {
			if p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func last4s(ps []string) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if len(p) >= 4 {
			out = append(out, p[len(p)-4:])
		}
	}
	return out
}

// fold is s as compared: NFKC (全角 to 半角, compatibility forms), lower
// case, without spaces and punctuation.
func fold(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKC.String(s) {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func sameName(answer, record string) bool { return fold(answer) != "" && fold(answer) == fold(record) }

// emailDomain is what follows the @ of an address, lower case.
func emailDomain(email string) string {
	if i := strings.LastIndex(email, "@"); i >= 0 {
		return strings.ToLower(strings.TrimSpace(email[i+1:]))
	}
	return ""
}

// sameDomain compares an answered email domain ("QQ.com", "@qq.com", the
// whole address, "qq点com") with the record's.
func sameDomain(answer, record string) bool {
	a := norm.NFKC.String(answer)
	if i := strings.LastIndex(a, "@"); i >= 0 {
		a = a[i+1:]
	}
	a = strings.ReplaceAll(a, "点", ".")
	a = strings.Trim(strings.ToLower(strings.TrimSpace(a)), ".")
	return a != "" && a == record
}

// sameProvince compares provinces in any usual form (江苏 / 江苏省, 广西 /
// 广西壮族自治区, 北京 / 北京市).
func sameProvince(answer, record string) bool {
	a, okA := intake.CanonicalProvince(norm.NFKC.String(answer))
	r, okR := intake.CanonicalProvince(record)
	if okA && okR {
		return a == r
	}
	return samePlace(answer, record)
}

// placeSuffixes are stripped from a city's name before comparing.
var placeSuffixes = []string{"特别行政区", "自治州", "地区", "市", "盟", "县", "区"}

// samePlace compares place names with or without their suffix (苏州 / 苏州市).
func samePlace(answer, record string) bool {
	a, r := fold(answer), fold(record)
	if a == "" || r == "" {
		return false
	}
	return a == r || strip(a) == r || a == strip(r) || strip(a) == strip(r)
}

func strip(s string) string {
	for _, suf := range placeSuffixes {
		if t := strings.TrimSuffix(s, suf); t != s && t != "" {
			return t
		}
	}
	return s
}
