package console

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/intake"
	"github.com/beian/beian/secret"
	"github.com/beian/beian/workflows"
)

// dashboardView is the data of the first page.
type dashboardView struct {
	// WeekEnd is where "due this week" ends, for the link to the list.
	WeekEnd     string
	T           *desk.Today
	Overdue     []caseRow
	DueThisWeek []caseRow
	Rectifying  []caseRow
}

func (c *Console) dashboard(w http.ResponseWriter, r *request) {
	t, err := c.svc.Dashboard(r.Context())
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	cal, now := t.Calendar, t.Now
	v := dashboardView{WeekEnd: desk.EndOfWeek(now).Format(time.RFC3339), T: t, Overdue: rowsOf(t.Overdue, cal, now), DueThisWeek: rowsOf(t.DueThisWeek, cal, now), Rectifying: rowsOf(t.Rectifying, cal, now)}
	c.render(w, r, "dashboard", "工作台", v)
}

// caseRow is one line of a case list, with its deadline said for people.
type caseRow struct {
	C      *beian.Case
	Domain string
	// Due is the bureau deadline while the bureau has the case (R-BR-1).
	Due *time.Time
	// Left says how many working days are left (or how many it is late).
	Left string
	// Mark is "overdue", "week" (due by Sunday) or "".
	Mark string
}

// workingDaysLeft says how many working days remain until due (R-BR-1).
func workingDaysLeft(cal *calendar.Calendar, now, due time.Time) string {
	n := cal.WorkingDaysBetween(now, due)
	switch {
	case due.Before(now):
		if n < 0 {
			return fmt.Sprintf("已超期 %d 个工作日", -n)
		}
		if sameDay(now, due) {
			return "今日已超期"
		}
		return "已超期（不足 1 个工作日）" // e.g. due Friday 17:30, seen at the weekend
	case n == 0:
		return "今日截止"
	}
	return fmt.Sprintf("剩余 %d 个工作日", n)
}

// sameDay reports whether a and b fall on one date in Asia/Shanghai.
func sameDay(a, b time.Time) bool {
	return a.In(desk.Shanghai).Format("2006-01-02") == b.In(desk.Shanghai).Format("2006-01-02")
}

func rowsOf(cases []beian.Case, cal *calendar.Calendar, now time.Time) []caseRow {
	week := desk.EndOfWeek(now)
	out := make([]caseRow, 0, len(cases))
	for i := range cases {
		cs := &cases[i]
		row := caseRow{C: cs, Domain: cs.PrimaryName()}
		if ds := desk.UnicodeDomains(cs.Website.Domains); len(ds) > 0 {
			row.Domain = ds[0]
			if len(ds) > 1 {
				row.Domain += fmt.Sprintf(" 等 %d 个", len(ds))
			}
		}
		if cs.Status == beian.StatusBureauReview && cs.Deadlines.BureauDueAt != nil {
			due := *cs.Deadlines.BureauDueAt
			row.Due, row.Left = &due, workingDaysLeft(cal, now, due)
			switch {
			case desk.BureauOverdue(cs, now):
				row.Mark = "overdue"
			case due.Before(week):
				row.Mark = "week"
			}
		}
		out = append(out, row)
	}
	return out
}

// listView is the data of the case list.
type listView struct {
	Rows      []caseRow
	Filter    url.Values
	Statuses  []choice
	Provinces []string
	// Next and First are the whole URLs of the next and the first page
	// ("" on the last and on the first): a URL, not a query to append, so
	// html/template keeps its & and = (it escapes a value after "?").
	Next  string
	First string
	Error string
}

// filterKeys are the list's filters, as GET /api/v1/filings names them.
var filterKeys = []string{"status", "province", "system_province", "bureau_province", "domain", "overdue", "q", "sort", "due_before", "step"}

func (c *Console) filings(w http.ResponseWriter, r *request) {
	q := r.URL.Query()
	v := listView{Filter: url.Values{}, Provinces: intake.Provinces}
	for _, k := range filterKeys {
		if x := strings.TrimSpace(q.Get(k)); x != "" {
			v.Filter.Set(k, x)
		}
	}
	for _, st := range beian.AllStatuses {
		v.Statuses = append(v.Statuses, choice{string(st), st.Title()})
	}
	f := beian.CaseFilter{
		Status: beian.Status(v.Filter.Get("status")), Province: v.Filter.Get("province"),
		SystemProvince: v.Filter.Get("system_province"), BureauProvince: v.Filter.Get("bureau_province"),
		Domain: v.Filter.Get("domain"), Q: v.Filter.Get("q"), Sort: v.Filter.Get("sort"),
		Cursor: q.Get("cursor"), Limit: 50,
	}
	if f.Sort == beian.SortDue && f.Status == "" {
		// A deadline matters while the bureau has the case: decided cases
		// keep their old deadline and would crowd the top of the list.
		f.Status = beian.StatusBureauReview
		v.Filter.Set("status", string(f.Status))
	}
	f.Step = v.Filter.Get("step")
	switch v.Filter.Get("overdue") {
	case "true":
		yes := true
		f.Overdue = &yes
	case "false":
		no := false
		f.Overdue = &no
	}
	if db := v.Filter.Get("due_before"); db != "" {
		t, err := time.Parse(time.RFC3339, db)
		if err != nil {
			v.Error = "due_before 应为时间，例如 2026-12-07T00:00:00+08:00"
			c.renderStatus(w, r.Request, r, http.StatusUnprocessableEntity, "filings", "备案申请", v)
			return
		}
		f.DueBefore = &t
	}
	// The page and the calendar its deadlines are counted with are
	// independent: read them at once.
	var (
		page beian.CasePage
		cal  *calendar.Calendar
		cerr error
	)
	calDone := make(chan struct{})
	go func() { defer close(calDone); cal, cerr = c.svc.Calendar(r.Context()) }()
	page, err := c.svc.Cases(r.Context(), f)
	<-calDone
	if err != nil {
		v.Error = beian.ErrorMessage(err)
		c.renderStatus(w, r.Request, r, statusOf(beian.ErrorCode(err)), "filings", "备案申请", v)
		return
	}
	if cerr != nil {
		c.fail(w, r.Request, r, cerr)
		return
	}
	v.Rows = rowsOf(page.Items, cal, c.svc.Now())
	v.Next, v.First = pager(Base+"/filings", v.Filter, page.NextCursor, f.Cursor)
	c.render(w, r, "filings", "备案申请", v)
}

// deadlineView is one deadline of a case, as a date and as time left.
type deadlineView struct {
	Label, Rule string
	At          *time.Time
	Left        string
	Late        bool
	Note        string
}

// filingView is the data of the case page.
type filingView struct {
	C           *beian.Case
	Domains     []string
	Reveal      bool
	Password    string
	MayReveal   bool
	Deadlines   []deadlineView
	Pending     []beian.ChecklistItem // required items not received
	Mails       []beian.Mail
	Tasks       []beian.Task
	Access      []beian.AccessAction
	WorkflowURL string
	Can         map[string]bool
	FormKey     string
	// Action is the form that just failed, ActionError its message shown
	// beside it, Posted what was typed into it (shown again), and Queued
	// tells that it was sent but has not completed yet.
	Action      string
	ActionError string
	Posted      url.Values
	Queued      bool
	// QueuedKey is the key of the queued form, sent again by that form
	// only; every other form has a fresh one (FormKey).
	QueuedKey string
	Sources   []choice
	// ShowWork shows the mails and tasks: staff work, not the bureau's.
	ShowWork bool
	// Sweeps are the filing's latest shell-site sweep findings (R-PA-3);
	// DNS is a check of its domains made for this page (?dns=1, R-RV-2).
	Sweeps   []beian.SweepFinding
	DNS      []desk.DomainCheck
	DNSError string
	Checked  bool
	// Inbound are the filer's mails on this case with their files, each
	// file with the checklist item its name suggests (R-IN-3).
	Inbound []beian.InboundMail
	Suggest map[string]string
}

// failedAction is a case-page form that did not go through.
type failedAction struct {
	Name   string
	Err    error
	Posted url.Values
	Key    string
}

func (c *Console) filing(w http.ResponseWriter, r *request) {
	c.showFiling(w, r, http.StatusOK, nil)
}

// showFiling renders the case page; failed is a form that did not go through.
func (c *Console) showFiling(w http.ResponseWriter, r *request, status int, failed *failedAction) {
	ctx := r.Context()
	id := r.PathValue("id")
	cs, err := c.svc.Case(ctx, id)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v := filingView{
		C: cs, Domains: desk.UnicodeDomains(cs.Website.Domains), MayReveal: desk.MayReveal(r.who) == nil,
		FormKey: formKey(), ShowWork: desk.MayReadCaseWork(r.who), Posted: url.Values{},
	}
	if r.URL.Query().Get("reveal") == "1" && r.Method == http.MethodGet {
		pw, err := c.svc.Reveal(ctx, r.who, cs) // audited
		if err != nil {
			c.fail(w, r.Request, r, err)
			return
		}
		v.Reveal, v.Password = true, pw
	}
	cal, err := c.svc.Calendar(ctx)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	now := c.svc.Now()
	d := cs.Deadlines
	if d.PurgeAt != nil {
		days := int(d.PurgeAt.Sub(now).Hours() / 24)
		left := fmt.Sprintf("剩余 %d 天", days)
		if d.PurgeAt.Before(now) {
			left = "已到期"
		}
		v.Deadlines = append(v.Deadlines, deadlineView{Label: "材料截止（超期删除）", Rule: "R-RV-5", At: d.PurgeAt, Left: left, Late: d.PurgeAt.Before(now)})
	}
	if d.BureauDueAt != nil && cs.Status == beian.StatusBureauReview {
		dv := deadlineView{Label: "管局审核期限", Rule: "R-BR-1", At: d.BureauDueAt, Left: workingDaysLeft(cal, now, *d.BureauDueAt), Late: desk.BureauOverdue(cs, now)}
		if cs.BureauDueProvisional {
			dv.Note = "期限跨越尚无节假日数据的年份，按周末规则暂估"
		}
		v.Deadlines = append(v.Deadlines, dv)
	}
	if sms := cs.SMS; sms != nil && sms.Status == beian.SMSPending && cs.Status == beian.StatusBureauReview {
		v.Deadlines = append(v.Deadlines, deadlineView{Label: "工信部短信核验", Rule: "R-BR-6", At: &sms.DueAt, Left: durationLeft(now, sms.DueAt), Late: sms.DueAt.Before(now),
			Note: "用户须在工信部备案系统输入短信验证码，逾期自动退回"})
	}
	if ps := cs.PublicSecurity; ps != nil && ps.Status != beian.PublicSecurityRecorded && cs.Status.OnRecord() {
		days := int(ps.DueAt.Sub(now).Hours() / 24)
		left := fmt.Sprintf("剩余 %d 天", days)
		if ps.DueAt.Before(now) {
			left = "已逾期"
		}
		v.Deadlines = append(v.Deadlines, deadlineView{Label: "公安联网备案", Rule: "R-PA-6", At: &ps.DueAt, Left: left, Late: ps.DueAt.Before(now)})
	}
	if d.RectifyBy != nil && cs.Status == beian.StatusRectifying {
		v.Deadlines = append(v.Deadlines, deadlineView{Label: "整改期限", Rule: "R-PA-3", At: d.RectifyBy, Left: durationLeft(now, *d.RectifyBy), Late: d.RectifyBy.Before(now)})
	}
	for _, it := range cs.Checklist {
		if it.Required && !it.Received {
			v.Pending = append(v.Pending, it)
		}
	}
	if v.ShowWork {
		if v.Mails, err = c.svc.Store.ListMails(ctx, cs.ID); err != nil {
			c.fail(w, r.Request, r, err)
			return
		}
		if v.Tasks, err = c.svc.Store.CaseTasks(ctx, cs.ID); err != nil {
			c.fail(w, r.Request, r, err)
			return
		}
		if v.Inbound, err = c.svc.Mail(ctx, r.who, "", cs.ID); err != nil {
			c.fail(w, r.Request, r, err)
			return
		}
		v.Suggest = map[string]string{}
		for _, m := range v.Inbound {
			for _, a := range m.Attachments {
				if a.ChecklistCode == "" && a.Rejected == "" {
					v.Suggest[a.ID] = desk.SuggestChecklist(a.Name, cs.Checklist)
				}
			}
		}
	}
	if v.Access, err = c.svc.Store.CaseAccessActions(ctx, cs.ID); err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	if v.ShowWork {
		if v.Sweeps, err = c.svc.CaseSweepFindings(ctx, r.who, cs.ID); err != nil {
			c.fail(w, r.Request, r, err)
			return
		}
		if r.URL.Query().Get("dns") == "1" || (failed != nil && beian.ErrorCode(failed.Err) == beian.CodeDomainElsewhere) {
			v.Checked = true
			if v.DNS, err = c.svc.DNSCheck(ctx, r.who, cs.ID); err != nil {
				v.DNSError = err.Error()
			}
		}
	}
	if ui := c.svc.Config.TemporalUI; ui != "" {
		v.WorkflowURL = fmt.Sprintf("%s/namespaces/%s/workflows/%s", ui, url.PathEscape(c.svc.Config.TemporalNamespace), url.PathEscape(cs.WorkflowID))
	}
	v.Can = map[string]bool{}
	for name, a := range formActions {
		v.Can[name] = desk.MayAct(r.who, a) && cs.Status.Allows(a) == nil
	}
	v.Can["bureau-received"] = v.Can["bureau-received"] && !cs.BureauReceived
	v.Can["sms-verified"] = v.Can["sms-verified"] && cs.SMS != nil && cs.SMS.Status == beian.SMSPending
	v.Can["public-security"] = v.Can["public-security"] && cs.PublicSecurity != nil
	v.Can["false-data"] = false
	if desk.MayEditBlacklist(r.who) {
		for _, e := range cs.Timeline {
			v.Can["false-data"] = v.Can["false-data"] || e.Event == "verification_false_info"
			if e.Event == "sponsor_blacklisted" {
				v.Can["false-data"] = false
				break
			}
		}
	}
	if failed != nil {
		v.Action, v.Posted = failed.Name, failed.Posted
		v.ActionError = beian.ErrorMessage(failed.Err)
		if beian.ErrorCode(failed.Err) == beian.CodeUnavailable {
			// Sent and queued in the workflow: the same key again is the
			// same update, never a second one.
			v.Queued, v.QueuedKey = true, failed.Key
		}
		var msgs []string
		for _, m := range fieldErrors(failed.Err) {
			msgs = append(msgs, m...)
		}
		if len(msgs) > 0 && beian.ErrorCode(failed.Err) == beian.CodeViolations {
			v.ActionError += "：" + strings.Join(msgs, "；")
		}
	}
	for _, s := range desk.RectificationSources {
		v.Sources = append(v.Sources, choice{s, rectifySourceTitle(s)})
	}
	c.renderStatus(w, r.Request, r, status, "filing", cs.CaseNo+" "+cs.PrimaryName(), v)
}

func rectifySourceTitle(s string) string {
	switch s {
	case "manual":
		return "人工检查"
	case "sweep":
		return "空壳网站检查"
	case "verification":
		return "真实性核验"
	case "security":
		return "信息安全"
	}
	return s
}

// formActions are the case page's action forms, by the path they post to.
var formActions = map[string]beian.Action{
	"materials":         beian.ActionMaterials,
	"review":            beian.ActionReview,
	"bureau-received":   beian.ActionBureauReceived,
	"bureau-decision":   beian.ActionBureauDecision,
	"withdraw":          beian.ActionWithdraw,
	"rectification":     beian.ActionRequireRectify,
	"rectified":         beian.ActionRectified,
	"restore-access":    beian.ActionRestoreAccess,
	"corrections":       beian.ActionCorrections,
	"verification-call": beian.ActionVerificationCall,
	"false-data":        beian.ActionVerificationResult, // shown when a call found false data (see FalseData)
	"sms-verified":      beian.ActionSMSVerified,
	"public-security":   beian.ActionPublicSecurity,
}

// actionDone is what the next page says after each action.
var actionDone = map[string]string{
	"materials":         "已登记收到的材料",
	"review":            "已记录审核结果",
	"bureau-received":   "已记录管局接收",
	"bureau-decision":   "已记录管局结论",
	"withdraw":          "申请已撤回",
	"rectification":     "已下达整改通知（24 小时期限）",
	"rectified":         "已记录整改完成",
	"restore-access":    "已要求恢复接入",
	"bureau-return":     "已记录管局退回，已邮件告知用户",
	"verification-call": "已加入核验电话任务（当日完成）",
	"false-data":        "主办者已列入黑名单（R-PA-1）",
	"sms-verified":      "已记录用户完成工信部短信核验",
	"public-security":   "已登记公安联网备案号",
}

// filingAction runs one action form of the case page. A failure shows the
// case page again with the message beside the form; nothing is saved.
func (c *Console) filingAction(w http.ResponseWriter, r *request) {
	ctx := r.Context()
	id, name := r.PathValue("id"), r.PathValue("action")
	a, ok := formActions[name]
	if !ok || name == "corrections" {
		c.renderStatus(w, r.Request, r, http.StatusNotFound, "error", "页面不存在", errorPage{Message: "没有这个操作：" + name, Back: Base + "/filings/" + id})
		return
	}
	key := r.PostFormValue("form_key")
	form := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	var err error
	switch name {
	case "materials":
		if len(r.PostForm["received"]) == 0 {
			err = beian.Errorf(beian.CodeInvalid, "请勾选已收到的材料")
			break
		}
		err = c.svc.Materials(ctx, r.who, id, r.PostForm["received"], key)
	case "review":
		req := workflows.ActionRequest{Result: form("result")}
		reasons := reviewReasons(r.PostFormValue("reasons"))
		switch {
		case req.Result == "":
			err = beian.Errorf(beian.CodeInvalid, "请选择审核结果：通过或不通过")
		case req.Result == "pass" && len(reasons) > 0:
			err = beian.Errorf(beian.CodeInvalid, "已填写不通过的原因，但选择了「通过」：如不通过请选择「不通过」，如通过请清空原因")
		default:
			if req.Result == "fail" {
				req.Reasons = reasons
			}
			// The choice is part of the key: a pass still queued and a fail
			// sent after it are two updates, not one.
			err = c.svc.Review(ctx, r.who, id, req, form("dns_note"), keyWith(key, req.Result))
		}
	case "bureau-received":
		err = c.svc.RecordBureauDecision(ctx, r.who, id, desk.BureauDecision{Received: true}, false, key)
	case "bureau-decision":
		err = c.svc.RecordBureauDecision(ctx, r.who, id, desk.BureauDecision{
			Decision: form("decision"), FilingNumber: form("filing_number"), FilingPassword: r.PostFormValue("filing_password"), Reason: form("reason"),
		}, false, keyWith(key, form("decision")))
		if form("decision") == "returned" {
			name = "bureau-return" // its own form on the page
		}
	case "rectification":
		err = c.svc.RequireRectification(ctx, r.who, id, form("reason"), form("source"), key)
	case "verification-call":
		err = c.svc.RequestCall(ctx, r.who, id, form("reason"), key)
	case "false-data":
		_, err = c.svc.ConfirmFalseData(ctx, r.who, id, form("reason"))
	case "public-security":
		if form("number") == "" {
			err = beian.Errorf(beian.CodeInvalid, "请填写公安联网备案号")
			break
		}
		err = c.svc.Act(ctx, r.who, id, a, workflows.ActionRequest{PublicSecurityNumber: form("number")}, key)
	default: // withdraw, rectified, restore-access
		err = c.svc.Act(ctx, r.who, id, a, workflows.ActionRequest{Reason: form("reason")}, key)
	}
	if err != nil {
		posted := url.Values{}
		for k, vs := range r.PostForm {
			if k != csrfField && k != "filing_password" && k != "form_key" {
				posted[k] = vs
			}
		}
		c.showFiling(w, r, statusOf(beian.ErrorCode(err)), &failedAction{Name: name, Err: err, Posted: posted, Key: key})
		return
	}
	redirect(w, r, Base+"/filings/"+id, actionDone[name])
}

// keyWith is a form's key for one choice made in it ("" stays "").
func keyWith(key, choice string) string {
	if key == "" {
		return ""
	}
	return key + ":" + choice
}

// reviewReasons are the reasons of a failed review, one a line: a reason
// may itself contain commas (R-RV-4: the filer reads them as written).
func reviewReasons(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// intakeView is the data of the intake and correction forms.
type intakeView struct {
	F       caseForm
	Ch      formChoices
	Errors  map[string][]string
	Checked bool // the form was checked and passes: it may be saved
	Result  *desk.CheckResult
	Error   string
	Action  string // where the form posts
	Masked  map[string]string
}

func (c *Console) intakeChoices(r *request) (formChoices, intake.Rules, error) {
	rules, err := c.svc.Rules(r.Context())
	if err != nil {
		return formChoices{}, intake.Rules{}, err
	}
	return choicesFor(r.who, rules), rules, nil
}

func (c *Console) newFilingPage(w http.ResponseWriter, r *request) {
	ch, _, err := c.intakeChoices(r)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	f := caseForm{Type: string(beian.TypeNew), SponsorKind: string(beian.SponsorPerson), CertType: beian.CertIDCard, PreApprovalCat: make([]string, 3), PreApprovalDoc: make([]string, 3)}
	c.render(w, r, "intake", "新建备案申请", intakeView{F: f, Ch: ch, Errors: map[string][]string{}, Action: Base + "/filings/new"})
}

// newFiling checks the form with every intake rule (the dry run of POST
// /api/v1/filings/check) and shows each violation beside its field, with
// the checklist and the email subject for the filer; "save" saves it once
// it passes.
func (c *Console) newFiling(w http.ResponseWriter, r *request) {
	ctx := r.Context()
	ch, _, err := c.intakeChoices(r)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	f := caseFormFrom(r.Request)
	v := intakeView{F: f, Ch: ch, Errors: map[string][]string{}, Action: Base + "/filings/new"}
	// The form's key names the case: a second click on 保存 (or a retry)
	// finds the case the first one made, before its domains would make the
	// check report a conflict with itself.
	id := caseIDOf(r.who, r.PostFormValue("form_key"))
	if r.PostFormValue("do") == "save" {
		if done, err := c.savedCase(w, r, id); done || err != nil {
			if err != nil {
				c.fail(w, r.Request, r, err)
			}
			return
		}
	}
	res, err := c.svc.Check(ctx, f.toCase(), f.FilingPassword)
	if err != nil {
		v.Error = beian.ErrorMessage(err)
		c.renderStatus(w, r.Request, r, statusOf(beian.ErrorCode(err)), "intake", "新建备案申请", v)
		return
	}
	v.Result = &res
	remaining, err := desk.AcceptOverrides(r.who, f.Overrides, res.Violations)
	if err != nil {
		v.Error = beian.ErrorMessage(err)
		c.renderStatus(w, r.Request, r, statusOf(beian.ErrorCode(err)), "intake", "新建备案申请", v)
		return
	}
	for _, vi := range remaining {
		ff := formField(vi.Field)
		v.Errors[ff] = append(v.Errors[ff], vi.Message)
	}
	v.Checked = len(remaining) == 0
	if r.PostFormValue("do") != "save" || !v.Checked {
		status := http.StatusOK
		if r.PostFormValue("do") == "save" {
			status = http.StatusUnprocessableEntity
		}
		c.renderStatus(w, r.Request, r, status, "intake", "新建备案申请", v)
		return
	}
	cs := f.toCase()
	cs.ID = id
	cs, warning, err := c.svc.Create(ctx, r.who, cs, f.FilingPassword, f.Overrides)
	if err != nil {
		if done, lerr := c.savedCase(w, r, id); done || lerr != nil { // a click at the same moment made it
			if lerr != nil {
				c.fail(w, r.Request, r, lerr)
			}
			return
		}
		v.Checked, v.Errors = false, fieldErrors(err)
		v.Error = beian.ErrorMessage(err)
		c.renderStatus(w, r.Request, r, statusOf(beian.ErrorCode(err)), "intake", "新建备案申请", v)
		return
	}
	msg := "已创建备案申请 " + cs.CaseNo + "，受理回执已发给网站负责人"
	if warning != "" {
		msg = "已保存备案申请 " + cs.CaseNo + "：" + warning
	}
	redirect(w, r, Base+"/filings/"+cs.ID, msg)
}

// savedCase leads to the case id when it exists (done); a lookup that
// fails for another reason than "no such case" is err.
func (c *Console) savedCase(w http.ResponseWriter, r *request, id string) (done bool, err error) {
	prev, err := c.svc.Case(r.Context(), id)
	switch {
	case err == nil:
		redirect(w, r, Base+"/filings/"+prev.ID, "该申请已保存："+prev.CaseNo)
		return true, nil
	case beian.ErrorCode(err) == beian.CodeNotFound:
		return false, nil
	}
	return false, err
}

// caseIDOf derives a case ID (a UUID) from an intake form's key and the
// staff member sending it; an empty key gets a fresh ID.
func caseIDOf(who desk.Actor, key string) string {
	if key == "" {
		return desk.NewID()
	}
	h := sha256.Sum256([]byte("intake\x00" + who.Name + "\x00" + key))
	h[6] = h[6]&0x0f | 0x50 // version 5 style: name-based
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func (c *Console) correctPage(w http.ResponseWriter, r *request) {
	cs, err := c.svc.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	ch, rules, err := c.intakeChoices(r)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	ch.CorrectionFor = cs
	v := intakeView{F: caseFormOf(cs, rules.PreApprovalCategories), Ch: ch, Errors: map[string][]string{}, Action: Base + "/filings/" + cs.ID + "/correct", Masked: maskedOf(cs)}
	if err := cs.Status.Allows(beian.ActionCorrections); err != nil {
		v.Error = beian.ErrorMessage(err)
	}
	c.render(w, r, "intake", "更正 "+cs.CaseNo, v)
}

// maskedOf are the stored ID numbers, masked, for the correction form's hints.
func maskedOf(cs *beian.Case) map[string]string {
	m := map[string]string{"sponsor.cert_number": maskNum(cs.Sponsor.CertNumber), "principal.id_number": maskNum(cs.Principal.IDNumber)}
	if cs.Sponsor.LegalRep != nil {
		m["sponsor.legal_rep.id_number"] = maskNum(cs.Sponsor.LegalRep.IDNumber)
	}
	return m
}

func maskNum(s string) string {
	if s == "" {
		return ""
	}
	return secret.Mask(s)
}

// correct applies a correction (R-RV-4, R-BR-3): every rule is checked
// again; a failure shows the form with each violation beside its field.
func (c *Console) correct(w http.ResponseWriter, r *request) {
	ctx := r.Context()
	id := r.PathValue("id")
	cur, err := c.svc.Case(ctx, id)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	ch, _, err := c.intakeChoices(r)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	ch.CorrectionFor = cur
	f := caseFormFrom(r.Request)
	next := f.toCase()
	next.Type = cur.Type
	withStored(next, cur)
	err = c.svc.Correct(ctx, r.who, id, desk.Correction{Case: next, FilingPassword: f.FilingPassword, Overrides: f.Overrides}, r.PostFormValue("form_key"))
	if err != nil {
		v := intakeView{F: f, Ch: ch, Errors: fieldErrors(err), Error: beian.ErrorMessage(err), Action: Base + "/filings/" + id + "/correct", Masked: maskedOf(cur)}
		c.renderStatus(w, r.Request, r, statusOf(beian.ErrorCode(err)), "intake", "更正 "+cur.CaseNo, v)
		return
	}
	redirect(w, r, Base+"/filings/"+id, "更正已提交，申请回到接入商审核")
}

// tasksView is the data of the task list.
type tasksView struct {
	Tasks  []beian.Task
	Status string
	Mine   bool // only the tasks assigned to the signed-in specialist
	// Sleeping are calls arranged for later: they come back at their time.
	Sleeping []beian.Task
}

func (c *Console) tasks(w http.ResponseWriter, r *request) {
	status := r.URL.Query().Get("status")
	if status != beian.TaskDone {
		status = beian.TaskOpen
	}
	var (
		tasks []beian.Task
		err   error
	)
	if status == beian.TaskOpen {
		tasks, err = c.svc.Store.ListTasks(r.Context(), "", status) // soonest due first: the work to do
	} else {
		tasks, err = c.svc.Store.RecentTasks(r.Context(), status, 200) // the latest done
	}
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	mine := r.URL.Query().Get("mine") == "1"
	if mine {
		var own []beian.Task
		for _, t := range tasks {
			if t.Assignee == r.who.Name {
				own = append(own, t)
			}
		}
		tasks = own
	}
	v := tasksView{Status: status, Mine: mine}
	now := c.svc.Now()
	for _, t := range tasks {
		if t.Status == beian.TaskOpen && t.DueAt.After(now) && strings.Contains(t.Outcome, `"outcome":"callback"`) {
			v.Sleeping = append(v.Sleeping, t)
		} else {
			v.Tasks = append(v.Tasks, t)
		}
	}
	c.render(w, r, "tasks", "任务", v)
}

// accessView is the data of tech's page.
type accessView struct {
	// Groups are the pending actions by customer, in order of the oldest.
	Groups     []accessGroup
	Pending    []beian.AccessAction
	Confirmed  []beian.AccessAction
	MayConfirm bool
}

func (c *Console) accessActions(w http.ResponseWriter, r *request) {
	pending, err := c.svc.PendingAccessActions(r.Context(), r.who)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	done, err := c.svc.Store.RecentAccessActions(r.Context(), beian.AccessConfirmed, 50)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v := accessView{Pending: pending, Confirmed: done, MayConfirm: desk.MayConfirmAccess(r.who)}
	index := map[string]int{}
	for _, a := range pending {
		g, ok := index[a.CustomerID]
		if !ok {
			g = len(v.Groups)
			index[a.CustomerID] = g
			v.Groups = append(v.Groups, accessGroup{CustomerID: a.CustomerID})
		}
		v.Groups[g].Actions = append(v.Groups[g].Actions, a)
		if a.Kind == beian.AccessCancel {
			v.Groups[g].Cuts++
		}
	}
	c.render(w, r, "access", "接入操作", v)
}

func (c *Console) confirmAccess(w http.ResponseWriter, r *request) {
	a, err := c.svc.ConfirmAccessAction(r.Context(), r.who, r.PathValue("id"), r.PostFormValue("note"))
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	redirect(w, r, Base+"/access-actions", accessKindTitle(a.Kind)+"已确认执行："+strings.Join(append(a.Domains, a.ServerIPs...), " "))
}

// faqView is the data of the answer bank page.
type faqView struct {
	Q       string
	Entries []faqEntry
}

type faqEntry struct {
	ID       int
	Question string
	Answer   string
}

func (c *Console) faq(w http.ResponseWriter, r *request) {
	bank, err := c.svc.AnswerBank()
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v := faqView{Q: q}
	if q == "" {
		for _, e := range bank.All() {
			v.Entries = append(v.Entries, faqEntry{ID: e.ID, Question: e.Question, Answer: e.Answer})
		}
	} else {
		for _, h := range bank.Search(q, 10) {
			v.Entries = append(v.Entries, faqEntry{ID: h.Entry.ID, Question: h.Entry.Question, Answer: h.Entry.Answer})
		}
	}
	c.render(w, r, "faq", "答复库", v)
}

// accessGroup is one customer's pending access actions.
type accessGroup struct {
	CustomerID string
	Actions    []beian.AccessAction
	Cuts       int
}

// pager is the links of a cursor-paged list at path with filter: the next
// page (when there is one) and the first (when this is not it).
func pager(path string, filter url.Values, nextCursor, cursor string) (next, first string) {
	if nextCursor != "" {
		q := url.Values{}
		for k, vs := range filter {
			q[k] = vs
		}
		q.Set("cursor", nextCursor)
		next = path + "?" + q.Encode()
	}
	if cursor != "" {
		first = path + "?" + filter.Encode()
	}
	return next, first
}
