package beian

import (
	"fmt"
	"strings"
)

// Access-provider names used in the verification call script (R-VC-2).
const (
	ProviderJiangsu = "中网科技（苏州）股份有限公司"
	ProviderAnhui   = "安徽易速网络科技有限公司"
)

// CallerCompany is how the specialist introduces the company on a
// verification call (R-VC-2): the short form of the access provider of the
// case's data centre (R-ENT-1), so 中网科技（苏州）股份有限公司 is 中网科技
// and 安徽易速网络科技有限公司 is 安徽易速网络. A data centre with a new
// provider needs no code change.
func CallerCompany(accessProvider string) string {
	s := strings.TrimSpace(accessProvider)
	// A place in brackets is part of the registered name, not of how
	// people say it: 中网科技（苏州） → 中网科技.
	for _, br := range [][2]string{{"（", "）"}, {"(", ")"}} {
		if i := strings.Index(s, br[0]); i > 0 {
			if j := strings.Index(s[i:], br[1]); j > 0 {
				s = s[:i] + s[i+j+len(br[1]):]
			}
		}
	}
	// The legal form goes; the manual says 安徽易速网络 without 科技 but
	// 中网科技 with it, so 科技 goes only with a plain 有限公司.
	for _, suffix := range []string{"股份有限公司", "科技有限公司", "有限责任公司", "有限公司"} {
		if t, ok := strings.CutSuffix(s, suffix); ok && t != "" {
			return t
		}
	}
	if s == "" {
		return "我司"
	}
	return s
}

// VerificationScript is the verification call script (真实性核验电话) of
// R-VC-2 filled in for case c, in the manual's order.
func VerificationScript(c *Case) string {
	site := c.Website.Name
	if site == "" {
		site = c.PrimaryName()
	}
	who := c.Sponsor.Name + "单位"
	nameQ := fmt.Sprintf("请问“%s”网站对应的单位名称是？", site)
	if c.Sponsor.Kind == SponsorPerson {
		who = c.Sponsor.Name
		nameQ = "请问您的姓名是？"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "1. 您好！请问是%s吗？\n", who)
	fmt.Fprintf(&b, "2. 我是%s的网站备案核查专员，联系您是需要对“%s”网站进行真实性核验，大约1分钟时间，请予以配合？\n", CallerCompany(c.Routing.AccessProvider), site)
	b.WriteString("   如对方不方便：“请问您什么时间方便，我再联络您核对？”记下时间，准时再次拨通电话核对。\n")
	b.WriteString("3. 感谢您的配合，请回答以下问题（与核验单上的信息核对）：\n")
	fmt.Fprintf(&b, "   a) %s（应为：%s）\n", nameQ, c.Sponsor.Name)
	fmt.Fprintf(&b, "   b) “%s”网站的负责人是？（应为：%s）\n", site, c.Principal.Name)
	if c.Principal.Mobile != "" {
		fmt.Fprintf(&b, "   c) 网站联系人手机是 %s，请报后四位号码？（拨打手机时请改问固定电话后四位）\n", maskPhone(c.Principal.Mobile))
	} else {
		fmt.Fprintf(&b, "   c) 网站联系人固定电话是 %s，请报后四位号码？\n", maskPhone(c.Principal.Landline))
	}
	b.WriteString("   d) 联系邮箱 @ 后面的域名是？\n")
	fmt.Fprintf(&b, "   e) 联系地址所在的省份和城市是？（应为：%s%s）\n", c.Sponsor.Province, c.Sponsor.City)
	b.WriteString("4. 结束语：请妥善保管备案账号信息，今后信息有变更请及时办理备案变更。谢谢！\n")
	b.WriteString("（核对不一致：记录正确答案，更正资料后再次确认，R-VC-3；信息虚假或不配合：上报客户经理上级并要求整改，R-VC-4）\n")
	return b.String()
}

// maskPhone shows a phone number with its last four digits hidden, so the
// specialist can ask for them.
func maskPhone(p string) string {
	r := []rune(p)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:len(r)-4]) + "****"
}
