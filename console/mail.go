package console

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
)

// mailboxView is the mailbox queue (R-IN-3, R-RV-6): mail waiting for a
// specialist to match it, mail to answer today, mail answered.
type mailboxView struct {
	Tab   string
	Mails []beian.InboundMail
	// Tonight is the end of today: a reply due by then is today's work.
	Tonight time.Time
	Counts  map[string]int
}

var mailTabs = map[string]string{"due": beian.InboundMatched, "unmatched": beian.InboundUnmatched, "replied": beian.InboundReplied}

func (c *Console) mailbox(w http.ResponseWriter, r *request) {
	tab := r.URL.Query().Get("tab")
	if _, ok := mailTabs[tab]; !ok {
		tab = "due"
	}
	ms, err := c.svc.Mail(r.Context(), r.who, mailTabs[tab], "")
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	counts, err := c.svc.MailCounts(r.Context(), r.who)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	now := c.svc.Now().In(desk.Shanghai)
	v := mailboxView{Tab: tab, Mails: ms, Tonight: time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, desk.Shanghai), Counts: map[string]int{}}
	for t, st := range mailTabs {
		v.Counts[t] = counts[st]
	}
	if tab == "due" { // soonest deadline first: what must go today on top
		slices.SortStableFunc(v.Mails, func(a, b beian.InboundMail) int { return dueOf(a).Compare(dueOf(b)) })
	}
	c.render(w, r, "mailbox", "邮件", v)
}

func dueOf(m beian.InboundMail) time.Time {
	if m.ReplyDueAt == nil {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return *m.ReplyDueAt
}

// mailView is one mail: its text, its files (each with the checklist item
// it is, or the one its name suggests), the match form and the reply form.
type mailView struct {
	M       *beian.InboundMail
	Case    *beian.Case
	Files   []fileRow
	FormKey string
	Late    bool
	// Error and Posted are a failed form's message and what was typed.
	Error  string
	Form   string
	Posted map[string]string
}

type fileRow struct {
	A       beian.InboundAttachment
	Suggest string
}

func (c *Console) mailMessage(w http.ResponseWriter, r *request) {
	c.showMail(w, r, http.StatusOK, "", "", nil)
}

func (c *Console) showMail(w http.ResponseWriter, r *request, status int, form, msg string, posted map[string]string) {
	ctx := r.Context()
	m, err := c.svc.MailMessage(ctx, r.who, r.PathValue("id"))
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v := mailView{M: m, FormKey: formKey(), Error: msg, Form: form, Posted: posted}
	if m.CaseID != "" {
		if v.Case, err = c.svc.Case(ctx, m.CaseID); err != nil {
			c.fail(w, r.Request, r, err)
			return
		}
	}
	for _, a := range m.Attachments {
		row := fileRow{A: a}
		if v.Case != nil && a.ChecklistCode == "" && a.Rejected == "" {
			row.Suggest = desk.SuggestChecklist(a.Name, v.Case.Checklist)
		}
		v.Files = append(v.Files, row)
	}
	v.Late = m.Status == beian.InboundMatched && m.ReplyDueAt != nil && m.ReplyDueAt.Before(c.svc.Now())
	title := m.Subject
	if title == "" {
		title = "（无主题）"
	}
	c.renderStatus(w, r.Request, r, status, "mailmsg", title, v)
}

func (c *Console) replyMail(w http.ResponseWriter, r *request) {
	id := r.PathValue("id")
	body := r.PostFormValue("body")
	if _, err := c.svc.ReplyMail(r.Context(), r.who, id, body, r.PostFormValue("form_key")); err != nil {
		c.showMail(w, r, statusOf(beian.ErrorCode(err)), "reply", beian.ErrorMessage(err), map[string]string{"body": body})
		return
	}
	redirect(w, r, Base+"/mail/"+id, "回复已提交发送（经发件箱，与来信串联）")
}

func (c *Console) matchMail(w http.ResponseWriter, r *request) {
	id := r.PathValue("id")
	ref := strings.TrimSpace(r.PostFormValue("case"))
	caseID, err := c.svc.FindCaseRef(r.Context(), r.who, ref)
	if err == nil {
		_, err = c.svc.MatchMailByHand(r.Context(), r.who, id, caseID)
	}
	if err != nil {
		c.showMail(w, r, statusOf(beian.ErrorCode(err)), "match", beian.ErrorMessage(err), map[string]string{"case": ref})
		return
	}
	redirect(w, r, Base+"/mail/"+id, "邮件已归入申请，当日回复期限开始计时")
}

// tickAttachment says which checklist item a mailed file is (R-IN-3).
func (c *Console) tickAttachment(w http.ResponseWriter, r *request) {
	caseID, aid := r.PathValue("id"), r.PathValue("aid")
	back := strings.TrimSpace(r.PostFormValue("back"))
	if !strings.HasPrefix(back, Base+"/") || strings.HasPrefix(back, "//") {
		back = Base + "/filings/" + caseID + "#attachments"
	}
	if _, err := c.svc.TickAttachment(r.Context(), r.who, caseID, aid, r.PostFormValue("code")); err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	redirect(w, r, back, "已标明附件对应的材料")
}
