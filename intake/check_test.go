package intake

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	beian "github.com/beian/beian"
)

// A valid case passes, routed and with its subject (R-ENT-1, R-ENT-3, R-IN-3).
func TestCheckValid(t *testing.T) {
	t.Parallel()
	res := check(personCase())
	require.Empty(t, res.Violations)
	require.True(t, res.OK())
	require.Equal(t, beian.Routing{Province: "江苏", DataCentre: "苏州园区机房", AccessProvider: "中网科技（苏州）股份有限公司",
		Mailbox: "JSBA@ChinaNet.CC", BureauProvince: "江苏"}, res.Routing)
	require.Equal(t, "张三+example.cn", res.EmailSubject)
	require.NotEmpty(t, res.Checklist)

	res = check(orgCase())
	require.Empty(t, res.Violations)
	require.Equal(t, "苏州示例科技有限公司+example.com.cn", res.EmailSubject)
}

// R-IN-3: the subject names the first domain, in Unicode for an IDN, or the
// first IP of an IP-only site (R-IN-7).
func TestCheckEmailSubject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		domains []string
		ips     []string
		want    string
	}{
		{"R-IN-3 first domain, reduced", []string{"www.example.cn", "example.top"}, []string{"198.51.100.7"}, "张三+example.cn"},
		{"R-IN-3 IDN in Unicode", []string{"WWW.例子.中国"}, []string{"198.51.100.7"}, "张三+例子.中国"},
		{"R-IN-3/R-IN-7 IP-only site", nil, []string{"2001:DB8:1::7", "198.51.100.7"}, "张三+2001:db8:1::7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := personCase()
			c.Website.Domains, c.Website.ServerIPs = tt.domains, tt.ips
			res := check(c)
			require.Empty(t, res.Violations)
			require.Equal(t, tt.want, res.EmailSubject)
		})
	}
}

// Check normalises the case in place, and a second check changes nothing.
func TestCheckNormalises(t *testing.T) {
	t.Parallel()
	c := personCase()
	c.Type = " NEW "
	c.Sponsor.Kind = "Person"
	c.Sponsor.CertType = ""
	c.Sponsor.Name = " 张三 "
	c.Sponsor.CertNumber = " 32050519900307123x"
	c.Sponsor.Province = "江苏省"
	c.Principal.IDNumber = "32050519900307123x "
	c.Principal.Mobile = "+86 138-1234-5678"
	c.Principal.Landline = "(0512)88868888"
	c.Website.Name = " 张三的技术博客\t"
	c.Website.Domains = []string{"HTTPS://WWW.Example.CN/", "中文.com"}
	c.Website.ServerIPs = []string{" 2001:DB8:1:0::7 ", "::ffff:198.51.100.7"}
	c.Website.Categories = []string{"新闻"}
	c.Website.PreApprovals = []beian.PreApproval{{Category: " news ", DocumentNo: " 新闻审〔2026〕1号 "}}
	res := check(c)
	require.Empty(t, res.Violations)
	require.Equal(t, beian.TypeNew, c.Type)
	require.Equal(t, beian.SponsorPerson, c.Sponsor.Kind)
	require.Equal(t, beian.CertIDCard, c.Sponsor.CertType)
	require.Equal(t, "张三", c.Sponsor.Name)
	require.Equal(t, idZhang, c.Sponsor.CertNumber)
	require.Equal(t, "江苏", c.Sponsor.Province)
	require.Equal(t, idZhang, c.Principal.IDNumber)
	require.Equal(t, "13812345678", c.Principal.Mobile)
	require.Equal(t, "0512-88868888", c.Principal.Landline)
	require.Equal(t, "张三的技术博客", c.Website.Name)
	require.Equal(t, []string{"example.cn", "xn--fiq228c.com"}, c.Website.Domains)
	require.Equal(t, []string{"2001:db8:1::7", "198.51.100.7"}, c.Website.ServerIPs)
	require.Equal(t, "news", c.Website.PreApprovals[0].Category)
	require.Equal(t, "江苏", res.Routing.BureauProvince)

	before := *c
	before.Website.Domains = append([]string{}, c.Website.Domains...)
	before.Website.ServerIPs = append([]string{}, c.Website.ServerIPs...)
	again := check(c)
	require.Equal(t, before, *c)
	require.Equal(t, res, again)
}

// Each rule, one case at a time: the violations expected as "field code".
func TestCheckRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(c *beian.Case)
		want   []string
	}{
		// R-TY
		{"R-TY unknown type", func(c *beian.Case) { c.Type = "renew" }, []string{"type INVALID_TYPE"}},
		{"R-TY no type", func(c *beian.Case) { c.Type = "" }, []string{"type REQUIRED"}},
		{"R-TY change needs number and password", func(c *beian.Case) { c.Type = beian.TypeChange },
			[]string{"filing_number FILING_NUMBER_REQUIRED", "filing_password FILING_NUMBER_REQUIRED"}},
		{"R-TY cancel needs number and password", func(c *beian.Case) { c.Type = beian.TypeCancel },
			[]string{"filing_number FILING_NUMBER_REQUIRED", "filing_password FILING_NUMBER_REQUIRED"}},
		{"R-TY transfer_in needs the password", func(c *beian.Case) {
			c.Type, c.FilingNumber = beian.TypeTransferIn, "苏ICP备12345678号-1"
		}, []string{"filing_password FILING_NUMBER_REQUIRED"}},
		{"R-TY cancel_access with number and sealed password", func(c *beian.Case) {
			c.Type, c.FilingNumber, c.FilingPasswordSealed = beian.TypeCancelAccess, "苏ICP备12345678号", "sealed"
		}, []string{}},
		{"R-TY change with a malformed number", func(c *beian.Case) {
			c.Type, c.FilingNumber, c.FilingPasswordSealed = beian.TypeChange, "12345678", "sealed"
		}, []string{"filing_number INVALID_FILING_NUMBER"}},
		{"R-TY new needs no number", func(c *beian.Case) {}, []string{}},
		// R-IN-1
		{"R-IN-1 山东 sponsor on a 江苏 server", func(c *beian.Case) { c.Sponsor.Province = "山东" }, []string{"sponsor.province SUSPENDED_RESIDENCE"}},
		{"R-IN-1 新疆维吾尔自治区 sponsor on an 安徽 server", func(c *beian.Case) {
			c.Sponsor.Province, c.Website.ServerIPs = "新疆维吾尔自治区", []string{"203.0.113.9"}
		}, []string{"sponsor.province SUSPENDED_RESIDENCE"}},
		{"R-IN-1 西藏 sponsor on an IPv6 江苏 server", func(c *beian.Case) {
			c.Sponsor.Province, c.Website.ServerIPs = "西藏", []string{"2001:db8:1::9"}
		}, []string{"sponsor.province SUSPENDED_RESIDENCE"}},
		{"R-IN-1 甘肃省 sponsor on a 江苏 server", func(c *beian.Case) { c.Sponsor.Province = "甘肃省" }, []string{"sponsor.province SUSPENDED_RESIDENCE"}},
		{"R-IN-1 广东 sponsor on a 江苏 server is fine", func(c *beian.Case) { c.Sponsor.Province = "广东" }, []string{}},
		// R-ENT-3
		{"R-ENT-3 unknown province", func(c *beian.Case) { c.Sponsor.Province = "香港" }, []string{"sponsor.province INVALID_PROVINCE"}},
		{"R-ENT-3 no province", func(c *beian.Case) { c.Sponsor.Province = "" }, []string{"sponsor.province REQUIRED"}},
		// R-ENT-1/2, R-IN-7
		{"R-ENT-2 IP not ours", func(c *beian.Case) { c.Website.ServerIPs = []string{"8.8.8.8"} }, []string{"website.server_ips[0] IP_NOT_OURS"}},
		{"R-ENT-1 invalid IP", func(c *beian.Case) { c.Website.ServerIPs = []string{"198.51.100"} }, []string{"website.server_ips[0] INVALID_IP"}},
		{"R-ENT-1 IPs in two provinces", func(c *beian.Case) { c.Website.ServerIPs = []string{"198.51.100.7", "203.0.113.7"} },
			[]string{"website.server_ips IPS_IN_DIFFERENT_PROVINCES"}},
		{"R-IN-7 IP-only site is fine", func(c *beian.Case) { c.Website.Domains = nil }, []string{}},
		{"R-IN-7 but it needs an IP", func(c *beian.Case) { c.Website.ServerIPs = nil }, []string{"website.server_ips REQUIRED"}},
		// R-IN-2
		{"R-IN-2 辽宁 person without landline", func(c *beian.Case) { c.Sponsor.Province = "辽宁" }, []string{"principal.landline LANDLINE_REQUIRED"}},
		{"R-IN-2 重庆市 person without landline", func(c *beian.Case) { c.Sponsor.Province = "重庆市" }, []string{"principal.landline LANDLINE_REQUIRED"}},
		{"R-IN-2 广西 person without landline", func(c *beian.Case) { c.Sponsor.Province = "广西壮族自治区" }, []string{"principal.landline LANDLINE_REQUIRED"}},
		{"R-IN-2 辽宁 person with landline", func(c *beian.Case) {
			c.Sponsor.Province, c.Principal.Landline = "辽宁", "024-12345678"
		}, []string{}},
		{"R-IN-2 辽宁 organisation needs no landline", func(c *beian.Case) {
			*c = *orgCase()
			c.Sponsor.Province = "辽宁"
		}, []string{}},
		{"R-IN-2 辽宁 person cancelling needs no landline", func(c *beian.Case) {
			c.Sponsor.Province, c.Type, c.FilingNumber, c.FilingPasswordSealed = "辽宁", beian.TypeCancel, "辽ICP备12345678号", "s"
		}, []string{}},
		{"R-IN-2 malformed landline", func(c *beian.Case) { c.Principal.Landline = "12345" }, []string{"principal.landline INVALID_LANDLINE"}},
		// R-IN-4 person ↔ organisation
		{"R-IN-4 unknown sponsor kind", func(c *beian.Case) { c.Sponsor.Kind = "company" }, []string{"sponsor.kind INVALID_SPONSOR_KIND"}},
		{"R-IN-4 person with a credit code", func(c *beian.Case) {
			c.Sponsor.CertType, c.Sponsor.CertNumber = beian.CertUSCC, usccOrg
		}, []string{"sponsor.cert_type CERT_TYPE_MISMATCH"}},
		{"R-IN-4 organisation with an ID card", func(c *beian.Case) {
			*c = *orgCase()
			c.Sponsor.CertType, c.Sponsor.CertNumber = beian.CertIDCard, idLi
		}, []string{"sponsor.cert_type CERT_TYPE_MISMATCH"}},
		{"R-IN-4 unknown certificate type", func(c *beian.Case) { c.Sponsor.CertType = "passport" }, []string{"sponsor.cert_type CERT_TYPE_MISMATCH"}},
		{"R-IN-4 company filed as a person", func(c *beian.Case) { c.Sponsor.Name = "张三科技有限公司" },
			[]string{"sponsor.name SPONSOR_KIND_MISMATCH", "principal.name PRINCIPAL_NOT_SPONSOR"}},
		{"R-IN-4 personal site named as a company's", func(c *beian.Case) { c.Website.Name = "张三科技公司官网" },
			[]string{"website.name SPONSOR_KIND_MISMATCH"}},
		{"R-IN-4 organisation's site named personal", func(c *beian.Case) {
			*c = *orgCase()
			c.Website.Name = "李四的个人博客"
		}, []string{"website.name SPONSOR_KIND_MISMATCH"}},
		{"R-IN-4 personal principal is not the sponsor", func(c *beian.Case) {
			c.Principal.Name, c.Principal.IDNumber = "王五", idWang
		}, []string{"principal.name PRINCIPAL_NOT_SPONSOR"}},
		{"R-IN-4 personal principal with another ID", func(c *beian.Case) { c.Principal.IDNumber = idWang },
			[]string{"principal.id_number PRINCIPAL_NOT_SPONSOR"}},
		// R-IN-4 numbers
		{"R-IN-4 sponsor ID check digit", func(c *beian.Case) {
			c.Sponsor.CertNumber, c.Principal.IDNumber = "320505199003071230", "320505199003071230"
		}, []string{"sponsor.cert_number INVALID_ID_NUMBER", "principal.id_number INVALID_ID_NUMBER"}},
		{"R-IN-4 organisation credit code", func(c *beian.Case) {
			*c = *orgCase()
			c.Sponsor.CertNumber = "91320505MA1M111108"
		}, []string{"sponsor.cert_number INVALID_CREDIT_CODE"}},
		{"R-IN-4 legal representative's ID", func(c *beian.Case) {
			*c = *orgCase()
			c.Sponsor.LegalRep.IDNumber = "440304198512310012"
		}, []string{"sponsor.legal_rep.id_number INVALID_ID_NUMBER"}},
		{"R-IN-4 organisation without legal representative", func(c *beian.Case) {
			*c = *orgCase()
			c.Sponsor.LegalRep = nil
		}, []string{"sponsor.legal_rep REQUIRED"}},
		{"R-IN-4 mobile", func(c *beian.Case) { c.Principal.Mobile = "1381234567" }, []string{"principal.mobile INVALID_MOBILE"}},
		{"R-IN-4 e-mail", func(c *beian.Case) { c.Principal.Email = "zhangsan@" }, []string{"principal.email INVALID_EMAIL"}},
		{"R-IN-4 e-mail without a dot in the domain", func(c *beian.Case) { c.Principal.Email = "a@localhost" }, []string{"principal.email INVALID_EMAIL"}},
		// R-IN-4 domains
		{"R-IN-4 .org refused", func(c *beian.Case) { c.Website.Domains = []string{"example.cn", "example.org"} },
			[]string{"website.domains[1] TLD_NOT_FILEABLE"}},
		{"R-IN-4 garbage domain", func(c *beian.Case) { c.Website.Domains = []string{"not a domain"} },
			[]string{"website.domains[0] INVALID_DOMAIN"}},
		{"R-IN-4 same registrable domain twice", func(c *beian.Case) { c.Website.Domains = []string{"www.example.cn", "bbs.example.cn"} },
			[]string{"website.domains[1] DUPLICATE_DOMAIN"}},
		// R-IN-4 site names
		{"R-IN-4 prefecture in a personal site name", func(c *beian.Case) { c.Website.Name = "苏州美食日记" },
			[]string{"website.name REGION_NAME_IN_PERSONAL_SITE"}},
		{"R-IN-4 province with suffix in a personal site name", func(c *beian.Case) { c.Website.Name = "江苏省摄影爱好者" },
			[]string{"website.name REGION_NAME_IN_PERSONAL_SITE"}},
		{"R-IN-4 county-level city in a personal site name", func(c *beian.Case) { c.Website.Name = "昆山生活" },
			[]string{"website.name REGION_NAME_IN_PERSONAL_SITE"}},
		{"R-IN-4 district in a personal site name", func(c *beian.Case) { c.Website.Name = "浦东新区跑步群" },
			[]string{"website.name REGION_NAME_IN_PERSONAL_SITE"}},
		{"R-IN-4 autonomous prefecture's short name", func(c *beian.Case) { c.Website.Name = "延边美食" },
			[]string{"website.name REGION_NAME_IN_PERSONAL_SITE"}},
		{"R-IN-4 everyday words are no region names", func(c *beian.Case) { c.Website.Name = "白云深处的和平鸽：新华字典与城关小吃" }, []string{}},
		{"R-IN-4 region names allowed in an organisation's site name", func(c *beian.Case) {
			*c = *orgCase()
			c.Website.Name = "苏州示例科技"
		}, []string{}},
		{"R-IN-4 national word in an organisation's site name", func(c *beian.Case) {
			*c = *orgCase()
			c.Website.Name = "中国示例网"
		}, []string{"website.name NATIONAL_WORD_IN_SITE_NAME"}},
		{"R-IN-4 national words 中华 and 全国", func(c *beian.Case) {
			*c = *orgCase()
			c.Website.Name = "中华全国示例网"
		}, []string{"website.name NATIONAL_WORD_IN_SITE_NAME"}},
		{"R-IN-4 national word of the organisation's own name", func(c *beian.Case) {
			*c = *orgCase()
			c.Sponsor.Name = "中国示例科技股份有限公司"
			c.Website.Name = "中国示例科技"
		}, []string{}},
		{"R-IN-4 national word in a personal site name is not that rule", func(c *beian.Case) { c.Website.Name = "中国风插画" }, []string{}},
		{"R-IN-4 site name rules do not apply to a cancellation", func(c *beian.Case) {
			c.Type, c.FilingNumber, c.FilingPasswordSealed, c.Website.Name = beian.TypeCancel, "苏ICP备12345678号-1", "s", "苏州美食"
		}, []string{}},
		// R-IN-4 pre-approvals
		{"R-IN-4 news site without pre-approval", func(c *beian.Case) { c.Website.Categories = []string{"blog", "news"} },
			[]string{"website.categories[1] PRE_APPROVAL_REQUIRED"}},
		{"R-IN-4 category given by title", func(c *beian.Case) { c.Website.Categories = []string{"药品和医疗器械"} },
			[]string{"website.categories[0] PRE_APPROVAL_REQUIRED"}},
		{"R-IN-4 pre-approval given", func(c *beian.Case) {
			c.Website.Categories = []string{"news"}
			c.Website.PreApprovals = []beian.PreApproval{{Category: "news", DocumentNo: "新闻审〔2026〕1号"}}
		}, []string{}},
		{"R-IN-4 pre-approval without a document number", func(c *beian.Case) {
			c.Website.Categories = []string{"education"}
			c.Website.PreApprovals = []beian.PreApproval{{Category: "education"}}
		}, []string{"website.categories[0] PRE_APPROVAL_REQUIRED"}},
		{"R-IN-4 pre-approval for another category does not count", func(c *beian.Case) {
			c.Website.Categories = []string{"culture", "broadcasting"}
			c.Website.PreApprovals = []beian.PreApproval{{Category: "culture", DocumentNo: "文审1号"}}
		}, []string{"website.categories[1] PRE_APPROVAL_REQUIRED"}},
		{"R-IN-4 interactive site is no violation", func(c *beian.Case) { c.Website.Interactive = true }, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := personCase()
			tt.modify(c)
			res := check(c)
			require.Equal(t, tt.want, codes(res.Violations))
			requireWellFormed(t, res.Violations)
		})
	}
}

// Every violation at once, not the first only, in field order.
func TestCheckManyViolations(t *testing.T) {
	t.Parallel()
	c := personCase()
	c.Sponsor.Province = "辽宁"
	c.Sponsor.CertNumber = "320505199003071231"
	c.Principal.IDNumber = "320505199003071231"
	c.Principal.Mobile = "12345"
	c.Website.Name = "沈阳生活"
	c.Website.Domains = []string{"example.cn", "example.org"}
	c.Website.ServerIPs = []string{"198.51.100.7", "8.8.8.8"}
	c.Website.Categories = []string{"news"}
	res := check(c)
	require.Equal(t, []string{
		"sponsor.cert_number INVALID_ID_NUMBER",
		"principal.id_number INVALID_ID_NUMBER",
		"principal.mobile INVALID_MOBILE",
		"principal.landline LANDLINE_REQUIRED",
		"website.name REGION_NAME_IN_PERSONAL_SITE",
		"website.domains[1] TLD_NOT_FILEABLE",
		"website.categories[0] PRE_APPROVAL_REQUIRED",
		"website.server_ips[1] IP_NOT_OURS",
	}, codes(res.Violations))
	requireWellFormed(t, res.Violations)
	// The routing and checklist are still computed for what is known.
	require.Equal(t, "江苏", res.Routing.Province)
	require.Equal(t, "辽宁", res.Routing.BureauProvince)
	require.Contains(t, itemCodes(res.Checklist), "pre_approval_news")
}

// An empty case reports each required field.
func TestCheckEmptyCase(t *testing.T) {
	t.Parallel()
	c := &beian.Case{Type: beian.TypeNew}
	res := check(c)
	require.Equal(t, []string{
		"sponsor.kind REQUIRED",
		"sponsor.name REQUIRED",
		"sponsor.cert_type REQUIRED",
		"sponsor.cert_number REQUIRED",
		"sponsor.province REQUIRED",
		"sponsor.address REQUIRED",
		"principal.name REQUIRED",
		"principal.id_number REQUIRED",
		"principal.mobile REQUIRED",
		"principal.email REQUIRED",
		"website.name REQUIRED",
		"website.server_ips REQUIRED",
	}, codes(res.Violations))
	requireWellFormed(t, res.Violations)
	require.Empty(t, res.EmailSubject)
}

// R-IN-1: the suspension table is data.
func TestCheckSuspendedResidencesFromRules(t *testing.T) {
	t.Parallel()
	dcs := append(testDataCentres(), beian.DataCentre{Name: "上海机房", Province: "上海", CIDRs: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}})
	c := personCase()
	c.Sponsor.Province = "山东省"
	c.Website.ServerIPs = []string{"192.0.2.9"}
	res := Check(c, Input{Rules: DefaultRules(), DataCentres: dcs, Now: testNow})
	require.Empty(t, res.Violations, "no suspension on a 上海 server by default")

	r := DefaultRules()
	r.SuspendedResidences["上海市"] = []string{"山东"}
	res = Check(c, Input{Rules: r, DataCentres: dcs, Now: testNow})
	require.Equal(t, []string{"sponsor.province SUSPENDED_RESIDENCE"}, codes(res.Violations))
	require.Contains(t, res.Violations[0].Message, "山东")

	r = DefaultRules()
	delete(r.SuspendedResidences, "江苏")
	c = personCase()
	c.Sponsor.Province = "山东"
	res = Check(c, Input{Rules: r, DataCentres: dcs, Now: testNow})
	require.Empty(t, res.Violations, "the policy was lifted for 江苏")
}

// R-ENT-3: the bureau is the sponsor's, whatever the server's province.
func TestCheckBureauProvince(t *testing.T) {
	t.Parallel()
	c := personCase()
	c.Sponsor.Province = "广东省"
	res := check(c)
	require.Empty(t, res.Violations)
	require.Equal(t, "江苏", res.Routing.Province)
	require.Equal(t, "广东", res.Routing.BureauProvince)
	require.Equal(t, ItemVerificationSheetGuangdong, res.Checklist[1].Code)
}

// R-TY: a clear password given with the input counts as given.
func TestCheckFilingPasswordInInput(t *testing.T) {
	t.Parallel()
	c := personCase()
	c.Type, c.FilingNumber = beian.TypeTransferIn, "苏ICP备12345678号-1"
	res := Check(c, Input{Rules: DefaultRules(), DataCentres: testDataCentres(), Now: testNow, FilingPassword: "secret"})
	require.Empty(t, res.Violations)
	require.Contains(t, itemCodes(res.Checklist), ItemFilingNumberAndPassword)
}

// R-IN-4: an admin's legacy credit code passes.
func TestCheckLegacyCreditCode(t *testing.T) {
	t.Parallel()
	c := orgCase()
	c.Sponsor.CertNumber = "911100001000000001"
	res := check(c)
	require.Equal(t, []string{"sponsor.cert_number INVALID_CREDIT_CODE"}, codes(res.Violations))
	r := DefaultRules()
	r.LegacyCreditCodes = []string{"911100001000000001"}
	res = Check(c, Input{Rules: r, DataCentres: testDataCentres(), Now: testNow})
	require.Empty(t, res.Violations)
}

// A zero Rules means the defaults.
func TestCheckZeroRulesMeansDefaults(t *testing.T) {
	t.Parallel()
	c := personCase()
	c.Website.Name = "苏州美食"
	res := Check(c, Input{DataCentres: testDataCentres(), Now: testNow})
	require.Equal(t, []string{"website.name REGION_NAME_IN_PERSONAL_SITE"}, codes(res.Violations))
}

// R-IN-4: an interactive site gets the special-filing item and a note, not a violation.
func TestCheckInteractiveNote(t *testing.T) {
	t.Parallel()
	c := personCase()
	c.Website.Interactive = true
	res := check(c)
	require.Empty(t, res.Violations)
	require.Len(t, res.Notes, 1)
	require.Contains(t, res.Notes[0], "电子公告")
	it := item(t, res.Checklist, ItemInteractiveSpecialFiling)
	require.True(t, it.Required)
}

// R-IN-4: the region-name message names what it found, the longest form.
func TestCheckRegionNameMessage(t *testing.T) {
	t.Parallel()
	c := personCase()
	c.Website.Name = "江苏省苏州市的风景"
	res := check(c)
	require.Len(t, res.Violations, 1)
	msg := res.Violations[0].Message
	require.Contains(t, msg, "江苏省")
	require.Contains(t, msg, "苏州市")
	require.NotContains(t, msg, "江苏、")
}

// R-IN-6: sponsors, principals, domains and phones on the blacklist cannot file.
func TestCheckBlacklist(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		entry  BlacklistEntry
		modify func(c *beian.Case)
		want   []string
	}{
		{"R-IN-6 sponsor's certificate, lower-case x", BlacklistEntry{Kind: "cert_number", Value: "32050519900307123x", Reason: "虚假信息"}, nil,
			[]string{"sponsor.cert_number BLACKLISTED", "principal.id_number BLACKLISTED"}},
		{"R-IN-6 sponsor's name", BlacklistEntry{Kind: "name", Value: " 张三 "}, nil,
			[]string{"sponsor.name BLACKLISTED", "principal.name BLACKLISTED"}},
		{"R-IN-6 legal representative", BlacklistEntry{Kind: "cert_number", Value: idLi}, func(c *beian.Case) { *c = *orgCase() },
			[]string{"principal.id_number BLACKLISTED", "sponsor.legal_rep.id_number BLACKLISTED"}},
		{"R-IN-6 domain given as a sub-domain", BlacklistEntry{Kind: "domain", Value: "WWW.Example.CN"}, nil,
			[]string{"website.domains[0] BLACKLISTED"}},
		{"R-IN-6 IDN domain given in Unicode", BlacklistEntry{Kind: "domain", Value: "例子.中国"}, func(c *beian.Case) { c.Website.Domains = []string{"xn--fsqu00a.xn--fiqs8s"} },
			[]string{"website.domains[0] BLACKLISTED"}},
		{"R-IN-6 mobile in another spelling", BlacklistEntry{Kind: "phone", Value: "+86 138-1234-5678"}, nil,
			[]string{"principal.mobile BLACKLISTED"}},
		{"R-IN-6 landline", BlacklistEntry{Kind: "phone", Value: "051288868888"}, func(c *beian.Case) { c.Principal.Landline = "0512-88868888" },
			[]string{"principal.landline BLACKLISTED"}},
		{"R-IN-6 someone else", BlacklistEntry{Kind: "name", Value: "王五"}, nil, []string{}},
		{"R-IN-6 empty value matches nothing", BlacklistEntry{Kind: "phone", Value: ""}, nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := personCase()
			if tt.modify != nil {
				tt.modify(c)
			}
			res := Check(c, Input{Rules: DefaultRules(), DataCentres: testDataCentres(), Now: testNow, Blacklist: []BlacklistEntry{tt.entry}})
			require.Equal(t, tt.want, codes(res.Violations))
			requireWellFormed(t, res.Violations)
			if tt.entry.Reason != "" {
				require.Contains(t, res.Violations[0].Message, tt.entry.Reason)
			}
			// Messages may be kept (Idempotency-Key answers): no full number in them.
			for _, v := range res.Violations {
				for _, secretValue := range []string{c.Sponsor.CertNumber, c.Principal.IDNumber, c.Principal.Mobile, "0512-88868888"} {
					if tt.entry.Kind == BlacklistCertNumber || tt.entry.Kind == BlacklistPhone {
						require.NotContains(t, v.Message, secretValue)
					}
				}
			}
		})
	}
}
