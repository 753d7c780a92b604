package console

import (
	"errors"
	"fmt"
	"html/template"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/secret"
)

// funcs are the templates' helpers: formatting only, no rule.
var funcs = template.FuncMap{
	"dt":          func(t any) string { return formatTime(t, "2006-01-02 15:04") },
	"date":        func(t any) string { return formatTime(t, "2006-01-02") },
	"statusTitle": func(s beian.Status) string { return s.Title() },
	"statusClass": func(s any) string { return statusClass(beian.Status(fmt.Sprint(s))) },
	"typeTitle":   func(t beian.CaseType) string { return t.Title() },
	"roleTitle":   beian.RoleTitle,
	"homeOf":      home, // the brand link: each role's own first page
	"join":        strings.Join,
	"mask":        secret.Mask,
	"udomains":    desk.UnicodeDomains,
	"errs":        func(m map[string][]string, key string) []string { return m[key] },
	"has":         slices.Contains[[]string, string],
	"add":         func(a, b int) int { return a + b },
	"accessKind":  accessKindTitle,
	"sweepClass":  func(c beian.SweepClass) string { return c.Title() },
	"hours": func(h float64) string {
		if h == 0 {
			return "—"
		}
		if h < 1 {
			return fmt.Sprintf("%.0f 分钟", h*60)
		}
		return fmt.Sprintf("%.1f 小时", h)
	},
	"count":      func(m map[beian.SweepClass]int, c any) int { return m[beian.SweepClass(fmt.Sprint(c))] },
	"eventTitle": eventTitle,
	"taskKind":   taskKindTitle,
	"lines":      func(s []string) string { return strings.Join(s, "\n") },
	"formkey":    formKey,
	"matchedBy": func(how string) string {
		switch how {
		case "subject":
			return "按邮件主题匹配"
		case "case_no":
			return "按受理编号匹配"
		case "sender":
			return "按发件人匹配"
		case "manual":
			return "人工归入"
		}
		return how
	},
	"kb": func(n int64) string {
		switch {
		case n >= 1<<20:
			return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
		case n >= 1<<10:
			return fmt.Sprintf("%d KB", n>>10)
		}
		return fmt.Sprintf("%d B", n)
	},
	// keyfor is the key a case-page form sends: the queued one's own again
	// (the same update), a fresh one for every other form.
	"keyfor": func(v filingView, name string) string {
		if v.Queued && v.Action == name {
			return v.QueuedKey
		}
		return v.FormKey
	},
	// formerr is the error of a case-page form when it is the one that failed.
	"formerr": func(v filingView, name string) string {
		if v.Action != name || v.Queued {
			return ""
		}
		return v.ActionError
	},
}

func formatTime(t any, layout string) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.In(desk.Shanghai).Format(layout)
	case *time.Time:
		if v == nil || v.IsZero() {
			return "—"
		}
		return v.In(desk.Shanghai).Format(layout)
	}
	return "—"
}

// statusClass is the CSS class of a status badge: its colour says whose move it is.
func statusClass(s beian.Status) string {
	switch s {
	case beian.StatusAwaitingMaterials:
		return "st st-wait"
	case beian.StatusUnderReview:
		return "st st-ours"
	case beian.StatusNeedsCorrection, beian.StatusBureauReturned:
		return "st st-filer"
	case beian.StatusBureauReview:
		return "st st-bureau"
	case beian.StatusApproved:
		return "st st-ok"
	case beian.StatusRectifying, beian.StatusAccessCancelled:
		return "st st-alert"
	}
	return "st st-end"
}

func accessKindTitle(kind string) string { return beian.AccessKindTitle(kind) }

func taskKindTitle(kind string) string {
	if kind == beian.TaskVerificationCall {
		return "核验电话"
	}
	return kind
}

// eventTitles name the timeline's events as staff say them.
var eventTitles = map[string]string{
	"created":                     "创建申请",
	"receipt_sent":                "已发送受理回执",
	"materials_received":          "收到部分材料",
	"materials_complete":          "材料已齐全",
	"review_failed":               "审核不通过",
	"submitted":                   "已提交管局",
	"corrected":                   "已更正",
	"bureau_received":             "管局已接收",
	"bureau_returned":             "管局退回",
	"bureau_approved":             "管局审核通过",
	"filing_cancelled":            "备案已注销",
	"withdrawn":                   "已撤回",
	"rectification_required":      "要求整改",
	"rectified":                   "整改完成",
	"access_restored":             "恢复接入",
	"access_cancellation_ordered": "取消接入",
	"access_confirmed":            "技术部已执行",
	"bureau_signal_refused":       "管局结果未能处理",
	"linked_outcome":              "关联申请结果",
	"purged":                      "超期删除",
	"bureau_overdue":              "管局审核超期",
	"rectification_expired":       "整改超时",
	"moved_back":                  "域名已转回我司",
	"sms_verified":                "已完成工信部短信核验",
	"sms_reminded":                "提醒短信核验",
	"sms_expired":                 "短信核验超时退回",
	"public_security_recorded":    "登记公安备案号",
	"public_security_reminded":    "提醒公安备案",
	"public_security_overdue":     "公安备案逾期",
	"mail_received":               "收到邮件",
	"mail_replied":                "回复邮件",
	"mail_reply_alert":            "邮件待回复提醒",
	"mail_reply_escalation":       "邮件超时未回复",
	"sweep_nxdomain":              "复查：域名不存在",
	"sweep_recheck_deferred":      "复查未能解析，稍后再查",
	"sweep_nxdomain_found":        "排查：域名不存在",
	"homepage_number_missing":     "首页未标明备案号",
	"rule_overridden":             "主管接受规则例外",
	"mail_failed":                 "邮件发送失败",
	"verified":                    "核验一致",
	"verification_mismatch":       "核验不一致",
	"call_not_answered":           "核验电话无人接听",
	"verification_call_requested": "加核验电话",
	"verification_false_info":     "核验：信息虚假",
	"verification_uncooperative":  "核验：不配合",
	"escalated":                   "已上报整改",
	"escalation_reported":         "已上报总经理",
	"access_chased":               "催办技术部",
	"callback_arranged":           "约定回拨",
	"callback_due":                "回拨时间到",
	"callback_late":               "回拨超时",
	"sponsor_blacklisted":         "主办者列入黑名单",
}

func eventTitle(e string) string {
	if t, ok := eventTitles[e]; ok {
		return t
	}
	return e
}

// indexPattern strips list indexes from a violation's field:
// website.domains[1] is shown beside the domains box.
var indexPattern = regexp.MustCompile(`\[\d+\]`)

// formField is the form field a violation's field belongs to.
func formField(field string) string { return indexPattern.ReplaceAllString(field, "") }

// fieldErrors groups the messages of an error's violations by form field;
// an error without violations is under "".
func fieldErrors(err error) map[string][]string {
	out := map[string][]string{}
	var e *beian.Error
	if !errors.As(err, &e) {
		out[""] = append(out[""], beian.ErrorMessage(err))
		return out
	}
	for _, v := range e.Violations {
		f := formField(v.Field)
		out[f] = append(out[f], v.Message)
	}
	if len(e.Violations) == 0 {
		out[""] = append(out[""], e.Message)
	}
	return out
}

// durationLeft says how long until t, or how long ago it passed, in hours
// and minutes (the 24-hour rectification deadline).
func durationLeft(now time.Time, t time.Time) string {
	d := t.Sub(now)
	late := d < 0
	if late {
		d = -d
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	s := fmt.Sprintf("%d 小时 %d 分", h, m)
	if late {
		return "已超时 " + s
	}
	return "剩余 " + s
}
