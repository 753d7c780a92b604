package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/verify"
)

// callView is the data of the call page: the script on the left, the
// answer form on the right, and what the call found once recorded.
type callView struct {
	Task       *beian.Task
	Case       *beian.Case
	Result     *desk.CallResult
	Questions  []callQuestion
	Dialled    string
	Note       string
	CallbackAt string
	FormKey    string
	Error      string
}

// callQuestion is one answer box of the form.
type callQuestion struct {
	Key, Title, Value, Hint string
}

func (c *Console) callPage(w http.ResponseWriter, r *request) {
	c.showCall(w, r, http.StatusOK, nil, nil)
}

// showCall renders the call page; posted and err are a failed form's.
func (c *Console) showCall(w http.ResponseWriter, r *request, status int, posted map[string]string, formErr error) {
	ctx := r.Context()
	res, err := c.svc.CallOf(ctx, r.PathValue("id"))
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	if res.Task.Kind != beian.TaskVerificationCall || res.Task.CaseID == "" {
		c.fail(w, r.Request, r, beian.Errorf(beian.CodeNotFound, "任务 %s 不是核验电话", res.Task.ID))
		return
	}
	cs, err := c.svc.Case(ctx, res.Task.CaseID)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v := callView{Task: res.Task, Case: cs, Result: res, FormKey: formKey()}
	hints := map[string]string{
		verify.SponsorName: "单位名称或个人姓名", verify.Principal: "姓名", verify.PhoneLast4: "四位数字",
		verify.EmailDomain: "@ 后面的部分", verify.Province: "如 江苏", verify.City: "如 苏州",
	}
	for _, q := range verify.Questions {
		v.Questions = append(v.Questions, callQuestion{Key: q, Title: verify.Title(q), Value: posted[q], Hint: hints[q]})
	}
	v.Dialled, v.Note, v.CallbackAt = posted["dialled"], posted["note"], posted["callback_at"]
	if formErr != nil {
		v.Error = beian.ErrorMessage(formErr)
	}
	c.renderStatus(w, r.Request, r, status, "call", "核验电话 "+cs.CaseNo, v)
}

// completeCall records the call (R-VC-1, R-VC-3) and shows what it found.
func (c *Console) completeCall(w http.ResponseWriter, r *request) {
	id := r.PathValue("id")
	posted := map[string]string{"dialled": strings.TrimSpace(r.PostFormValue("dialled")), "note": strings.TrimSpace(r.PostFormValue("note")),
		"callback_at": strings.TrimSpace(r.PostFormValue("callback_at"))}
	answers := map[string]string{}
	for _, q := range verify.Questions {
		posted[q] = strings.TrimSpace(r.PostFormValue(q))
		answers[q] = posted[q]
	}
	outcome := r.PostFormValue("outcome")
	if outcome != "answered" {
		answers = nil
	}
	report := desk.CallReport{Outcome: outcome, Answers: answers, Dialled: posted["dialled"], Note: posted["note"]}
	if outcome == "callback" {
		t, err := time.ParseInLocation("2006-01-02T15:04", posted["callback_at"], desk.Shanghai)
		if err != nil {
			c.showCall(w, r, http.StatusUnprocessableEntity, posted, beian.Errorf(beian.CodeInvalid, "请填写约定的回拨时间"))
			return
		}
		report.CallbackAt = t
	}
	res, err := c.svc.CompleteCall(r.Context(), r.who, id, report, r.PostFormValue("form_key"))
	if err != nil {
		c.showCall(w, r, statusOf(beian.ErrorCode(err)), posted, err)
		return
	}
	msg := "已记录：无人接听（第 " + strconv.Itoa(res.NoAnswer) + " 次）"
	switch {
	case outcome == "callback":
		msg = "已约定 " + report.CallbackAt.Format("01-02 15:04") + " 回拨：到时任务会提醒，30 分钟未拨打将提醒主管"
	case outcome == "false_info" || outcome == "uncooperative":
		msg = "已上报客户经理上级，该客户全部备案限期 24 小时整改（R-VC-4）"
	case res.Result == "match":
		msg = "核验一致，备案信息已确认（R-VC-1）"
	case res.Result == "mismatch":
		var titles []string
		for _, q := range res.Mismatches {
			titles = append(titles, verify.Title(q))
		}
		msg = "核验不一致：" + strings.Join(titles, "、") + "。请更正资料后完成再次核验（R-VC-3）"
	}
	redirect(w, r, Base+"/tasks/"+id, msg)
}

// rectGroup is one customer's filings under a 24-hour rectification order.
type rectGroup struct {
	CustomerID string
	Rows       []rectRow
}

type rectRow struct {
	C    *beian.Case
	Left string
	Late bool
}

// rectView is the data of the rectification page: the filings under a
// 24-hour order (R-PA-3, R-VC-4) by customer, deadline counting down, and
// those whose access is cut.
type rectView struct {
	Groups []rectGroup
	Cut    []caseRow
}

func (c *Console) rectifications(w http.ResponseWriter, r *request) {
	ctx := r.Context()
	page, err := c.svc.Cases(ctx, beian.CaseFilter{Status: beian.StatusRectifying, Limit: 200})
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	now := c.svc.Now()
	v := rectView{}
	index := map[string]int{}
	for i := range page.Items {
		cs := &page.Items[i]
		row := rectRow{C: cs}
		if cs.Deadlines.RectifyBy != nil {
			row.Left, row.Late = durationLeft(now, *cs.Deadlines.RectifyBy), cs.Deadlines.RectifyBy.Before(now)
		}
		g, ok := index[cs.CustomerID]
		if !ok {
			g = len(v.Groups)
			index[cs.CustomerID] = g
			v.Groups = append(v.Groups, rectGroup{CustomerID: cs.CustomerID})
		}
		v.Groups[g].Rows = append(v.Groups[g].Rows, row)
	}
	cut, err := c.svc.Cases(ctx, beian.CaseFilter{Status: beian.StatusAccessCancelled, Limit: 100})
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	cal, err := c.svc.Calendar(ctx)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v.Cut = rowsOf(cut.Items, cal, now)
	c.render(w, r, "rectifications", "整改", v)
}
