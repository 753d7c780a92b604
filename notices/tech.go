package notices

import (
	"fmt"
	"strings"

	"github.com/beian/beian"
)

// AccessActionForTech is the work order sent to tech (技术部) for an access
// action (R-AC-1): what to open, cancel or restore, and why. Tech confirms it
// through the API once done.
func AccessActionForTech(c *beian.Case, kind, reason string) Message {
	verb := map[string]string{
		beian.AccessOpen:    "开通接入",
		beian.AccessCancel:  "取消接入",
		beian.AccessRestore: "恢复接入",
	}[kind]
	if verb == "" {
		verb = kind
	}
	domains := strings.Join(c.Website.Domains, "、")
	if domains == "" {
		domains = "（无域名，仅IP访问）"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "技术部同事：\n\n请为以下网站%s，完成后在备案系统“接入操作”中确认。\n\n", verb)
	fmt.Fprintf(&b, "备案申请：%s\n主办者：%s\n域名：%s\n服务器IP：%s\n", c.CaseNo, c.Sponsor.Name, domains, strings.Join(c.Website.ServerIPs, "、"))
	if c.FilingNumber != "" {
		fmt.Fprintf(&b, "备案号：%s\n", c.FilingNumber)
	}
	fmt.Fprintf(&b, "原因：%s\n\n%s 备案组\n", reason, c.Routing.AccessProvider)
	return Message{Subject: fmt.Sprintf("【%s】%s %s", verb, c.CaseNo, c.PrimaryName()), Body: b.String()}
}

// BureauSignalRefused alerts staff that a bureau result arrived from the
// integration but the case could not take it (e.g. a decision for a case no
// longer under bureau review): someone must look at it.
func BureauSignalRefused(c *beian.Case, decision, number, reason string) Message {
	var b strings.Builder
	fmt.Fprintf(&b, "备案专员：\n\n管局接口送来的结果未能应用到备案申请 %s（%s，当前状态：%s）。\n", c.CaseNo, c.PrimaryName(), c.Status.Title())
	fmt.Fprintf(&b, "结论：%s\n备案号：%s\n原因：%s\n\n请核对管局系统中的状态并手工处理。\n", decision, number, reason)
	return Message{Subject: fmt.Sprintf("【需处理】管局结果未能应用 %s %s", c.CaseNo, c.PrimaryName()), Body: b.String()}
}

// AccessActionForTechSupervisor is the work order of an escalation (R-VC-4)
// to tech's supervisor (技术部主管): stop, or after a passing verification
// call restore, every server of the filing.
func AccessActionForTechSupervisor(c *beian.Case, kind, reason string) Message {
	m := AccessActionForTech(c, kind, reason)
	m.Body = strings.Replace(m.Body, "技术部同事：", "技术部主管：\n\n该客户的备案因核验发现虚假信息或不配合核验、逾期未整改（R-VC-4），须停止该客户的全部网络接入；以下每个服务器IP须分别确认。", 1)
	if kind == beian.AccessRestore {
		m.Body = strings.Replace(m.Body, "逾期未整改（R-VC-4），须停止该客户的全部网络接入；以下每个服务器IP须分别确认。", "已重新核验一致（整改合格），可恢复接入；以下每个服务器IP须分别确认。", 1)
	}
	m.Subject = "【主管】" + m.Subject
	return m
}
