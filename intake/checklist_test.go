package intake

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	beian "github.com/beian/beian"
)

// R-IN-2: which items each kind of case needs.
func TestChecklistItems(t *testing.T) {
	t.Parallel()
	personFull := []string{"registration_form", "verification_sheet", "security_commitment", "domain_certificate", "principal_id", "curtain_photo"}
	orgFull := append(append([]string{}, personFull...), "business_licence", "legal_rep_id")
	tests := []struct {
		name   string
		modify func(c *beian.Case)
		want   []string
	}{
		{"R-IN-2 person, new", func(c *beian.Case) {}, personFull},
		{"R-IN-2 organisation, principal is the legal representative: no letter", func(c *beian.Case) { *c = *orgCase() }, orgFull},
		{"R-IN-2 organisation, principal is not the legal representative: letter", func(c *beian.Case) {
			*c = *orgCase()
			c.Principal.Name, c.Principal.IDNumber = "王五", idWang
		}, append(append([]string{}, orgFull...), "authorisation_letter")},
		{"R-IN-2 organisation, same name but another ID number: letter", func(c *beian.Case) {
			*c = *orgCase()
			c.Principal.IDNumber = idWang
		}, append(append([]string{}, orgFull...), "authorisation_letter")},
		{"R-IN-2/R-IN-7 IP-only site: no domain certificate", func(c *beian.Case) { c.Website.Domains = nil },
			[]string{"registration_form", "verification_sheet", "security_commitment", "principal_id", "curtain_photo"}},
		{"R-IN-2 transfer_in: number and password", func(c *beian.Case) { c.Type = beian.TypeTransferIn },
			append(append([]string{}, personFull...), "filing_number_and_password")},
		{"R-TY change: the full materials", func(c *beian.Case) { c.Type = beian.TypeChange }, personFull},
		{"R-TY cancel, person: number, password and ID", func(c *beian.Case) { c.Type = beian.TypeCancel },
			[]string{"filing_number_and_password", "principal_id"}},
		{"R-TY cancel, organisation: also licence and legal representative", func(c *beian.Case) {
			*c = *orgCase()
			c.Type = beian.TypeCancel
		}, []string{"filing_number_and_password", "principal_id", "business_licence", "legal_rep_id"}},
		{"R-TY cancel_access", func(c *beian.Case) { c.Type = beian.TypeCancelAccess },
			[]string{"filing_number_and_password", "principal_id"}},
		{"R-IN-4 interactive: special filing", func(c *beian.Case) { c.Website.Interactive = true },
			append(append([]string{}, personFull...), "interactive_special_filing")},
		{"R-IN-4 pre-approval categories, by code and by title, once each", func(c *beian.Case) {
			c.Website.Categories = []string{"news", "blog", "医疗保健", "news"}
			c.Website.PreApprovals = []beian.PreApproval{{Category: "education", DocumentNo: "教审〔2026〕1号"}}
		}, append(append([]string{}, personFull...), "pre_approval_news", "pre_approval_medical", "pre_approval_education")},
		{"R-IN-2 广东: its own verification sheet", func(c *beian.Case) { c.Sponsor.Province = "广东" },
			[]string{"registration_form", "verification_sheet_guangdong", "security_commitment", "domain_certificate", "principal_id", "curtain_photo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := personCase()
			tt.modify(c)
			items := Checklist(c)
			require.Equal(t, tt.want, itemCodes(items))
			for _, it := range items {
				require.True(t, it.Required, it.Code)
				require.False(t, it.Received, it.Code)
				require.Regexp(t, `\p{Han}`, it.Title, it.Code)
			}
		})
	}
}

// R-IN-2: the province exceptions of the manual (P1 第二步).
func TestChecklistProvinceNotes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, province string
		org            bool
		code, title    string
		noteHas        []string
		noteLacks      []string
	}{
		{"R-IN-2 广东 person", "广东", false, "verification_sheet_guangdong", "《网站备案真实性核验单-广东》", []string{"广东"}, nil},
		{"R-IN-2 广东省 organisation", "广东省", true, "verification_sheet_guangdong", "《网站备案真实性核验单-广东》", []string{"公章"}, nil},
		{"R-IN-2 江西 person: fingerprint", "江西", false, "verification_sheet", "《网站备案真实性核验单》", []string{"指纹"}, nil},
		{"R-IN-2 江西 organisation: no fingerprint", "江西", true, "verification_sheet", "《网站备案真实性核验单》", []string{"公章"}, []string{"指纹"}},
		{"R-IN-2 山西: domain machine-typed", "山西", false, "verification_sheet", "《网站备案真实性核验单》", []string{"机打"}, nil},
		{"R-IN-2 北京: registrar full name", "北京市", true, "verification_sheet", "《网站备案真实性核验单》", []string{"注册服务商全称", "chinanet.cc 中网科技（苏州）股份有限公司"}, nil},
		{"R-IN-2 江苏: plain sheet", "江苏", false, "verification_sheet", "《网站备案真实性核验单》", []string{"签名"}, []string{"指纹", "机打", "注册服务商"}},
		{"R-IN-2 辽宁 person: landline on the form", "辽宁", false, "registration_form", "《网站备案资料登记表-用户》", []string{"固定电话"}, nil},
		{"R-IN-2 重庆 person: landline", "重庆市", false, "registration_form", "《网站备案资料登记表-用户》", []string{"固定电话"}, nil},
		{"R-IN-2 广西 person: landline", "广西壮族自治区", false, "registration_form", "《网站备案资料登记表-用户》", []string{"固定电话"}, nil},
		{"R-IN-2 辽宁 organisation: no landline note", "辽宁", true, "registration_form", "《网站备案资料登记表-用户》", nil, []string{"固定电话"}},
		{"R-IN-2 上海 letter", "上海", true, "authorisation_letter", "《网站负责人委托书-上海》", []string{"委托书"}, nil},
		{"R-IN-2 湖南 letter", "湖南", true, "authorisation_letter", "《湖南和安徽企业备案委托书》", nil, nil},
		{"R-IN-2 安徽 letter", "安徽省", true, "authorisation_letter", "《湖南和安徽企业备案委托书》", nil, nil},
		{"R-IN-2 江苏 letter", "江苏", true, "authorisation_letter", "网站负责人委托书", []string{"不是法定代表人"}, nil},
		{"R-IN-2 security commitment, organisation: signed and sealed", "江苏", true, "security_commitment", "《网站备案信息安全责任书》", []string{"签名", "公章", "原件", "传真"}, nil},
		{"R-IN-2 security commitment, person: signed", "江苏", false, "security_commitment", "《网站备案信息安全责任书》", []string{"签名", "原件"}, []string{"公章后"}},
		{"R-IN-2 principal's ID: originals, no fax", "江苏", false, "principal_id", "网站负责人身份证原件扫描件", []string{"原件扫描件", "复印件扫描须加盖公章", "不接受传真"}, nil},
		{"R-IN-2 curtain photo: no retouching", "江苏", false, "curtain_photo", "网站负责人背景为幕布的半身照片", []string{"不接受 PS 照片"}, nil},
		{"R-IN-2 domain certificate: owner is the sponsor", "江苏", false, "domain_certificate", "域名证书电子版", []string{"example.cn", "张三", "一致"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := personCase()
			if tt.org {
				c = orgCase()
				c.Principal.Name, c.Principal.IDNumber = "王五", idWang
			}
			c.Sponsor.Province = tt.province
			it := item(t, Checklist(c), tt.code)
			require.Equal(t, tt.title, it.Title)
			for _, s := range tt.noteHas {
				require.Contains(t, it.Note, s)
			}
			for _, s := range tt.noteLacks {
				require.NotContains(t, it.Note, s)
			}
		})
	}
}

// R-IN-2/R-IN-3: items already received stay received when the checklist is
// computed again, e.g. after a correction.
func TestChecklistKeepsReceived(t *testing.T) {
	t.Parallel()
	c := personCase()
	c.Checklist = []beian.ChecklistItem{{Code: ItemPrincipalID, Received: true}, {Code: "gone", Received: true}}
	items := Checklist(c)
	require.True(t, item(t, items, ItemPrincipalID).Received)
	require.False(t, item(t, items, ItemRegistrationForm).Received)
	require.NotContains(t, itemCodes(items), "gone")
}

// R-IN-2: the landline provinces of the checklist come from the rules Check is given.
func TestChecklistUsesGivenRules(t *testing.T) {
	t.Parallel()
	c := personCase()
	c.Principal.Landline = "0512-88868888"
	r := DefaultRules()
	r.LandlineProvinces = []string{"江苏"}
	res := Check(c, Input{Rules: r, DataCentres: testDataCentres(), Now: testNow})
	require.Contains(t, item(t, res.Checklist, ItemRegistrationForm).Note, "固定电话")
	require.NotContains(t, item(t, Checklist(c), ItemRegistrationForm).Note, "固定电话")
}

// R-IN-2: the checklist is data; a change of the rules changes the checklist
// of the next case, without a release.
func TestChecklistRulesAsData(t *testing.T) {
	t.Parallel()
	full := []beian.CaseType{beian.TypeNew, beian.TypeChange, beian.TypeTransferIn}
	zhejiangOrgs := func(r *Rules) {
		r.Checklist = append(r.Checklist, ChecklistRule{
			Code: "zhejiang_commitment", Title: "《浙江省单位网站备案承诺书》", Note: "须加盖单位公章。", Required: true,
			FilingTypes: full, SponsorKinds: []beian.SponsorKind{beian.SponsorOrganisation}, Provinces: []string{"浙江省"},
		})
	}
	tests := []struct {
		name        string
		modify      func(r *Rules)
		province    string
		org         bool
		caseModify  func(c *beian.Case)
		code        string // the item to look at; "" when it must be absent
		lacks       string // an item that must be absent
		title, note string // expected title; a substring of the note
		noteLacks   string
	}{
		{"R-IN-2 new item for 浙江 organisations: 浙江 organisation has it", zhejiangOrgs, "浙江", true, nil,
			"zhejiang_commitment", "", "《浙江省单位网站备案承诺书》", "公章", ""},
		{"R-IN-2 new item for 浙江 organisations: 江苏 organisation has not", zhejiangOrgs, "江苏", true, nil,
			"", "zhejiang_commitment", "", "", ""},
		{"R-IN-2 new item for 浙江 organisations: 浙江 person has not", zhejiangOrgs, "浙江", false, nil,
			"", "zhejiang_commitment", "", "", ""},
		{"R-IN-2 new item for 浙江 organisations: not on cancel", zhejiangOrgs, "浙江", true, func(c *beian.Case) { c.Type = beian.TypeCancel },
			"", "zhejiang_commitment", "", "", ""},
		{"R-IN-2 山西 note removed", func(r *Rules) {
			r.ProvinceNotes = slices.DeleteFunc(r.ProvinceNotes, func(n ProvinceNote) bool { return n.Province == "山西" })
		}, "山西", false, nil, ItemVerificationSheet, "", "《网站备案真实性核验单》", "签名", "机打"},
		{"R-IN-2 山西 note by default", func(r *Rules) {}, "山西", false, nil, ItemVerificationSheet, "", "《网站备案真实性核验单》", "机打", ""},
		{"R-IN-2 广东 variant removed: the plain sheet", func(r *Rules) {
			r.FormVariants = slices.DeleteFunc(r.FormVariants, func(v FormVariant) bool { return v.Province == "广东" })
		}, "广东", false, nil, ItemVerificationSheet, ItemVerificationSheetGuangdong, "《网站备案真实性核验单》", "广东省须使用专用", ""},
		{"R-IN-2 new variant: 江苏 commitment", func(r *Rules) {
			r.FormVariants = append(r.FormVariants, FormVariant{Province: "江苏省", Item: ItemSecurityCommitment, Title: "《网站备案信息安全责任书-江苏》"})
		}, "江苏", true, nil, ItemSecurityCommitment, "", "《网站备案信息安全责任书-江苏》", "公章", ""},
		{"R-IN-2 new note for 浙江 organisations only", func(r *Rules) {
			r.ProvinceNotes = append(r.ProvinceNotes, ProvinceNote{Province: "浙江", Item: ItemBusinessLicence, SponsorKind: beian.SponsorOrganisation, Note: "浙江省须提供最新年检的营业执照。"})
		}, "浙江", true, nil, ItemBusinessLicence, "", "营业执照副本原件扫描件", "浙江省须提供最新年检的营业执照。" + noteOriginalScan, ""},
		{"R-IN-2 a province left out of an item", func(r *Rules) {
			for i := range r.Checklist {
				if r.Checklist[i].Code == ItemCurtainPhoto {
					r.Checklist[i].ExceptProvinces = []string{"北京"}
				}
			}
		}, "北京市", false, nil, "", ItemCurtainPhoto, "", "", ""},
		{"R-IN-7 an item for IP-only sites", func(r *Rules) {
			r.Checklist = append(r.Checklist, ChecklistRule{Code: "ip_access_statement", Title: "IP 访问说明", Note: "{sponsor_name}的网站仅通过 IP 访问。",
				FilingTypes: full, Conditions: []string{CondNoDomain}})
		}, "江苏", false, func(c *beian.Case) { c.Website.Domains = nil }, "ip_access_statement", "", "IP 访问说明", "张三的网站仅通过 IP 访问。", ""},
		{"R-IN-7 the IP-only item not for a site with a domain", func(r *Rules) {
			r.Checklist = append(r.Checklist, ChecklistRule{Code: "ip_access_statement", Title: "IP 访问说明", Conditions: []string{CondNoDomain}})
		}, "江苏", false, nil, "", "ip_access_statement", "", "", ""},
		{"R-IN-4 pre-approval: the document number before the note", func(r *Rules) {}, "江苏", false, func(c *beian.Case) {
			c.Website.PreApprovals = []beian.PreApproval{{Category: "教育", DocumentNo: "教审〔2026〕1号"}}
		}, "pre_approval_education", "", "前置审批文件：教育", "文号：教审〔2026〕1号。须出具主管部门的前置审批文件。", ""},
		{"R-IN-4 pre-approval: a renamed category title", func(r *Rules) { r.PreApprovalCategories["education"] = "教育培训" }, "江苏", false, func(c *beian.Case) {
			c.Website.Categories = []string{"education"}
		}, "pre_approval_education", "", "前置审批文件：教育培训", "须出具主管部门的前置审批文件。", "文号"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := DefaultRules()
			tt.modify(&r)
			require.NoError(t, r.Validate())
			c := personCase()
			if tt.org {
				c = orgCase()
			}
			c.Sponsor.Province = tt.province
			if tt.caseModify != nil {
				tt.caseModify(c)
			}
			items := ChecklistWith(c, r)
			if tt.lacks != "" {
				require.NotContains(t, itemCodes(items), tt.lacks)
			}
			if tt.code == "" {
				return
			}
			it := item(t, items, tt.code)
			require.Equal(t, tt.title, it.Title)
			require.Contains(t, it.Note, tt.note)
			if tt.noteLacks != "" {
				require.NotContains(t, it.Note, tt.noteLacks)
			}
		})
	}
}

// R-IN-2: an optional item is listed as not required.
func TestChecklistOptionalItem(t *testing.T) {
	t.Parallel()
	r := DefaultRules()
	r.Checklist = append(r.Checklist, ChecklistRule{Code: "site_screenshot", Title: "网站首页截图", Required: false})
	items := ChecklistWith(personCase(), r)
	require.Equal(t, "site_screenshot", items[len(items)-1].Code)
	require.False(t, items[len(items)-1].Required)
	require.NotContains(t, itemCodes(Checklist(personCase())), "site_screenshot", "the defaults are untouched")
}

// R-IN-2: Check lists the checklist of the rules it is given.
func TestCheckUsesGivenChecklist(t *testing.T) {
	t.Parallel()
	r := DefaultRules()
	r.Checklist = append(r.Checklist, ChecklistRule{Code: "jiangsu_extra", Title: "江苏补充材料", Required: true, Provinces: []string{"江苏"}})
	res := Check(personCase(), Input{Rules: r, DataCentres: testDataCentres(), Now: testNow})
	require.True(t, res.OK(), "%v", res.Violations)
	require.Contains(t, itemCodes(res.Checklist), "jiangsu_extra")
	res = Check(personCase(), Input{DataCentres: testDataCentres(), Now: testNow})
	require.NotContains(t, itemCodes(res.Checklist), "jiangsu_extra")
}
