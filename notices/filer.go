package notices

import (
	"fmt"
	"strings"
	"time"

	"github.com/beian/beian"
)

// SMSReason is the return reason the MIIT system gives a filing whose SMS
// code was not entered in time (R-BR-6).
const SMSReason = "工信部短信核验超时"

// MIITSite is where filers enter the SMS code (R-BR-6).
const MIITSite = "https://beian.miit.gov.cn"

func filerGreeting(b *strings.Builder, c *beian.Case) {
	fmt.Fprintf(b, "%s：您好！\n\n", orElse(c.Sponsor.Name, "用户"))
}

func filerSignoff(b *strings.Builder, c *beian.Case) {
	b.WriteString("\n如有疑问，请直接回复本邮件")
	if c.Routing.Mailbox != "" {
		fmt.Fprintf(b, "或发送邮件至 %s", c.Routing.Mailbox)
	}
	b.WriteString("。\n受理时间：工作日 8:30–11:30、13:00–17:30。\n\n")
	if c.Routing.AccessProvider != "" {
		b.WriteString(c.Routing.AccessProvider + " ")
	}
	b.WriteString("网站备案组\n（本邮件由备案系统发出）\n")
}

func siteLine(b *strings.Builder, c *beian.Case) {
	fmt.Fprintf(b, "  受理编号：%s\n  网站：%s\n", c.CaseNo, siteLabel(c.Website))
}

func at(t time.Time) string { return t.In(shanghai).Format(TimeLayout) }

// principals are who the MIIT texts: the site's principal, and the
// sponsor's legal representative when that is another person (R-BR-6).
func principals(c *beian.Case) string {
	who := c.Principal.Name
	if lr := c.Sponsor.LegalRep; lr != nil && lr.Name != "" && lr.Name != c.Principal.Name {
		who += "、" + lr.Name
	}
	return orElse(who, "网站负责人")
}

// SMSCheck explains the MIIT's text message to the filer as the case is
// submitted (R-BR-6): what it is, where the code goes, by when.
func SMSCheck(c *beian.Case, due time.Time) Message {
	var b strings.Builder
	filerGreeting(&b, c)
	b.WriteString("您的网站备案已由我公司提交管局。工信部备案系统将向以下人员的手机发送一条短信验证码（工信部短信核验）：" + principals(c) + "。\n\n")
	siteLine(&b, c)
	fmt.Fprintf(&b, "\n请在收到短信后 24 小时内（最迟 %s 前）登录工信部备案管理系统 %s ，点击「短信核验」，输入手机号、短信中的验证码和证件号码完成核验。\n", at(due), MIITSite)
	b.WriteString("逾期未核验或验证码连续输错 5 次，工信部系统会自动退回备案，需要重新审核提交，耽误您的备案时间。\n")
	b.WriteString("短信来自工信部备案系统，不是诈骗短信；请勿将验证码告诉任何人（包括我公司工作人员）。如未收到短信，请回复本邮件告知。\n")
	filerSignoff(&b, c)
	return Message{Subject: fmt.Sprintf("【网站备案】请在 24 小时内完成工信部短信核验：%s %s", c.CaseNo, c.PrimaryName()), Body: b.String()}
}

// SMSReminder reminds the filer while the SMS code is still not entered
// (R-BR-6: the MIIT re-sends it at noon the next day).
func SMSReminder(c *beian.Case, due time.Time) Message {
	var b strings.Builder
	filerGreeting(&b, c)
	b.WriteString("您的网站备案尚未完成工信部短信核验。工信部备案系统会再次发送验证码短信到 " + principals(c) + " 的手机。\n\n")
	siteLine(&b, c)
	fmt.Fprintf(&b, "\n请在 %s 前登录 %s ，在「短信核验」中输入验证码。逾期工信部系统将自动退回备案。\n", at(due), MIITSite)
	filerSignoff(&b, c)
	return Message{Subject: fmt.Sprintf("【网站备案】提醒：工信部短信核验即将超时：%s %s", c.CaseNo, c.PrimaryName()), Body: b.String()}
}

// SMSExpiredAlert tells the specialist that a case returned because the
// SMS code was not entered (R-BR-6): review and submit it again.
func SMSExpiredAlert(c *beian.Case) Message {
	body := fmt.Sprintf("备案专员：\n\n备案申请 %s（%s，%s）提交后 24 小时内未完成工信部短信核验，已被工信部系统退回（%s）。\n已通知用户。请联系网站负责人（%s）确认手机能收到短信后，重新审核提交。\n",
		c.CaseNo, c.Sponsor.Name, c.PrimaryName(), SMSReason, c.Principal.Name)
	return Message{Subject: fmt.Sprintf("【短信核验超时】已退回：%s %s", c.CaseNo, c.PrimaryName()), Body: body}
}

// PublicSecurityReminder reminds the filer to file the site with public
// security within 30 days of opening (R-PA-6).
func PublicSecurityReminder(c *beian.Case, p *beian.PublicSecurity) Message {
	var b strings.Builder
	filerGreeting(&b, c)
	days := int(p.DueAt.Sub(p.OpenedAt).Hours()/24 + 0.5)
	fmt.Fprintf(&b, "您的网站已于 %s 开通（备案号 %s）。按规定，网站开通之日起 %d 日内须到全国互联网安全管理服务平台（https://beian.mps.gov.cn）办理公安联网备案，并在网站首页底部标明公安备案号。\n\n",
		p.OpenedAt.In(shanghai).Format("2006-01-02"), orDash(c.FilingNumber), days)
	siteLine(&b, c)
	fmt.Fprintf(&b, "\n办理期限：%s 前。办好后请回复本邮件告知公安备案号（如「苏公网安备32050502000001号」），我公司登记后不再提醒。\n", p.DueAt.In(shanghai).Format("2006-01-02"))
	filerSignoff(&b, c)
	return Message{Subject: fmt.Sprintf("【网站备案】请在 %s 前办理公安联网备案：%s %s", p.DueAt.In(shanghai).Format("01-02"), orElse(c.FilingNumber, c.CaseNo), c.PrimaryName()), Body: b.String()}
}

// PublicSecurityOverdueAlert tells the specialist that a site is past its
// 30 days without a public-security number on record (R-PA-6).
func PublicSecurityOverdueAlert(c *beian.Case, p *beian.PublicSecurity) Message {
	body := fmt.Sprintf("备案专员：\n\n备案 %s（%s，备案号 %s）的网站于 %s 开通，已超过 %d 日仍未登记公安联网备案号（已提醒用户 %d 次）。请联系用户办理并登记公安备案号。\n",
		c.CaseNo, c.Sponsor.Name, orDash(c.FilingNumber), p.OpenedAt.In(shanghai).Format("2006-01-02"), beian.PublicSecurityDays, p.Reminded)
	return Message{Subject: fmt.Sprintf("【公安备案逾期】%s %s", orElse(c.FilingNumber, c.CaseNo), c.PrimaryName()), Body: body}
}

// RejectedAttachments tells a filer which files of their mail were not
// accepted and why (R-IN-3), so they can send them again.
func RejectedAttachments(m *beian.InboundMail, mailbox string, truncated bool) Message {
	var b strings.Builder
	b.WriteString("您好！\n\n我们收到了您")
	when := m.ReceivedAt.In(shanghai).Format(TimeLayout)
	accepted := 0
	if truncated {
		fmt.Fprintf(&b, " %s 发送的邮件「%s」，但整封邮件超过大小上限，附件均未能接收。\n", when, orElse(m.Subject, "（无主题）"))
	} else {
		fmt.Fprintf(&b, " %s 发送的邮件「%s」，但以下附件未能接收：\n", when, orElse(m.Subject, "（无主题）"))
		for _, a := range m.Attachments {
			if a.Rejected != "" {
				fmt.Fprintf(&b, "  · %s：%s\n", orElse(a.Name, "（无文件名）"), a.Rejected)
			} else {
				accepted++
			}
		}
	}
	b.WriteString("\n请将这些材料转为 PDF 或 JPG 格式（每个文件不超过 20MB，可分多封邮件）后重新发送")
	if mailbox != "" {
		b.WriteString("至 " + mailbox)
	}
	b.WriteString("，邮件主题保持「网站主办者全称+备案域名」。")
	if accepted > 0 {
		b.WriteString("其余附件已收到。")
	}
	b.WriteString("\n\n网站备案组\n（本邮件由备案系统发出）\n")
	return Message{Subject: "Re: " + orElse(m.Subject, "您的来信") + "（部分附件未接收）", Body: b.String()}
}

// MailReplyAlert tells the specialist at 16:30 that a filer's mail is
// still unanswered and due at the end of the working day (R-RV-6).
func MailReplyAlert(m *beian.InboundMail, due time.Time) Message {
	body := fmt.Sprintf("备案专员：\n\n以下来信尚未回复，须在 %s 前回复（R-RV-6 当日事，当日毕）：\n  发件人：%s\n  主题：%s\n  收到：%s\n  申请：%s\n请在工作台「邮件」中回复。\n",
		at(due), m.From, orElse(m.Subject, "（无主题）"), at(m.ReceivedAt), orDash(m.CaseNo))
	return Message{Subject: fmt.Sprintf("【待回复邮件】%s 前回复：%s", due.In(shanghai).Format("15:04"), orElse(m.Subject, "（无主题）")), Body: body}
}

// MailReplyOverdue tells the supervisor that a filer's mail passed its
// reply deadline unanswered (R-RV-6).
func MailReplyOverdue(m *beian.InboundMail, due time.Time) Message {
	body := fmt.Sprintf("主管：\n\n以下来信到 %s 仍未回复（R-RV-6 当日事，当日毕），已提醒备案专员：\n  邮箱：%s\n  发件人：%s\n  主题：%s\n  收到：%s\n  申请：%s\n",
		at(due), m.Account, m.From, orElse(m.Subject, "（无主题）"), at(m.ReceivedAt), orDash(m.CaseNo))
	return Message{Subject: fmt.Sprintf("【邮件超时未回复】%s：%s", orDash(m.CaseNo), orElse(m.Subject, "（无主题）")), Body: body}
}

// PublicSecurityNumberMissing reminds the filer to show the recorded
// public-security number on the home page (R-PA-6).
func PublicSecurityNumberMissing(c *beian.Case, domain, url, number string) Message {
	var b strings.Builder
	filerGreeting(&b, c)
	fmt.Fprintf(&b, "我公司在例行检查中发现，您的网站首页（%s）显示了备案号，但未显示公安联网备案号 %s。\n", orElse(url, domain), number)
	b.WriteString("按规定，公安联网备案号须在网站首页底部标明，并链接至全国互联网安全管理服务平台。请尽快添加。\n")
	filerSignoff(&b, c)
	return Message{Subject: fmt.Sprintf("【网站备案】请在首页标明公安备案号：%s %s", number, domain), Body: b.String()}
}
