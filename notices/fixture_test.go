package notices_test

import (
	"time"

	"github.com/beian/beian"
)

// Secrets planted in the fixture; no notice may contain them.
const (
	sponsorCert    = "91320594MA1XYZ0Q7K"
	principalID    = "320102199001011234"
	legalRepID     = "320102198505052345"
	sealedPassword = "sealed:v1:Q2lwaGVydGV4dFNlY3JldA=="
)

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// newCase is an organisation's case on a Jiangsu server, reviewed by the
// Guangdong bureau (R-ENT-3).
func newCase() *beian.Case {
	return &beian.Case{
		ID:     "c-1",
		CaseNo: "JS-2026-000042",
		Type:   beian.TypeNew,
		Status: beian.StatusAwaitingMaterials,
		Routing: beian.Routing{
			Province:       "江苏",
			DataCentre:     "苏州园区机房",
			AccessProvider: "中网科技（苏州）股份有限公司",
			Mailbox:        "JSBA@ChinaNet.CC",
			BureauProvince: "广东",
		},
		Checklist: []beian.ChecklistItem{
			{Code: "registration_form", Title: "《网站备案资料登记表-用户》", Required: true, Received: true},
			{Code: "verification_sheet_guangdong", Title: "《网站备案真实性核验单-广东》", Note: "广东省专用核验单，需签名并加盖公章", Required: true},
			{Code: "curtain_photo", Title: "网站负责人背景为幕布的半身照片", Note: "不接受PS照片", Required: true},
			{Code: "authorisation_letter", Title: "网站负责人委托书", Note: "网站负责人是法定代表人的可不提供", Required: false},
		},
		EmailSubject: "广州示例科技有限公司+example.cn",
		Deadlines: beian.Deadlines{
			PurgeAt:     at("2026-10-28T02:30:00Z"), // 10:30 in Beijing
			BureauDueAt: at("2026-11-25T15:59:00Z"), // 23:59 in Beijing
			RectifyBy:   at("2026-10-09T09:00:00Z"), // 17:00 in Beijing
		},
		FilingNumber:         "粤ICP备12345678号-1",
		FilingPasswordSealed: sealedPassword,
		ReturnReason:         "网站名称与网站内容不符",
		RectifyReason:        "域名 example.cn 解析至 203.0.113.9，非我公司机房IP",
		Sponsor: beian.Sponsor{
			Kind:       beian.SponsorOrganisation,
			Name:       "广州示例科技有限公司",
			CertType:   beian.CertUSCC,
			CertNumber: sponsorCert,
			Province:   "广东",
			City:       "广州",
			LegalRep:   &beian.Person{Name: "王五", IDNumber: legalRepID},
		},
		Principal: beian.Principal{
			Name:     "李四",
			IDNumber: principalID,
			Mobile:   "13912345678",
			Email:    "lisi@example.cn",
		},
		Website: beian.Website{
			Name:      "示例科技官网",
			Domains:   []string{"example.cn", "例子.中国"},
			ServerIPs: []string{"198.51.100.7"},
		},
	}
}
