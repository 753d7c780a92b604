package console

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/intake"
)

// adminRoutes registers the pages of the desk's reference data: blacklist,
// calendar, data centres, intake rules, customers and staff accounts. Every
// page is a form over the desk's own methods (desk/reference.go,
// desk/rules.go, desk/auth.go), which check the rules and the roles again.
func (c *Console) adminRoutes() {
	m := c.mux
	m.Handle("GET "+Base+"/blacklist", c.page(deskStaff, c.blacklist))
	m.Handle("POST "+Base+"/blacklist", c.page(supervisor, c.addBlacklist))
	m.Handle("POST "+Base+"/blacklist/{id}/delete", c.page(supervisor, c.deleteBlacklist))

	m.Handle("GET "+Base+"/calendar", c.page(deskStaff, c.calendarPage))
	m.Handle("POST "+Base+"/calendar/days", c.page(adminOnly, c.putCalendarDay))
	m.Handle("POST "+Base+"/calendar/years", c.page(adminOnly, c.publishYear))

	m.Handle("GET "+Base+"/datacenters", c.page(adminOnly, c.dataCentres))
	m.Handle("POST "+Base+"/datacenters", c.page(adminOnly, c.saveDataCentres))

	m.Handle("GET "+Base+"/rules", c.page(supervisor, c.rulesPage))
	m.Handle("POST "+Base+"/rules", c.page(adminOnly, c.saveRules))
	m.Handle("POST "+Base+"/rules/reset", c.page(adminOnly, c.resetRules))

	m.Handle("GET "+Base+"/customers", c.page(adminOnly, c.customers))
	m.Handle("POST "+Base+"/customers/import", c.page(adminOnly, c.importCustomers))

	m.Handle("GET "+Base+"/staff", c.page(adminOnly, c.staffPage))
	m.Handle("POST "+Base+"/staff", c.page(adminOnly, c.createStaff))
	m.Handle("POST "+Base+"/staff/{username}", c.page(adminOnly, c.updateStaff))
	m.Handle("POST "+Base+"/staff/{username}/password", c.page(adminOnly, c.setStaffPassword))
	m.Handle("POST "+Base+"/staff/{username}/delete", c.page(adminOnly, c.deleteStaff))
}

// violationMessages are the messages of an error's violations, if any.
func violationMessages(err error) []string {
	var e *beian.Error
	if !errors.As(err, &e) {
		return nil
	}
	out := make([]string, 0, len(e.Violations))
	for _, v := range e.Violations {
		out = append(out, v.Message)
	}
	return out
}

// violationFields are an error's violations by form field (fieldErrors);
// empty when it has none, as its message is shown once already.
func violationFields(err error) map[string][]string {
	if len(violationMessages(err)) == 0 {
		return map[string][]string{}
	}
	return fieldErrors(err)
}

// ---- 黑名单 (R-IN-6) ----

// blacklistKinds are the kinds of entry, as staff name them.
var blacklistKinds = []choice{
	{intake.BlacklistCertNumber, "证件号码"},
	{intake.BlacklistName, "姓名 / 单位名称"},
	{intake.BlacklistDomain, "域名"},
	{intake.BlacklistPhone, "电话号码"},
}

func blacklistKindTitle(kind string) string {
	for _, k := range blacklistKinds {
		if k.Value == kind {
			return k.Label
		}
	}
	return kind
}

// blacklistRow is one entry of the list.
type blacklistRow struct {
	E         beian.BlacklistEntry
	KindTitle string
}

// blacklistForm is the add form as typed.
type blacklistForm struct{ Kind, Value, Reason string }

// blacklistView is the data of the blacklist page.
type blacklistView struct {
	Rows      []blacklistRow
	Reveal    bool
	MayReveal bool
	MayEdit   bool
	Kinds     []choice
	Form      blacklistForm
	// FormError is the add form's failure; ListError a delete's.
	FormError string
	ListError string
}

// showBlacklist renders the list (masked unless reveal: desk.Blacklist
// masks and audits) with a form's failure.
func (c *Console) showBlacklist(w http.ResponseWriter, r *request, status int, reveal bool, v blacklistView) {
	list, err := c.svc.Blacklist(r.Context(), r.who, reveal)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v.Reveal, v.MayReveal = reveal, desk.MayReveal(r.who) == nil
	v.MayEdit = desk.MayEditBlacklist(r.who)
	v.Kinds = blacklistKinds
	for _, e := range list {
		v.Rows = append(v.Rows, blacklistRow{E: e, KindTitle: blacklistKindTitle(e.Kind)})
	}
	c.renderStatus(w, r.Request, r, status, "blacklist", "黑名单", v)
}

func (c *Console) blacklist(w http.ResponseWriter, r *request) {
	c.showBlacklist(w, r, http.StatusOK, r.URL.Query().Get("reveal") == "1", blacklistView{Form: blacklistForm{Kind: intake.BlacklistCertNumber}})
}

// addBlacklist puts an entry on the blacklist; from the next check on,
// intake and corrections naming it are refused (R-IN-6). A bad kind or
// value, or a duplicate, is shown in the form and nothing is saved.
func (c *Console) addBlacklist(w http.ResponseWriter, r *request) {
	f := blacklistForm{Kind: r.PostFormValue("kind"), Value: r.PostFormValue("value"), Reason: r.PostFormValue("reason")}
	e, err := c.svc.AddBlacklistEntry(r.Context(), r.who, f.Kind, f.Value, f.Reason)
	if err != nil {
		c.showBlacklist(w, r, statusOf(beian.ErrorCode(err)), false, blacklistView{Form: f, FormError: beian.ErrorMessage(err)})
		return
	}
	m := desk.MaskBlacklist(*e)
	redirect(w, r, Base+"/blacklist", fmt.Sprintf("已加入黑名单：%s %s", blacklistKindTitle(m.Kind), m.Value))
}

func (c *Console) deleteBlacklist(w http.ResponseWriter, r *request) {
	if err := c.svc.DeleteBlacklistEntry(r.Context(), r.who, r.PathValue("id")); err != nil {
		c.showBlacklist(w, r, statusOf(beian.ErrorCode(err)), false, blacklistView{Form: blacklistForm{Kind: intake.BlacklistCertNumber}, ListError: beian.ErrorMessage(err)})
		return
	}
	redirect(w, r, Base+"/blacklist", "已从黑名单删除")
}

// ---- 工作日历 (R-BR-1) ----

// dayForm is the form of one calendar day as typed.
type dayForm struct{ Date, Kind, Name string }

// calendarView is the data of the calendar page.
type calendarView struct {
	Y          desk.CalendarYear
	Prev, Next int
	Today      string
	// The due-date calculator.
	DueFrom  string
	DueDays  string
	Due      *desk.DueDate
	DueError string
	// Admins' forms.
	MayEdit   bool
	Day       dayForm
	DayError  string
	YearError string
	Error     string
}

func (c *Console) calendarPage(w http.ResponseWriter, r *request) {
	c.showCalendar(w, r, http.StatusOK, calendarView{})
}

// showCalendar renders the year of ?year= (this year by default) with the
// due-date calculator of ?from= and ?working_days= and a form's failure.
func (c *Console) showCalendar(w http.ResponseWriter, r *request, status int, v calendarView) {
	ctx := r.Context()
	q := r.URL.Query()
	v.Today = c.svc.Today()
	year, _ := strconv.Atoi(v.Today[:4])
	if ys := strings.TrimSpace(q.Get("year")); ys != "" {
		y, err := desk.ParseYear(ys)
		if err != nil {
			v.Error = beian.ErrorMessage(err)
			if status == http.StatusOK {
				status = statusOf(beian.ErrorCode(err))
			}
		} else {
			year = y
		}
	}
	if r.Method == http.MethodPost && v.Day.Date != "" {
		if d, err := calendar.ParseDate(v.Day.Date); err == nil {
			year = d.Year()
		}
	}
	y, err := c.svc.CalendarOf(ctx, year)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v.Y, v.Prev, v.Next = y, year-1, year+1
	v.MayEdit = r.who.Is() // admin

	v.DueFrom, v.DueDays = strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("working_days"))
	if v.DueFrom == "" {
		v.DueFrom = v.Today
	}
	n := c.svc.Config.BureauWorkingDays
	if v.DueDays != "" {
		if n, err = strconv.Atoi(v.DueDays); err != nil {
			n = 0 // refused by the desk like any count out of range
		}
	} else {
		v.DueDays = strconv.Itoa(n)
	}
	if from, err := calendar.ParseDate(v.DueFrom); err != nil {
		v.DueError = beian.ErrorMessage(err)
	} else if due, err := c.svc.BureauDueFrom(ctx, from, n); err != nil {
		v.DueError = beian.ErrorMessage(err)
	} else {
		v.Due = &due
	}
	if v.Day.Kind == "" {
		v.Day.Kind = "off"
	}
	c.renderStatus(w, r.Request, r, status, "calendar", "工作日历", v)
}

// putCalendarDay adds or corrects a holiday or make-up working day (admin).
func (c *Console) putCalendarDay(w http.ResponseWriter, r *request) {
	f := dayForm{Date: strings.TrimSpace(r.PostFormValue("date")), Kind: r.PostFormValue("kind"), Name: r.PostFormValue("name")}
	fail := func(err error) {
		c.showCalendar(w, r, statusOf(beian.ErrorCode(err)), calendarView{Day: f, DayError: beian.ErrorMessage(err)})
	}
	d, err := calendar.ParseDate(f.Date)
	if err != nil {
		fail(err)
		return
	}
	if f.Kind != "off" && f.Kind != "work" {
		fail(beian.Errorf(beian.CodeInvalid, "请选择放假或调休上班"))
		return
	}
	info, err := c.svc.PutCalendarDay(r.Context(), r.who, d, f.Kind == "off", f.Name)
	if err != nil {
		fail(err)
		return
	}
	kind := "放假"
	if info.Working {
		kind = "调休上班"
	}
	msg := fmt.Sprintf("已保存 %s：%s", info.Date, kind)
	if info.Name != "" {
		msg += "（" + info.Name + "）"
	}
	redirect(w, r, fmt.Sprintf("%s/calendar?year=%d", Base, d.Year()), msg)
}

// publishYear marks a year's holiday schedule as entered in full, or not (admin).
func (c *Console) publishYear(w http.ResponseWriter, r *request) {
	fail := func(err error) {
		c.showCalendar(w, r, statusOf(beian.ErrorCode(err)), calendarView{YearError: beian.ErrorMessage(err)})
	}
	year, err := desk.ParseYear(strings.TrimSpace(r.PostFormValue("year")))
	if err != nil {
		fail(err)
		return
	}
	published := r.PostFormValue("published") == "true"
	if _, err := c.svc.PublishYear(r.Context(), r.who, year, published); err != nil {
		fail(err)
		return
	}
	msg := fmt.Sprintf("已将 %d 年标记为节假日安排已公布", year)
	if !published {
		msg = fmt.Sprintf("已取消 %d 年的已公布标记", year)
	}
	redirect(w, r, fmt.Sprintf("%s/calendar?year=%d", Base, year), msg)
}

// ---- 机房 (R-ENT-1) ----

// dataCentresView is the data of the data-centre page.
type dataCentresView struct {
	List   []beian.DataCentre
	Text   string
	Errors []string
	Error  string
}

// dataCentreLine is one data centre as a line of the edit form.
func dataCentreLine(d beian.DataCentre) string {
	cidrs := make([]string, 0, len(d.CIDRs))
	for _, p := range d.CIDRs {
		cidrs = append(cidrs, p.String())
	}
	return strings.Join([]string{d.Name, d.Province, d.AccessProvider, d.Mailbox, strings.Join(cidrs, " ")}, " | ")
}

// parseDataCentres reads the edit form, one data centre a line:
// 名称 | 省份 | 接入商 | 邮箱 | CIDR CIDR …; blank lines and lines starting
// with # are skipped. lines[i] is the line number of the i-th data centre.
func parseDataCentres(text string) (in []desk.DataCentreInput, lines []int) {
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		parts := strings.Split(l, "|")
		for len(parts) < 5 {
			parts = append(parts, "")
		}
		in = append(in, desk.DataCentreInput{
			Name: strings.TrimSpace(parts[0]), Province: strings.TrimSpace(parts[1]), AccessProvider: strings.TrimSpace(parts[2]),
			Mailbox: strings.TrimSpace(parts[3]), CIDRs: strings.Fields(strings.Join(parts[4:], " ")),
		})
		lines = append(lines, i+1)
	}
	return in, lines
}

// dcFieldPattern is a data-centre violation's field: [i].name, [i].cidrs[j].
var dcFieldPattern = regexp.MustCompile(`^\[(\d+)\]\.(.*)$`)

// dcFieldTitles name the fields of a line.
var dcFieldTitles = map[string]string{"name": "名称", "province": "省份", "access_provider": "接入商", "mailbox": "邮箱", "cidrs": "CIDR"}

func (c *Console) dataCentres(w http.ResponseWriter, r *request) {
	c.showDataCentres(w, r, http.StatusOK, dataCentresView{}, false)
}

// showDataCentres renders the list and the form (prefilled from the list
// unless keep, when v.Text is what was typed).
func (c *Console) showDataCentres(w http.ResponseWriter, r *request, status int, v dataCentresView, keep bool) {
	list, err := c.svc.DataCentres(r.Context(), r.who)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v.List = list
	if !keep {
		lines := make([]string, 0, len(list))
		for _, d := range list {
			lines = append(lines, dataCentreLine(d))
		}
		v.Text = strings.Join(lines, "\n")
	}
	c.renderStatus(w, r.Request, r, status, "datacenters", "机房", v)
}

// saveDataCentres replaces the whole list (R-ENT-1); every problem is shown
// with its line, and nothing is saved then.
func (c *Console) saveDataCentres(w http.ResponseWriter, r *request) {
	text := strings.ReplaceAll(r.PostFormValue("datacentres"), "\r\n", "\n")
	in, lines := parseDataCentres(text)
	err := c.svc.ReplaceDataCentres(r.Context(), r.who, in)
	if err != nil {
		v := dataCentresView{Text: text, Error: beian.ErrorMessage(err)}
		var e *beian.Error
		if errors.As(err, &e) {
			for _, vi := range e.Violations {
				m := dcFieldPattern.FindStringSubmatch(vi.Field)
				if m == nil {
					v.Errors = append(v.Errors, vi.Message)
					continue
				}
				i, _ := strconv.Atoi(m[1])
				line := 0
				if i < len(lines) {
					line = lines[i]
				}
				field := dcFieldTitles[strings.SplitN(formField(m[2]), ".", 2)[0]]
				v.Errors = append(v.Errors, fmt.Sprintf("第 %d 行（%s）：%s", line, field, vi.Message))
			}
		}
		c.showDataCentres(w, r, statusOf(beian.ErrorCode(err)), v, true)
		return
	}
	redirect(w, r, Base+"/datacenters", fmt.Sprintf("已保存 %d 个机房，下一次检查起按新的网段分配省份", len(in)))
}

// ---- 受理规则 (R-IN-1, R-IN-2, R-IN-4) ----

// regionSample is how many region names the page shows (of ~5,760).
const regionSample = 30

// checklistRow is one checklist rule as the read-only table shows it.
type checklistRow struct {
	Code, Title  string
	Required     bool
	FilingTypes  string
	SponsorKinds string
	Provinces    string
	Conditions   string
}

// rulesForm is the edit form's text, one textarea a list.
type rulesForm struct {
	Suspended, Landline, NationalWords, PreApproval, Suffixes, LegacyCodes string
}

// rulesView is the data of the rules page.
type rulesView struct {
	Overridden   bool
	Suspended    []choice // system province → sponsor provinces, joined
	Landline     string
	National     string
	Categories   []choice
	SuffixCount  int
	Suffixes     string
	LegacyCodes  string
	RegionCount  int
	RegionSample []string
	Checklist    []checklistRow
	MayEdit      bool
	Form         rulesForm
	Errors       map[string][]string
	Error        string
}

func (c *Console) rulesPage(w http.ResponseWriter, r *request) {
	c.showRules(w, r, http.StatusOK, nil, nil)
}

// showRules renders the rules in force; form and err are a failed edit.
func (c *Console) showRules(w http.ResponseWriter, r *request, status int, form *rulesForm, err error) {
	rules, overridden, lerr := c.svc.RulesInForce(r.Context())
	if lerr != nil {
		c.fail(w, r.Request, r, lerr)
		return
	}
	v := rulesView{
		Overridden: overridden, Landline: strings.Join(rules.LandlineProvinces, " "), National: strings.Join(rules.NationalWords, " "),
		SuffixCount: len(rules.FileableSuffixes), Suffixes: strings.Join(rules.FileableSuffixes, " "), LegacyCodes: strings.Join(rules.LegacyCreditCodes, " "),
		RegionCount: len(rules.RegionNames), MayEdit: r.who.Is(), Errors: map[string][]string{},
	}
	v.RegionSample = rules.RegionNames[:min(regionSample, len(rules.RegionNames))]
	for _, sys := range slices.Sorted(maps.Keys(rules.SuspendedResidences)) {
		v.Suspended = append(v.Suspended, choice{sys, strings.Join(rules.SuspendedResidences[sys], " ")})
	}
	for _, code := range slices.Sorted(maps.Keys(rules.PreApprovalCategories)) {
		v.Categories = append(v.Categories, choice{code, rules.PreApprovalCategories[code]})
	}
	for _, cr := range rules.Checklist {
		v.Checklist = append(v.Checklist, checklistRowOf(cr))
	}
	if form != nil {
		v.Form = *form
	} else {
		v.Form = rulesFormOf(rules)
	}
	if err != nil {
		v.Error = beian.ErrorMessage(err)
		var e *beian.Error
		if errors.As(err, &e) {
			for _, vi := range e.Violations {
				f := rulesFormField(vi.Field)
				v.Errors[f] = append(v.Errors[f], vi.Message)
			}
		}
	}
	c.renderStatus(w, r.Request, r, status, "rules", "受理规则", v)
}

func checklistRowOf(cr intake.ChecklistRule) checklistRow {
	row := checklistRow{Code: cr.Code, Title: cr.Title, Required: cr.Required, FilingTypes: "全部", SponsorKinds: "全部", Provinces: "全部", Conditions: "—"}
	if len(cr.FilingTypes) > 0 {
		var ts []string
		for _, t := range cr.FilingTypes {
			ts = append(ts, t.Title())
		}
		row.FilingTypes = strings.Join(ts, "、")
	}
	if len(cr.SponsorKinds) > 0 {
		var ks []string
		for _, k := range cr.SponsorKinds {
			if k == beian.SponsorPerson {
				ks = append(ks, "个人")
			} else {
				ks = append(ks, "单位")
			}
		}
		row.SponsorKinds = strings.Join(ks, "、")
	}
	if len(cr.Provinces) > 0 {
		row.Provinces = strings.Join(cr.Provinces, "、")
	}
	if len(cr.ExceptProvinces) > 0 {
		row.Provinces += "（" + strings.Join(cr.ExceptProvinces, "、") + " 除外）"
	}
	if len(cr.Conditions) > 0 {
		var cs []string
		for _, cond := range cr.Conditions {
			if t, ok := intake.ChecklistConditions[cond]; ok {
				cs = append(cs, t)
			} else {
				cs = append(cs, cond)
			}
		}
		row.Conditions = strings.Join(cs, "；")
	}
	if cr.PerPreApprovalCategory {
		if row.Conditions == "—" {
			row.Conditions = ""
		} else {
			row.Conditions += "；"
		}
		row.Conditions += "每个前置审批类别一份"
	}
	return row
}

// rulesFormOf is the edit form of rules.
func rulesFormOf(rules intake.Rules) rulesForm {
	var sus, cats []string
	for _, sys := range slices.Sorted(maps.Keys(rules.SuspendedResidences)) {
		sus = append(sus, sys+": "+strings.Join(rules.SuspendedResidences[sys], " "))
	}
	for _, code := range slices.Sorted(maps.Keys(rules.PreApprovalCategories)) {
		cats = append(cats, code+": "+rules.PreApprovalCategories[code])
	}
	return rulesForm{
		Suspended: strings.Join(sus, "\n"), Landline: strings.Join(rules.LandlineProvinces, "\n"),
		NationalWords: strings.Join(rules.NationalWords, "\n"), PreApproval: strings.Join(cats, "\n"),
		Suffixes: strings.Join(rules.FileableSuffixes, "\n"), LegacyCodes: strings.Join(rules.LegacyCreditCodes, "\n"),
	}
}

// rulesFormFields are the form's textareas, by the rules' field names.
var rulesFormFields = map[string]bool{
	"suspended_residences": true, "landline_provinces": true, "national_words": true,
	"pre_approval_categories": true, "fileable_suffixes": true, "legacy_credit_codes": true,
}

// rulesFormField is the textarea a rules violation belongs to
// (suspended_residences.江苏[0] → suspended_residences); "" for the rest.
func rulesFormField(field string) string {
	f := strings.SplitN(formField(field), ".", 2)[0]
	if rulesFormFields[f] {
		return f
	}
	return ""
}

// items splits a list typed one item a line or separated by spaces.
func items(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == ',' || r == '，' || r == '、' || r == '　'
	})
}

// pairs reads lines "key: value" (either colon); a line without one is a
// violation of field.
func pairs(s, rule, field, want string) (out [][2]string, vs []beian.Violation) {
	for i, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		k, v, ok := strings.Cut(strings.Replace(l, "：", ":", 1), ":")
		if !ok || strings.TrimSpace(k) == "" {
			vs = append(vs, beian.Violation{Rule: rule, Code: beian.CodeInvalid, Field: field,
				Message: fmt.Sprintf("第 %d 行「%s」格式不对，应为「%s」", i+1, l, want)})
			continue
		}
		out = append(out, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return out, vs
}

// saveRules replaces the six lists of the intake rules (admin), keeping the
// checklist, region names, form variants and notes in force. The desk
// validates them (intake.Rules.Validate): every problem is shown beside its
// list and nothing is saved.
func (c *Console) saveRules(w http.ResponseWriter, r *request) {
	ctx := r.Context()
	f := rulesForm{
		Suspended: r.PostFormValue("suspended_residences"), Landline: r.PostFormValue("landline_provinces"),
		NationalWords: r.PostFormValue("national_words"), PreApproval: r.PostFormValue("pre_approval_categories"),
		Suffixes: r.PostFormValue("fileable_suffixes"), LegacyCodes: r.PostFormValue("legacy_credit_codes"),
	}
	rules, _, err := c.svc.RulesInForce(ctx)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	sus, vs := pairs(f.Suspended, "R-IN-1", "suspended_residences", "系统省份: 属地 属地 …")
	rules.SuspendedResidences = map[string][]string{}
	for _, p := range sus {
		rules.SuspendedResidences[p[0]] = append(rules.SuspendedResidences[p[0]], items(p[1])...)
	}
	cats, cvs := pairs(f.PreApproval, "R-IN-4", "pre_approval_categories", "类别代码: 中文名称")
	vs = append(vs, cvs...)
	rules.PreApprovalCategories = map[string]string{}
	for _, p := range cats {
		rules.PreApprovalCategories[p[0]] = p[1]
	}
	rules.LandlineProvinces = nonNilItems(f.Landline)
	rules.NationalWords = nonNilItems(f.NationalWords)
	rules.FileableSuffixes = nonNilItems(f.Suffixes)
	rules.LegacyCreditCodes = nonNilItems(f.LegacyCodes)
	if len(vs) > 0 {
		// The form cannot be read as a whole: show its problems with those
		// the rules themselves find, and save nothing.
		var e *beian.Error
		if err := rules.Validate(); errors.As(err, &e) {
			vs = append(vs, e.Violations...)
		}
		err := &beian.Error{Code: beian.CodeViolations, Message: fmt.Sprintf("备案规则有 %d 处错误，未保存", len(vs)), Violations: vs}
		c.showRules(w, r, statusOf(err.Code), &f, err)
		return
	}
	if err := c.svc.SaveRules(ctx, r.who, rules); err != nil {
		c.showRules(w, r, statusOf(beian.ErrorCode(err)), &f, err)
		return
	}
	redirect(w, r, Base+"/rules", "受理规则已保存，下一次检查起生效")
}

func nonNilItems(s string) []string {
	out := items(s)
	if out == nil {
		return []string{}
	}
	return out
}

// resetRules drops the admins' override: the embedded defaults apply again.
func (c *Console) resetRules(w http.ResponseWriter, r *request) {
	if err := c.svc.ResetRules(r.Context(), r.who); err != nil {
		c.showRules(w, r, statusOf(beian.ErrorCode(err)), nil, err)
		return
	}
	redirect(w, r, Base+"/rules", "已恢复默认受理规则")
}

// ---- 客户 (R-ENT-2, R-RV-1) ----

// ipsShown is how many IPs of a product the list shows.
const ipsShown = 5

// productRow is one product of a customer as the list shows it.
type productRow struct {
	ID         string
	IPs        string
	More       int // IPs not shown
	ValidUntil string
	Expired    bool
}

// customerRow is one customer of the list.
type customerRow struct {
	C        beian.Customer
	Products []productRow
}

// expiringRow is one line of the expiring-products section.
type expiringRow struct {
	L       desk.ExpiringLine
	P       productRow
	Left    string
	Filings []string
}

// customersView is the data of the customers page.
type customersView struct {
	Rows         []customerRow
	Expiring     []expiringRow
	Within       int
	Error        string
	ImportErrors []string
}

func productRowOf(p beian.Product, today string) productRow {
	row := productRow{ID: p.ID, ValidUntil: p.ValidUntil, Expired: !p.ActiveOn(today)}
	ips := make([]string, 0, min(len(p.ServerIPs), ipsShown))
	for i, a := range p.ServerIPs {
		if i == ipsShown {
			break
		}
		ips = append(ips, a.String())
	}
	row.IPs = strings.Join(ips, " ")
	if len(p.ServerIPs) > ipsShown {
		row.More = len(p.ServerIPs)
	}
	return row
}

func (c *Console) customers(w http.ResponseWriter, r *request) {
	c.showCustomers(w, r, http.StatusOK, customersView{})
}

func (c *Console) showCustomers(w http.ResponseWriter, r *request, status int, v customersView) {
	ctx := r.Context()
	list, err := c.svc.Customers(ctx, r.who)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v.Within = desk.DefaultExpiringWithin
	expiring, err := c.svc.ExpiringProducts(ctx, r.who, v.Within)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	today := c.svc.Today()
	for _, cu := range list {
		row := customerRow{C: cu}
		for _, p := range cu.Products {
			row.Products = append(row.Products, productRowOf(p, today))
		}
		v.Rows = append(v.Rows, row)
	}
	for _, l := range expiring {
		er := expiringRow{L: l, P: productRowOf(l.Product, today), Left: fmt.Sprintf("剩余 %d 天", l.DaysLeft)}
		if l.Expired {
			er.Left = fmt.Sprintf("已过期 %d 天", -l.DaysLeft)
		}
		for _, cs := range l.Cases {
			er.Filings = append(er.Filings, cs.CaseNo+" "+cs.PrimaryName())
		}
		v.Expiring = append(v.Expiring, er)
	}
	c.renderStatus(w, r.Request, r, status, "customers", "客户", v)
}

// maxUpload is the largest spreadsheet upload, as the API takes it.
const maxUpload = 10 << 20

// importCustomers imports the customer sheet (.xlsx) through the desk: every
// error names its sheet and cell and all are shown; nothing is imported then.
func (c *Console) importCustomers(w http.ResponseWriter, r *request) {
	fail := func(err error) {
		status := statusOf(beian.ErrorCode(err))
		if beian.ErrorCode(err) == beian.CodeUnsupportedType {
			status = http.StatusUnsupportedMediaType
		}
		c.showCustomers(w, r, status, customersView{Error: beian.ErrorMessage(err), ImportErrors: violationMessages(err)})
	}
	file, fh, err := r.FormFile("file")
	if err != nil {
		fail(beian.Errorf(beian.CodeInvalid, "请选择要上传的客户表（.xlsx）"))
		return
	}
	defer file.Close()
	if fh.Size > maxUpload {
		fail(beian.Errorf(beian.CodeTooLarge, "上传的文件超过 10 MiB"))
		return
	}
	cs, err := c.svc.ImportCustomers(r.Context(), r.who, file)
	if err != nil {
		fail(err)
		return
	}
	n := 0
	for _, cu := range cs {
		n += len(cu.Products)
	}
	redirect(w, r, Base+"/customers", fmt.Sprintf("已导入 %d 个客户、%d 个接入产品", len(cs), n))
}

// ---- 员工账号 ----

// staffRow is one account of the list with its forms' failures.
type staffRow struct {
	S beian.Staff
	// Errors are the edit form's, by field; PwErrors the password form's.
	Errors   map[string][]string
	PwErrors map[string][]string
	Error    string
	IsSelf   bool
}

// staffView is the data of the staff page.
type staffView struct {
	Rows      []staffRow
	Roles     []choice
	New       beian.Staff
	NewErrors map[string][]string
	NewError  string
	Error     string
	MinLength int
}

func roleChoices() []choice {
	out := make([]choice, 0, len(beian.Roles))
	for _, role := range beian.Roles {
		out = append(out, choice{role, beian.RoleTitle(role)})
	}
	return out
}

func (c *Console) staffPage(w http.ResponseWriter, r *request) {
	c.showStaff(w, r, http.StatusOK, staffView{New: beian.Staff{Role: beian.RoleSpecialist}}, nil)
}

// showStaff renders the accounts; failed is the row whose form failed (with
// what was typed, never a password).
func (c *Console) showStaff(w http.ResponseWriter, r *request, status int, v staffView, failed *staffRow) {
	list, err := c.svc.ListStaff(r.Context(), r.who)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v.Roles, v.MinLength = roleChoices(), desk.MinPasswordLength
	if v.NewErrors == nil {
		v.NewErrors = map[string][]string{}
	}
	for _, st := range list {
		row := staffRow{S: st, IsSelf: st.Username == r.who.Name}
		if failed != nil && failed.S.Username == st.Username {
			row.Errors, row.PwErrors, row.Error = failed.Errors, failed.PwErrors, failed.Error
			if failed.Errors != nil {
				row.S = failed.S
			}
		}
		v.Rows = append(v.Rows, row)
	}
	c.renderStatus(w, r.Request, r, status, "staff", "员工账号", v)
}

func staffFromForm(r *request) beian.Staff {
	return beian.Staff{
		Username: strings.TrimSpace(r.PostFormValue("username")), Name: r.PostFormValue("name"), Role: r.PostFormValue("role"),
		Email: r.PostFormValue("email"), Disabled: r.PostFormValue("disabled") == "1",
	}
}

// createStaff adds an account with its first password (admin; audited).
func (c *Console) createStaff(w http.ResponseWriter, r *request) {
	in := staffFromForm(r)
	st, err := c.svc.CreateStaff(r.Context(), r.who, in, r.PostFormValue("password"))
	if err != nil {
		c.showStaff(w, r, statusOf(beian.ErrorCode(err)), staffView{New: in, NewErrors: violationFields(err), NewError: beian.ErrorMessage(err)}, nil)
		return
	}
	redirect(w, r, Base+"/staff", fmt.Sprintf("已创建账号 %s（%s，%s）", st.Username, st.Name, beian.RoleTitle(st.Role)))
}

// updateStaff changes an account's name, role, email and disabled (admin;
// audited); disabling it ends its sessions.
func (c *Console) updateStaff(w http.ResponseWriter, r *request) {
	in := staffFromForm(r)
	in.Username = r.PathValue("username")
	st, err := c.svc.UpdateStaff(r.Context(), r.who, in)
	if err != nil {
		if beian.ErrorCode(err) == beian.CodeNotFound {
			c.fail(w, r.Request, r, err)
			return
		}
		c.showStaff(w, r, statusOf(beian.ErrorCode(err)), staffView{New: beian.Staff{Role: beian.RoleSpecialist}},
			&staffRow{S: in, Errors: violationFields(err), Error: beian.ErrorMessage(err)})
		return
	}
	msg := "已保存账号 " + st.Username
	if st.Disabled {
		msg += "（已停用，其登录已失效）"
	}
	redirect(w, r, Base+"/staff", msg)
}

// setStaffPassword sets an account's password (admin; audited); its
// sessions end.
func (c *Console) setStaffPassword(w http.ResponseWriter, r *request) {
	username := r.PathValue("username")
	if err := c.svc.SetPassword(r.Context(), r.who, username, r.PostFormValue("password")); err != nil {
		if beian.ErrorCode(err) == beian.CodeNotFound {
			c.fail(w, r.Request, r, err)
			return
		}
		c.showStaff(w, r, statusOf(beian.ErrorCode(err)), staffView{New: beian.Staff{Role: beian.RoleSpecialist}},
			&staffRow{S: beian.Staff{Username: username}, PwErrors: violationFields(err), Error: beian.ErrorMessage(err)})
		return
	}
	redirect(w, r, Base+"/staff", "已为 "+username+" 设置新密码，其原有登录已失效")
}

// deleteStaff removes an account and its sessions (admin; audited).
func (c *Console) deleteStaff(w http.ResponseWriter, r *request) {
	username := r.PathValue("username")
	if err := c.svc.DeleteStaff(r.Context(), r.who, username); err != nil {
		c.showStaff(w, r, statusOf(beian.ErrorCode(err)), staffView{New: beian.Staff{Role: beian.RoleSpecialist}, Error: beian.ErrorMessage(err)}, nil)
		return
	}
	redirect(w, r, Base+"/staff", "已删除账号 "+username)
}
