package notices

import (
	"fmt"
	"strings"

	"github.com/beian/beian"
)

// MarketingFollowUp asks marketing (市场部) to follow the filer up: the
// site left us after the shell-site notice and its access was cancelled
// (R-PA-3 ②).
func MarketingFollowUp(c *beian.Case, reason string) Message {
	var b strings.Builder
	b.WriteString("市场部同事：\n\n以下网站在空壳网站排查中发现域名已解析到非我公司IP，通知后 24 小时内未转回，已取消备案接入（R-PA-3）。请联系客户跟进，争取其继续使用我公司接入。\n\n")
	fmt.Fprintf(&b, "备案申请：%s\n主办者：%s\n域名：%s\n", c.CaseNo, c.Sponsor.Name, strings.Join(c.Website.Domains, "、"))
	if c.FilingNumber != "" {
		fmt.Fprintf(&b, "备案号：%s\n", c.FilingNumber)
	}
	if c.CustomerID != "" {
		fmt.Fprintf(&b, "客户：%s\n", c.CustomerID)
	}
	fmt.Fprintf(&b, "情况：%s\n\n%s 备案组\n", reason, c.Routing.AccessProvider)
	return Message{Subject: fmt.Sprintf("【客户跟进】已取消接入（域名转出）：%s %s", c.CaseNo, c.PrimaryName()), Body: b.String()}
}

// SweepNXDomainAlert tells the specialist that a filed domain no longer
// exists (R-PA-3: reported, not cut): the filing may need a change or a
// cancellation.
func SweepNXDomainAlert(c *beian.Case, detail string) Message {
	body := fmt.Sprintf("备案专员：\n\n备案 %s（%s，备案号 %s）的域名在复查时不存在（NXDOMAIN）：%s\n没有取消接入。请与用户核实：域名是否已停用、是否需办理变更或注销备案。\n",
		c.CaseNo, c.Sponsor.Name, orDash(c.FilingNumber), detail)
	return Message{Subject: fmt.Sprintf("【排查】域名不存在，请核实：%s %s", c.CaseNo, c.PrimaryName()), Body: body}
}

// HomepageNumberMissing reminds the filer to show the filing number at the
// foot of the home page (R-PA-5; the FAQ: 未在网站的主页上标明编号 is fined).
func HomepageNumberMissing(c *beian.Case, domain, url string) Message {
	var b strings.Builder
	fmt.Fprintf(&b, "%s：您好！\n\n我公司在例行检查中发现，您的网站首页（%s）未显示备案号 %s。\n", c.Principal.Name, orElse(url, domain), c.FilingNumber)
	b.WriteString("按工信部规定，网站须在首页底部中间位置标明备案号，并链接至工信部备案管理系统网站（https://beian.miit.gov.cn）；未标明的将被处罚。请尽快添加。\n\n")
	fmt.Fprintf(&b, "如有疑问，请直接回复本邮件或发送邮件至 %s。\n\n%s 网站备案组\n（本邮件由备案系统发出）\n", c.Routing.Mailbox, c.Routing.AccessProvider)
	return Message{Subject: fmt.Sprintf("【网站备案】请在首页标明备案号：%s %s", c.FilingNumber, domain), Body: b.String()}
}

func orDash(s string) string { return orElse(s, "—") }

func orElse(s, dflt string) string {
	if strings.TrimSpace(s) == "" {
		return dflt
	}
	return s
}

// SweepUnresolvedAlert tells the specialist that a shell-site deadline has
// found no answer for three hours: nothing is cut for it, a person looks.
func SweepUnresolvedAlert(c *beian.Case, detail string) Message {
	body := fmt.Sprintf("备案专员：\n\n备案 %s（%s）的空壳网站整改已到期，但域名连续 3 次复查未能解析：%s\n没有取消接入，系统每小时再查。请人工核实域名解析（可能是域名的 DNS 服务器故障）。\n",
		c.CaseNo, c.Sponsor.Name, detail)
	return Message{Subject: fmt.Sprintf("【排查】域名复查持续无法解析，请核实：%s %s", c.CaseNo, c.PrimaryName()), Body: body}
}
