package notices_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/notices"
)

// The fixed text of R-PA-3, written out here rather than taken from the
// package so that a changed constant fails the test.
const shellSiteText = "告知工信部要求对非我公司接入的网站取消接入，会成为空壳网站，将会被工信部注销备案号"

const dnsText = "备案信息务必准确，域名解析必须是我公司机房的IP，否则工信部会随时取消备案"

// every lists each notice with a rendering function, so properties that hold
// for all of them are checked for all of them.
var every = []struct {
	name   string
	staff  bool
	render func(c *beian.Case) notices.Message
}{
	{"Receipt", false, notices.Receipt},
	{"CorrectionNeeded", false, func(c *beian.Case) notices.Message {
		return notices.CorrectionNeeded(c, []string{"幕布照片不清晰"})
	}},
	{"Submitted", false, notices.Submitted},
	{"Approved", false, notices.Approved},
	{"Returned", false, func(c *beian.Case) notices.Message { return notices.Returned(c, "网站名称与内容不符") }},
	{"OverdueAlert", true, notices.OverdueAlert},
	{"Purged", false, notices.Purged},
	{"RectificationRequired", false, notices.RectificationRequired},
	{"AccessCancelled", false, func(c *beian.Case) notices.Message {
		return notices.AccessCancelled(c, "24小时内未转回接入")
	}},
	{"AccessRestored", false, notices.AccessRestored},
	{"Withdrawn", false, notices.Withdrawn},
	{"Cancelled", false, notices.Cancelled},
	{"SMSCheck", false, func(c *beian.Case) notices.Message { return notices.SMSCheck(c, *c.Deadlines.BureauDueAt) }},
	{"SMSReminder", false, func(c *beian.Case) notices.Message { return notices.SMSReminder(c, *c.Deadlines.BureauDueAt) }},
	{"SMSExpiredAlert", true, notices.SMSExpiredAlert},
	{"PublicSecurityReminder", false, func(c *beian.Case) notices.Message {
		return notices.PublicSecurityReminder(c, &beian.PublicSecurity{OpenedAt: *c.Deadlines.BureauDueAt, DueAt: c.Deadlines.BureauDueAt.AddDate(0, 0, 30)})
	}},
	{"PublicSecurityOverdueAlert", true, func(c *beian.Case) notices.Message {
		return notices.PublicSecurityOverdueAlert(c, &beian.PublicSecurity{OpenedAt: *c.Deadlines.BureauDueAt, Reminded: 2})
	}},
}

func TestReceipt(t *testing.T) {
	t.Parallel()
	c := newCase()
	m := notices.Receipt(c)

	require.Contains(t, m.Subject, "JS-2026-000042")
	require.Contains(t, m.Subject, "example.cn")
	for _, want := range []string{
		"JS-2026-000042",
		"example.cn、例子.中国", // domains as given, not punycode
		"JSBA@ChinaNet.CC",
		"邮件主题：广州示例科技有限公司+example.cn", // R-IN-3
		"500K",
		"广东省通信管理局",          // R-ENT-3: the sponsor's bureau, not the server's (江苏)
		"2026-10-28 10:30",  // R-RV-5, 02:30 UTC in Beijing time
		"超过一个月",             // R-RV-5
		"「" + dnsText + "」", // R-RV-2, the manual's words
		"共 4 项，已收到 1 项",
		"中网科技（苏州）股份有限公司 网站备案组",
	} {
		require.Contains(t, m.Body, want)
	}
	// Each checklist item on its own line with its state, its note under it.
	lines := strings.Split(m.Body, "\n")
	requireLine(t, lines, "1. 《网站备案资料登记表-用户》  [必需，已收到]")
	requireLine(t, lines, "2. 《网站备案真实性核验单-广东》  [必需，未收到]")
	requireLine(t, lines, "说明：广东省专用核验单，需签名并加盖公章")
	requireLine(t, lines, "4. 网站负责人委托书  [按需提供，未收到]")
	requireLine(t, lines, "说明：网站负责人是法定代表人的可不提供")
}

func TestReceiptSiteWithoutDomain(t *testing.T) {
	t.Parallel()
	c := newCase()
	c.Website.Domains = nil // R-IN-7
	c.Website.ServerIPs = []string{"198.51.100.7", "2001:db8:1::7"}
	c.EmailSubject = "广州示例科技有限公司+198.51.100.7"
	m := notices.Receipt(c)

	require.Contains(t, m.Subject, "198.51.100.7、2001:db8:1::7")
	require.Contains(t, m.Body, "服务器IP：198.51.100.7、2001:db8:1::7（无域名，通过IP访问）")
	require.Contains(t, m.Body, "邮件主题：广州示例科技有限公司+198.51.100.7")
	require.NotContains(t, m.Body, "网站域名：")
}

func TestReceiptWithoutDeadlineOrChecklist(t *testing.T) {
	t.Parallel()
	c := newCase()
	c.Deadlines.PurgeAt = nil
	c.Checklist = nil
	m := notices.Receipt(c)
	require.Contains(t, m.Body, "请尽快将材料发送至上述邮箱")
	require.Contains(t, m.Body, "清单待备案专员确认")
}

func TestCorrectionNeeded(t *testing.T) {
	t.Parallel()
	c := newCase()
	m := notices.CorrectionNeeded(c, []string{"幕布照片不清晰", " ", "核验单未加盖公章"})
	require.Contains(t, m.Subject, "资料需更正")
	require.Contains(t, m.Body, "  1. 幕布照片不清晰\n  2. 核验单未加盖公章\n") // blank reasons dropped
	require.Contains(t, m.Body, "JSBA@ChinaNet.CC")
	require.Contains(t, m.Body, "广州示例科技有限公司+example.cn")
	require.Contains(t, m.Body, "请务必留意您的邮箱") // R-RV-4

	c.ReviewReasons = []string{"域名证书持有者与主办者不一致"}
	m = notices.CorrectionNeeded(c, nil)
	require.Contains(t, m.Body, "  1. 域名证书持有者与主办者不一致\n")
}

func TestSubmitted(t *testing.T) {
	t.Parallel()
	c := newCase()
	m := notices.Submitted(c)
	require.Contains(t, m.Body, "已提交至广东省通信管理局审核")
	require.Contains(t, m.Body, "2026-11-25 23:59")
	require.Contains(t, m.Body, "20 个工作日")
	require.NotContains(t, m.Body, "仅供参考")

	c.BureauDueProvisional = true
	m = notices.Submitted(c)
	require.Contains(t, m.Body, "2026-11-25 23:59")
	require.Contains(t, m.Body, "暂按周一至周五计算，仅供参考")
}

func TestApproved(t *testing.T) {
	t.Parallel()
	c := newCase()
	m := notices.Approved(c)
	require.Contains(t, m.Subject, "粤ICP备12345678号-1")
	require.Contains(t, m.Body, "备案号：粤ICP备12345678号-1")
	require.Contains(t, m.Body, "另行发送") // R-BR-2: the bureau sends the password
	require.Contains(t, m.Body, "本邮件不包含备案密码")
	require.Contains(t, m.Body, "妥善保管备案密码，切勿告知他人")
	require.Contains(t, m.Body, "首页")     // R-PA-5
	require.Contains(t, m.Body, "开通网络接入") // R-AC-0
}

func TestReturned(t *testing.T) {
	t.Parallel()
	c := newCase()
	m := notices.Returned(c, "主办单位名称与营业执照不一致")
	require.Contains(t, m.Subject, "不符合要求")
	require.Contains(t, m.Body, "「不符合要求」")
	require.Contains(t, m.Body, "退回原因：主办单位名称与营业执照不一致")
	require.Contains(t, m.Body, "重新提交管局审核")
	require.Contains(t, m.Body, "广州示例科技有限公司+example.cn")

	m = notices.Returned(c, "")
	require.Contains(t, m.Body, "退回原因：网站名称与网站内容不符") // c.ReturnReason
}

func TestOverdueAlert(t *testing.T) {
	t.Parallel()
	c := newCase()
	c.Status = beian.StatusBureauReview
	m := notices.OverdueAlert(c)
	require.Contains(t, m.Subject, "JS-2026-000042")
	for _, want := range []string{
		"受理编号：JS-2026-000042",
		"主办者名称：广州示例科技有限公司",
		"域名：example.cn、例子.中国",
		"IP：198.51.100.7",
		"备案资料递交哪省管局：广东",
		"应出结果时间：2026-11-25 23:59",
		"联系管局跟进",
	} {
		require.Contains(t, m.Body, want)
	}
	require.NotContains(t, m.Body, "您好") // to staff, not to the filer
}

func TestPurged(t *testing.T) {
	t.Parallel()
	m := notices.Purged(newCase())
	require.Contains(t, m.Subject, "JS-2026-000042")
	require.Contains(t, m.Body, "超过一个月")
	require.Contains(t, m.Body, "已删除")
}

func TestRectificationRequired(t *testing.T) {
	t.Parallel()
	t.Run("sweep", func(t *testing.T) {
		t.Parallel()
		c := newCase()
		c.Status = beian.StatusRectifying
		c.RectifySource = "sweep"
		m := notices.RectificationRequired(c)
		require.Contains(t, m.Subject, "24小时")
		require.Contains(t, m.Body, shellSiteText) // R-PA-3, verbatim
		require.Contains(t, m.Body, "继续使用我公司接入")
		require.Contains(t, m.Body, "整改期限：2026-10-09 17:00 前")
		require.Contains(t, m.Body, "整改原因：域名 example.cn 解析至 203.0.113.9")
		require.Contains(t, m.Body, "取消该网站的备案接入")
	})
	t.Run("verification", func(t *testing.T) {
		t.Parallel()
		c := newCase()
		c.RectifySource = "verification"
		c.RectifyReason = "核验电话中联系人信息不真实"
		m := notices.RectificationRequired(c)
		require.NotContains(t, m.Body, shellSiteText)
		require.Contains(t, m.Body, "整改原因：核验电话中联系人信息不真实")
		require.Contains(t, m.Body, "2026-10-09 17:00")
		require.Contains(t, m.Body, "停止相关网络接入")
	})
}

func TestAccessAndEndNotices(t *testing.T) {
	t.Parallel()
	c := newCase()
	m := notices.AccessCancelled(c, "24小时内未转回接入")
	require.Contains(t, m.Subject, "已取消接入")
	require.Contains(t, m.Body, "取消原因：24小时内未转回接入")
	require.Contains(t, m.Body, "粤ICP备12345678号-1")

	m = notices.AccessRestored(c)
	require.Contains(t, m.Subject, "已恢复接入")
	require.Contains(t, m.Body, "已恢复您网站的网络接入")

	m = notices.Withdrawn(c)
	require.Contains(t, m.Subject, "已撤回")
	require.Contains(t, m.Body, "JS-2026-000042")

	m = notices.Cancelled(c)
	require.Contains(t, m.Subject, "备案号已注销")
	require.Contains(t, m.Body, "「粤ICP备12345678号-1」已注销")
}

// TestNoSecretLeaks plants the case's ID and certificate numbers and sealed
// password in every free-text field a notice prints; none may come out.
func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	secrets := []string{sponsorCert, principalID, legalRepID, sealedPassword}
	pasted := "资料中证件号码 " + strings.Join(secrets, " ") + " 有误"
	for _, sweep := range []string{"sweep", "verification"} {
		c := newCase()
		c.RectifySource = sweep
		c.ReturnReason = pasted
		c.RectifyReason = pasted
		c.ReviewReasons = []string{pasted}
		renders := []func(*beian.Case) notices.Message{
			func(c *beian.Case) notices.Message { return notices.CorrectionNeeded(c, []string{pasted}) },
			func(c *beian.Case) notices.Message { return notices.Returned(c, pasted) },
			func(c *beian.Case) notices.Message { return notices.AccessCancelled(c, pasted) },
		}
		for _, n := range every {
			renders = append(renders, n.render)
		}
		for i, render := range renders {
			m := render(c)
			for _, s := range secrets {
				require.NotContains(t, m.Subject, s, "notice %d", i)
				require.NotContains(t, m.Body, s, "notice %d", i)
			}
		}
	}
	// The pasted number is masked, not dropped, so the filer still sees which field is meant.
	m := notices.Returned(newCase(), "身份证号 "+principalID+" 与核验单不一致")
	require.Contains(t, m.Body, "身份证号 3201**********1234 与核验单不一致")
}

func TestEveryNotice(t *testing.T) {
	t.Parallel()
	for _, n := range every {
		t.Run(n.name, func(t *testing.T) {
			t.Parallel()
			m := n.render(newCase())
			require.NotEmpty(t, m.Subject)
			require.NotContains(t, m.Subject, "\n")
			require.True(t, strings.HasSuffix(m.Body, "\n") && !strings.HasSuffix(m.Body, "\n\n"))
			require.NotContains(t, m.Body, "\n\n\n")
			require.NotContains(t, m.Body+m.Subject, "<no value>")
			require.NotContains(t, m.Body+m.Subject, "{{")
			require.Contains(t, m.Body, "JS-2026-000042")
			if !n.staff {
				require.Contains(t, m.Body, "广州示例科技有限公司：您好！")
				require.Contains(t, m.Body, "中网科技（苏州）股份有限公司 网站备案组") // sign-off by the access provider
				require.Contains(t, m.Subject, "【网站备案】")
			}
		})
	}
}

func TestSignOffFollowsTheAccessProvider(t *testing.T) {
	t.Parallel()
	c := newCase()
	c.Routing = beian.Routing{
		Province: "安徽", AccessProvider: "安徽易速网络科技有限公司", Mailbox: "AHBA@ChinaNet.CC", BureauProvince: "广西",
	}
	m := notices.Receipt(c)
	require.Contains(t, m.Body, "安徽易速网络科技有限公司 网站备案组")
	require.Contains(t, m.Body, "收件邮箱：AHBA@ChinaNet.CC")
	require.Contains(t, m.Body, "广西壮族自治区通信管理局")
	require.NotContains(t, m.Body, "中网科技")
}

func requireLine(t *testing.T, lines []string, want string) {
	t.Helper()
	for _, l := range lines {
		if strings.TrimSpace(l) == want {
			return
		}
	}
	require.Failf(t, "line not found", "want a line %q", want)
}
