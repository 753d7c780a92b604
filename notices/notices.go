// Package notices holds every notice the filing desk sends (备案通知), as
// Chinese plain-text templates embedded in the binary. It renders a
// beian.Case into a Message; it does not send anything and imports no
// infrastructure. Recipients are chosen by the caller.
//
// A notice never contains an ID or certificate number (证件号码) nor the filing
// password (备案密码): the templates do not print them, and as a second line of
// defence every rendered notice is scrubbed of the case's own numbers in case
// staff typed one into a free-text reason.
package notices

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/beian/beian"
)

// Message is one rendered notice: a one-line subject and a plain-text body.
type Message struct {
	Subject string
	Body    string
}

// ShellSiteWarning is the fixed text of R-PA-3 that the weekly shell-site
// sweep (空壳网站检查) sends, verbatim, to a filer whose domain no longer
// resolves to our data centre.
const ShellSiteWarning = "告知工信部要求对非我公司接入的网站取消接入，会成为空壳网站，将会被工信部注销备案号"

// DNSReminder is the reminder of the manual's step three (R-RV-2), quoted as
// written: a filed domain must resolve to our data centre's IP.
const DNSReminder = "备案信息务必准确，域名解析必须是我公司机房的IP，否则工信部会随时取消备案"

// RectifySourceSweep is the value of beian.Case.RectifySource when the
// rectification was ordered by the shell-site sweep (R-PA-3).
const RectifySourceSweep = "sweep"

// TimeLayout is how every time in a notice is written, in Beijing time.
const TimeLayout = "2006-01-02 15:04"

// shanghai is Asia/Shanghai. China has kept UTC+8 without daylight saving
// since 1991, so a fixed zone is exact and needs no tzdata on the host.
var shanghai = time.FixedZone("CST", 8*60*60)

//go:embed templates/*.tmpl
var templateFS embed.FS

// notices maps a notice name to its parsed template set; each set defines
// "subject" and "body" and shares the partials of templates/_common.tmpl.
var notices = mustParse(
	"receipt", "correction_needed", "submitted", "approved", "returned",
	"overdue_alert", "purged", "rectification_required", "access_cancelled",
	"access_restored", "withdrawn", "cancelled",
)

func mustParse(names ...string) map[string]*template.Template {
	funcs := template.FuncMap{"inc": func(i int) int { return i + 1 }}
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/_common.tmpl"))
	sets := make(map[string]*template.Template, len(names))
	for _, name := range names {
		t := template.Must(base.Clone())
		sets[name] = template.Must(t.ParseFS(templateFS, "templates/"+name+".tmpl"))
	}
	return sets
}

// view is what the templates see: only what a notice may show. It holds no
// ID number, certificate number or filing password.
type view struct {
	CaseNo         string
	TypeTitle      string
	Sponsor        string
	SiteName       string
	Domains        []string
	ServerIPs      []string
	Site           string // the domains, or the server IPs of a site without a domain
	AccessProvider string
	Mailbox        string
	EmailSubject   string
	BureauProvince string // as stored: 广东
	Bureau         string // its full name: 广东省通信管理局
	Province       string
	Checklist      []beian.ChecklistItem
	Received       int
	PurgeAt        string
	BureauDueAt    string
	Provisional    bool
	BureauReceived bool
	RectifyBy      string
	FilingNumber   string
	Reasons        []string
	Reason         string
	Sweep          bool

	ShellSiteWarning string
	DNSReminder      string
}

func newView(c *beian.Case) view {
	v := view{
		CaseNo:           c.CaseNo,
		TypeTitle:        c.Type.Title(),
		Sponsor:          c.Sponsor.Name,
		SiteName:         c.Website.Name,
		Domains:          c.Website.Domains,
		ServerIPs:        c.Website.ServerIPs,
		AccessProvider:   c.Routing.AccessProvider,
		Mailbox:          c.Routing.Mailbox,
		EmailSubject:     c.EmailSubject,
		BureauProvince:   c.Routing.BureauProvince,
		Bureau:           bureauName(c.Routing.BureauProvince),
		Province:         c.Routing.Province,
		Checklist:        c.Checklist,
		PurgeAt:          formatTime(c.Deadlines.PurgeAt),
		BureauDueAt:      formatTime(c.Deadlines.BureauDueAt),
		Provisional:      c.BureauDueProvisional,
		BureauReceived:   c.BureauReceived,
		RectifyBy:        formatTime(c.Deadlines.RectifyBy),
		FilingNumber:     c.FilingNumber,
		Sweep:            c.RectifySource == RectifySourceSweep,
		ShellSiteWarning: ShellSiteWarning,
		DNSReminder:      DNSReminder,
	}
	v.Site = siteLabel(c.Website)
	for _, it := range c.Checklist {
		if it.Received {
			v.Received++
		}
	}
	return v
}

// bureauName is the full name of a province's communications administration
// (省通信管理局) from the short province name staff store ("广东", "北京").
func bureauName(province string) string {
	p := strings.TrimSpace(province)
	switch {
	case p == "":
		return "网站主办者所在地的通信管理局"
	case strings.HasSuffix(p, "省"), strings.HasSuffix(p, "市"), strings.HasSuffix(p, "自治区"):
		return p + "通信管理局"
	}
	switch p {
	case "北京", "天津", "上海", "重庆":
		return p + "市通信管理局"
	case "内蒙古":
		return "内蒙古自治区通信管理局"
	case "广西":
		return "广西壮族自治区通信管理局"
	case "西藏":
		return "西藏自治区通信管理局"
	case "宁夏":
		return "宁夏回族自治区通信管理局"
	case "新疆":
		return "新疆维吾尔自治区通信管理局"
	}
	return p + "省通信管理局"
}

// siteLabel names the site as given: its domains, or for a site reached by IP
// only (R-IN-7) its server IPs.
func siteLabel(w beian.Website) string {
	if len(w.Domains) > 0 {
		return strings.Join(w.Domains, "、")
	}
	if len(w.ServerIPs) > 0 {
		return "IP " + strings.Join(w.ServerIPs, "、")
	}
	return "（未填写域名或IP）"
}

func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(shanghai).Format(TimeLayout)
}

// Receipt is the intake notice to the filer (受理通知): the case number, the
// materials checklist, where and under which subject to email the materials
// (R-IN-3), the reviewing bureau (R-ENT-3), the purge deadline (R-RV-5) and
// the manual's reminder that the domain must resolve to our data centre.
func Receipt(c *beian.Case) Message {
	return render("receipt", c, newView(c))
}

// CorrectionNeeded tells the filer that the materials have errors and why
// (R-RV-4: 资料有误). When reasons is empty the case's ReviewReasons are used.
func CorrectionNeeded(c *beian.Case, reasons []string) Message {
	v := newView(c)
	v.Reasons = nonEmpty(reasons)
	if len(v.Reasons) == 0 {
		v.Reasons = nonEmpty(c.ReviewReasons)
	}
	return render("correction_needed", c, v)
}

// Submitted tells the filer that the case passed our review and went to the
// bureau of the sponsor's province (R-RV-7), and by when a decision is due
// (R-BR-1), noting a provisional due date.
func Submitted(c *beian.Case) Message {
	return render("submitted", c, newView(c))
}

// Approved tells the filer the filing number (R-BR-2), that the bureau sends
// the filing password separately and it must be kept secret, that the number
// must be shown on the home page (R-PA-5), and that access is now opened
// (R-AC-0). It never contains the password.
func Approved(c *beian.Case) Message {
	return render("approved", c, newView(c))
}

// Returned tells the filer the bureau returned the case as 「不符合要求」 with
// the reason (R-BR-3); once corrected it is resubmitted. An empty reason falls
// back to the case's ReturnReason.
func Returned(c *beian.Case, reason string) Message {
	v := newView(c)
	v.Reason = strings.TrimSpace(reason)
	if v.Reason == "" {
		v.Reason = strings.TrimSpace(c.ReturnReason)
	}
	return render("returned", c, v)
}

// OverdueAlert is for staff (超期提醒, R-BR-4): the bureau has not decided by
// the due time; follow up with the bureau.
func OverdueAlert(c *beian.Case) Message {
	return render("overdue_alert", c, newView(c))
}

// Purged tells the filer the entry was deleted because the materials never
// arrived within one month (R-RV-5).
func Purged(c *beian.Case) Message {
	return render("purged", c, newView(c))
}

// RectificationRequired orders rectification (整改) within 24 hours, by
// c.Deadlines.RectifyBy, for c.RectifyReason. When the shell-site sweep
// ordered it (R-PA-3) it carries ShellSiteWarning verbatim and suggests
// staying with us; otherwise it is the R-VC-4 order after a failed
// verification.
func RectificationRequired(c *beian.Case) Message {
	v := newView(c)
	v.Reason = strings.TrimSpace(c.RectifyReason)
	return render("rectification_required", c, v)
}

// AccessCancelled tells the filer that our network access to the site was
// cancelled (取消接入, R-PA-3, R-PA-2, R-VC-4) and why.
func AccessCancelled(c *beian.Case, reason string) Message {
	v := newView(c)
	v.Reason = strings.TrimSpace(reason)
	return render("access_cancelled", c, v)
}

// AccessRestored tells the filer that network access was restored (恢复接入,
// R-AC-1, R-VC-4).
func AccessRestored(c *beian.Case) Message {
	return render("access_restored", c, newView(c))
}

// Withdrawn tells the filer that the application was withdrawn (已撤回).
func Withdrawn(c *beian.Case) Message {
	return render("withdrawn", c, newView(c))
}

// Cancelled tells the filer that the filing number was cancelled (备案号已注销).
func Cancelled(c *beian.Case) Message {
	return render("cancelled", c, newView(c))
}

func render(name string, c *beian.Case, v view) Message {
	set := notices[name]
	var subject, body bytes.Buffer
	// The templates are parsed at start-up and the view holds only strings,
	// slices and bools, so execution cannot fail short of a template bug,
	// which every notice's test would catch.
	if err := set.ExecuteTemplate(&subject, "subject", v); err != nil {
		panic(fmt.Sprintf("notices: render %s subject: %v", name, err))
	}
	if err := set.ExecuteTemplate(&body, "body", v); err != nil {
		panic(fmt.Sprintf("notices: render %s body: %v", name, err))
	}
	s := scrub(c, strings.Join(strings.Fields(subject.String()), " "))
	return Message{Subject: s, Body: scrub(c, tidy(body.String()))}
}

// tidy trims trailing spaces on each line, collapses runs of blank lines the
// templates' conditionals leave behind, and ends the body with one newline.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := true
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}

// scrub masks the case's own ID and certificate numbers and the sealed filing
// password wherever they appear, e.g. pasted into a reason by staff.
func scrub(c *beian.Case, s string) string {
	secrets := []string{c.Sponsor.CertNumber, c.Principal.IDNumber, c.FilingPasswordSealed}
	if c.Sponsor.LegalRep != nil {
		secrets = append(secrets, c.Sponsor.LegalRep.IDNumber)
	}
	for _, sec := range secrets {
		sec = strings.TrimSpace(sec)
		if utf8.RuneCountInString(sec) < 6 || !strings.Contains(s, sec) {
			continue
		}
		s = strings.ReplaceAll(s, sec, mask(sec))
	}
	return s
}

// mask keeps the first and last four characters of a long number, as the API
// does (3201********1234), and hides everything of a short one.
func mask(s string) string {
	r := []rune(s)
	if len(r) < 12 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
