package intake

import (
	"fmt"
	"slices"
	"strings"

	beian "github.com/beian/beian"
)

// Notes shared by the checklist items (R-IN-2).
const (
	noteOriginalScan = "须为原件扫描件（复印件扫描须加盖公章），不接受传真件。"
	noteSignPerson   = "须本人签名后扫描。"
	noteSignOrg      = "须负责人签名并加盖单位公章后扫描。"
)

// Checklist returns the materials checklist of a case (R-IN-2) under the
// default rules (DefaultRules: which provinces need a landline); Check uses
// the rules it is given. Items already marked received in c.Checklist stay
// received. The items depend on the filing type, the sponsor kind and the
// sponsor's province:
//
//   - new, change and transfer_in need the full verification materials (R-TY:
//     any change needs them; a transfer is reviewed by the bureau like a new
//     filing): registration_form, verification_sheet (or
//     verification_sheet_guangdong), security_commitment, domain_certificate
//     (only when the site has domains, R-IN-7), principal_id, curtain_photo;
//     organisations also business_licence, legal_rep_id and, when the
//     principal is not the legal representative, authorisation_letter;
//     transfer_in also filing_number_and_password; an interactive site
//     interactive_special_filing; each pre-approval category of the site
//     pre_approval_<category>.
//   - cancel (注销备案) is the sponsor giving up its number: the specialist
//     needs proof that the request comes from the sponsor, so principal_id and,
//     for organisations, business_licence and legal_rep_id, plus
//     filing_number_and_password. No form, photo or domain certificate.
//   - cancel_access (取消接入) is our own act on our network: the number and
//     password to identify the filing and principal_id to identify the
//     requester.
func Checklist(c *beian.Case) []beian.ChecklistItem {
	return checklist(c, DefaultRules())
}

func checklist(c *beian.Case, r Rules) []beian.ChecklistItem {
	org := c.Sponsor.Kind == beian.SponsorOrganisation
	province, _ := CanonicalProvince(c.Sponsor.Province)
	var items []beian.ChecklistItem
	add := func(code, title, note string) {
		items = append(items, beian.ChecklistItem{Code: code, Title: title, Note: note, Required: true})
	}
	sign := noteSignPerson
	if org {
		sign = noteSignOrg
	}

	switch c.Type {
	case beian.TypeCancel:
		add(ItemFilingNumberAndPassword, "备案号和备案密码", "注销备案须提供要注销的备案号及备案密码。")
		add(ItemPrincipalID, "网站负责人身份证原件扫描件", noteOriginalScan)
		if org {
			add(ItemBusinessLicence, "营业执照副本原件扫描件", noteOriginalScan)
			add(ItemLegalRepID, "法定代表人身份证原件扫描件", noteOriginalScan)
		}
		return keepReceived(c.Checklist, items)
	case beian.TypeCancelAccess:
		add(ItemFilingNumberAndPassword, "备案号和备案密码", "取消接入须提供备案号及备案密码。")
		add(ItemPrincipalID, "网站负责人身份证原件扫描件", noteOriginalScan)
		return keepReceived(c.Checklist, items)
	}

	// 1. 登记表 (R-IN-2 item 1).
	note := "用户真实完整填写。"
	if !org && provinceIn(province, r.LandlineProvinces) && province != "" {
		note += province + "的个人主办者也须填写固定电话。"
	}
	add(ItemRegistrationForm, "《网站备案资料登记表-用户》", note)

	// 2. 核验单 (item 2), with the province exceptions of the manual (P1 第二步).
	note = sign + noteOriginalScan
	switch province {
	case "广东":
		note = "广东省须使用专用的《网站备案真实性核验单-广东》。" + note
		add(ItemVerificationSheetGuangdong, "《网站备案真实性核验单-广东》", note)
	default:
		switch province {
		case "江西":
			if !org {
				note = "江西省个人备案须在签字处加盖指纹。" + note
			}
		case "山西":
			note = "山西省核验单上的域名须机打，不可手写。" + note
		case "北京":
			note = "北京市须在核验单网站域名栏的域名后面填写注册服务商全称，例如：chinanet.cc 中网科技（苏州）股份有限公司。" + note
		}
		add(ItemVerificationSheet, "《网站备案真实性核验单》", note)
	}

	// 3. 信息安全责任书 (item 3).
	add(ItemSecurityCommitment, "《网站备案信息安全责任书》", sign+noteOriginalScan)

	// 4. 域名证书 (item 4): not for a site reached by IP only (R-IN-7).
	if len(c.Website.Domains) > 0 {
		owner := strings.TrimSpace(c.Sponsor.Name)
		if owner == "" {
			owner = "网站主办者"
		}
		add(ItemDomainCertificate, "域名证书电子版",
			fmt.Sprintf("域名：%s。域名所有人须与网站主办者（%s）一致。", strings.Join(c.Website.Domains, "、"), owner))
	}

	// 5, 6. 负责人身份证, 幕布照片.
	add(ItemPrincipalID, "网站负责人身份证原件扫描件", noteOriginalScan)
	add(ItemCurtainPhoto, "网站负责人背景为幕布的半身照片",
		"不接受 PS 照片。请到我公司现场拍照，或用幕布文件制作幕布拍照，也可联系中网科技客服购买幕布拍照。")

	// 7–9. Organisations.
	if org {
		add(ItemBusinessLicence, "营业执照副本原件扫描件", noteOriginalScan)
		add(ItemLegalRepID, "法定代表人身份证原件扫描件", noteOriginalScan)
		if !principalIsLegalRep(c) {
			title := "网站负责人委托书"
			switch province {
			case "上海":
				title = "《网站负责人委托书-上海》"
			case "湖南", "安徽":
				title = "《湖南和安徽企业备案委托书》"
			}
			add(ItemAuthorisationLetter, title, "网站负责人不是法定代表人，须提供委托书。"+noteSignOrg+noteOriginalScan)
		}
	}

	// 10. 备案接入: the existing number and password.
	if c.Type == beian.TypeTransferIn {
		add(ItemFilingNumberAndPassword, "备案号和备案密码", "备案接入（将已有备案转入我公司）须提供已有的备案号及备案密码。")
	}

	// 电子公告 (R-IN-4): the special filing.
	if c.Website.Interactive {
		add(ItemInteractiveSpecialFiling, "电子公告服务专项备案（专项审批）文件",
			"网站含 BBS 论坛、可评论的留言板等交互式栏目，须向所在地通信管理局办理电子公告服务专项申请或专项备案，获准后方可开展。")
	}

	// 前置审批 (R-IN-4): one document per regulated category of the site.
	for _, cat := range preApprovalCategoriesOf(c, r) {
		note := "须出具主管部门的前置审批文件。" + noteOriginalScan
		for _, pa := range c.Website.PreApprovals {
			if categoryCode(pa.Category, r) == cat && strings.TrimSpace(pa.DocumentNo) != "" {
				note = "文号：" + strings.TrimSpace(pa.DocumentNo) + "。" + note
				break
			}
		}
		add(ItemPreApprovalPrefix+cat, "前置审批文件："+r.PreApprovalCategories[cat], note)
	}
	return keepReceived(c.Checklist, items)
}

// principalIsLegalRep reports whether the site principal is the organisation's
// legal representative (R-IN-2 item 9): same name and same ID number.
func principalIsLegalRep(c *beian.Case) bool {
	lr := c.Sponsor.LegalRep
	if lr == nil {
		return false
	}
	name := strings.TrimSpace(c.Principal.Name)
	id := strings.ToUpper(strings.TrimSpace(c.Principal.IDNumber))
	return name != "" && name == strings.TrimSpace(lr.Name) &&
		id != "" && id == strings.ToUpper(strings.TrimSpace(lr.IDNumber))
}

// categoryCode maps a category given by code or by Chinese title to its code
// in r; "" when it is not a pre-approval category.
func categoryCode(cat string, r Rules) string {
	cat = strings.TrimSpace(cat)
	if _, ok := r.PreApprovalCategories[cat]; ok {
		return cat
	}
	if lc := strings.ToLower(cat); lc != cat {
		if _, ok := r.PreApprovalCategories[lc]; ok {
			return lc
		}
	}
	for code, title := range r.PreApprovalCategories {
		if cat != "" && cat == strings.TrimSpace(title) {
			return code
		}
	}
	return ""
}

// preApprovalCategoriesOf lists the site's pre-approval categories, each
// once: those of its content categories, then those it gave a document for.
func preApprovalCategoriesOf(c *beian.Case, r Rules) []string {
	var out []string
	for _, cat := range c.Website.Categories {
		if code := categoryCode(cat, r); code != "" && !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	for _, pa := range c.Website.PreApprovals {
		if code := categoryCode(pa.Category, r); code != "" && !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	return out
}

// keepReceived carries the Received mark of items already on the case over to
// the recomputed checklist.
func keepReceived(old, items []beian.ChecklistItem) []beian.ChecklistItem {
	for i := range items {
		for _, o := range old {
			if o.Code == items[i].Code && o.Received {
				items[i].Received = true
			}
		}
	}
	return items
}
