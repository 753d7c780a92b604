package intake

import (
	"slices"
	"strings"

	beian "github.com/beian/beian"
)

// Notes shared by the checklist items of DefaultRules (R-IN-2).
const (
	noteOriginalScan = "须为原件扫描件（复印件扫描须加盖公章），不接受传真件。"
	noteSignPerson   = "须本人签名后扫描。"
	noteSignOrg      = "须负责人签名并加盖单位公章后扫描。"
)

// ChecklistRule is one item of the materials checklist as data (R-IN-2): the
// item, and the conditions under which a case needs it. Every condition
// given must hold; an empty list does not restrict. Several rules may share a
// code when they can never apply to the same case (e.g. the personal and the
// organisation version of an item); Validate refuses those that could.
type ChecklistRule struct {
	// Code is the item's stable code (e.g. "verification_sheet"); for a
	// PerPreApprovalCategory rule the items are Code + "_" + category code.
	Code string
	// Title is the item's Chinese title as the filer sees it.
	Title string
	// Note tells the filer how to provide the item (signatures, seal,
	// originals). Title and notes may use the placeholders of
	// ChecklistPlaceholders.
	Note string
	// Required marks an item the case cannot go on without.
	Required bool
	// FilingTypes the item is for (R-TY); empty: every type. A case whose
	// type is not one of the five is treated as new.
	FilingTypes []beian.CaseType
	// SponsorKinds the item is for; empty: both. A sponsor of unknown kind
	// is treated as a person.
	SponsorKinds []beian.SponsorKind
	// Provinces, when not empty, limits the item to sponsors (主办者属地) of
	// these provinces; ExceptProvinces leaves sponsors of these out.
	Provinces       []string
	ExceptProvinces []string
	// Conditions are named conditions on the case, each one of
	// ChecklistConditions (e.g. "principal_not_legal_rep", "has_domain").
	Conditions []string
	// PerPreApprovalCategory makes the rule yield one item per pre-approval
	// category of the site (前置审批, R-IN-4), in the order the site gives
	// them; {category} is the category's title and {document_no} the
	// document number the filer gave for it.
	PerPreApprovalCategory bool
	// ConditionalNotes are added to the item's note when their condition
	// holds, e.g. the landline sentence for the provinces of
	// Rules.LandlineProvinces.
	ConditionalNotes []ConditionalNote
}

// ConditionalNote is a sentence added to a checklist item's note when the
// named condition (one of ChecklistConditions) holds for the case (R-IN-2).
type ConditionalNote struct {
	Condition string
	Note      string
	// Before puts the sentence before the rule's note instead of after it.
	Before bool
}

// FormVariant is a province's own version of a checklist item (R-IN-2), e.g.
// 广东's 《网站备案真实性核验单-广东》: for a sponsor of Province, the item of
// the rule with code Item takes Code and Title (an empty one keeps the
// rule's).
type FormVariant struct {
	Province string
	Item     string
	Code     string
	Title    string
}

// ProvinceNote is a province's extra instruction for a checklist item
// (R-IN-2), e.g. 江西's fingerprint on the personal verification sheet: for a
// sponsor of Province (and of SponsorKind, when given) the item of the rule
// with code Item has Note put before its own.
type ProvinceNote struct {
	Province    string
	Item        string
	SponsorKind beian.SponsorKind
	Note        string
}

// Named conditions of checklist rules and conditional notes (R-IN-2).
const (
	CondHasDomain            = "has_domain"              // the site has a domain (not IP-only, R-IN-7)
	CondNoDomain             = "no_domain"               // the site is reached by IP only (R-IN-7)
	CondInteractive          = "interactive"             // the site has interactive sections (电子公告, R-IN-4)
	CondNotInteractive       = "not_interactive"         // it has none
	CondPrincipalIsLegalRep  = "principal_is_legal_rep"  // the principal is the legal representative (same name and ID)
	CondPrincipalNotLegalRep = "principal_not_legal_rep" // the principal is not the legal representative
	CondLandlineRequired     = "landline_required"       // a personal sponsor of one of Rules.LandlineProvinces
	CondDocumentNoGiven      = "document_no_given"       // PerPreApprovalCategory only: a document number was given
)

// ChecklistConditions are the named conditions a checklist rule or a
// conditional note may use, each with its Chinese meaning.
var ChecklistConditions = map[string]string{
	CondHasDomain:            "网站有域名",
	CondNoDomain:             "网站仅通过 IP 访问，没有域名",
	CondInteractive:          "网站含电子公告等交互式栏目",
	CondNotInteractive:       "网站不含交互式栏目",
	CondPrincipalIsLegalRep:  "网站负责人是法定代表人",
	CondPrincipalNotLegalRep: "网站负责人不是法定代表人",
	CondLandlineRequired:     "个人主办者属地在须填固定电话的省份",
	CondDocumentNoGiven:      "已填写该前置审批类别的文号（仅用于按前置审批类别逐项列出的材料）",
}

// ChecklistPlaceholders are the placeholders a checklist title or note may
// use, each with its Chinese meaning. {category} and {document_no} only mean
// something in a PerPreApprovalCategory rule.
var ChecklistPlaceholders = map[string]string{
	"{province}":     "主办者属地（省份简称）",
	"{sponsor_name}": "主办者名称（未填时为“网站主办者”）",
	"{domains}":      "网站域名，以顿号分隔",
	"{category}":     "前置审批类别名称",
	"{document_no}":  "该类别的前置审批文号",
}

// defaultChecklist is the manual's checklist (P1 第二步) as data, in the
// order the filer sees it (R-IN-2, R-TY, R-IN-4, R-IN-7).
func defaultChecklist() []ChecklistRule {
	full := func() []beian.CaseType {
		return []beian.CaseType{beian.TypeNew, beian.TypeChange, beian.TypeTransferIn}
	}
	person := func() []beian.SponsorKind { return []beian.SponsorKind{beian.SponsorPerson} }
	org := func() []beian.SponsorKind { return []beian.SponsorKind{beian.SponsorOrganisation} }
	return []ChecklistRule{
		// cancel (注销备案): the sponsor gives up its number; the specialist needs
		// proof that the request comes from the sponsor.
		{Code: ItemFilingNumberAndPassword, Title: "备案号和备案密码", Note: "注销备案须提供要注销的备案号及备案密码。", Required: true,
			FilingTypes: []beian.CaseType{beian.TypeCancel}},
		// cancel_access (取消接入): our own act; the number and password identify the filing.
		{Code: ItemFilingNumberAndPassword, Title: "备案号和备案密码", Note: "取消接入须提供备案号及备案密码。", Required: true,
			FilingTypes: []beian.CaseType{beian.TypeCancelAccess}},
		// 1. 登记表; a personal sponsor in a landline province also gives a fixed line.
		{Code: ItemRegistrationForm, Title: "《网站备案资料登记表-用户》", Note: "用户真实完整填写。", Required: true,
			FilingTypes: full(),
			ConditionalNotes: []ConditionalNote{
				{Condition: CondLandlineRequired, Note: "{province}的个人主办者也须填写固定电话。"},
			}},
		// 2. 核验单 (province versions: FormVariants, ProvinceNotes).
		{Code: ItemVerificationSheet, Title: "《网站备案真实性核验单》", Note: noteSignPerson + noteOriginalScan, Required: true,
			FilingTypes: full(), SponsorKinds: person()},
		{Code: ItemVerificationSheet, Title: "《网站备案真实性核验单》", Note: noteSignOrg + noteOriginalScan, Required: true,
			FilingTypes: full(), SponsorKinds: org()},
		// 3. 信息安全责任书.
		{Code: ItemSecurityCommitment, Title: "《网站备案信息安全责任书》", Note: noteSignPerson + noteOriginalScan, Required: true,
			FilingTypes: full(), SponsorKinds: person()},
		{Code: ItemSecurityCommitment, Title: "《网站备案信息安全责任书》", Note: noteSignOrg + noteOriginalScan, Required: true,
			FilingTypes: full(), SponsorKinds: org()},
		// 4. 域名证书: not for a site reached by IP only (R-IN-7).
		{Code: ItemDomainCertificate, Title: "域名证书电子版", Note: "域名：{domains}。域名所有人须与网站主办者（{sponsor_name}）一致。", Required: true,
			FilingTypes: full(), Conditions: []string{CondHasDomain}},
		// 5. 负责人身份证: every type (a cancel or cancel_access identifies the requester by it).
		{Code: ItemPrincipalID, Title: "网站负责人身份证原件扫描件", Note: noteOriginalScan, Required: true},
		// 6. 幕布照片.
		{Code: ItemCurtainPhoto, Title: "网站负责人背景为幕布的半身照片",
			Note:     "不接受 PS 照片。请到我公司现场拍照，或用幕布文件制作幕布拍照，也可联系中网科技客服购买幕布拍照。",
			Required: true, FilingTypes: full()},
		// 7, 8. Organisations, also when they cancel their filing.
		{Code: ItemBusinessLicence, Title: "营业执照副本原件扫描件", Note: noteOriginalScan, Required: true,
			FilingTypes: []beian.CaseType{beian.TypeNew, beian.TypeChange, beian.TypeTransferIn, beian.TypeCancel}, SponsorKinds: org()},
		{Code: ItemLegalRepID, Title: "法定代表人身份证原件扫描件", Note: noteOriginalScan, Required: true,
			FilingTypes: []beian.CaseType{beian.TypeNew, beian.TypeChange, beian.TypeTransferIn, beian.TypeCancel}, SponsorKinds: org()},
		// 9. 委托书 when the principal is not the legal representative (上海, 湖南, 安徽: FormVariants).
		{Code: ItemAuthorisationLetter, Title: "网站负责人委托书", Note: "网站负责人不是法定代表人，须提供委托书。" + noteSignOrg + noteOriginalScan, Required: true,
			FilingTypes: full(), SponsorKinds: org(), Conditions: []string{CondPrincipalNotLegalRep}},
		// 10. 备案接入: the existing number and password.
		{Code: ItemFilingNumberAndPassword, Title: "备案号和备案密码", Note: "备案接入（将已有备案转入我公司）须提供已有的备案号及备案密码。", Required: true,
			FilingTypes: []beian.CaseType{beian.TypeTransferIn}},
		// 电子公告 (R-IN-4): the special filing.
		{Code: ItemInteractiveSpecialFiling, Title: "电子公告服务专项备案（专项审批）文件",
			Note:     "网站含 BBS 论坛、可评论的留言板等交互式栏目，须向所在地通信管理局办理电子公告服务专项申请或专项备案，获准后方可开展。",
			Required: true, FilingTypes: full(), Conditions: []string{CondInteractive}},
		// 前置审批 (R-IN-4): one document per regulated category of the site.
		{Code: strings.TrimSuffix(ItemPreApprovalPrefix, "_"), Title: "前置审批文件：{category}",
			Note: "须出具主管部门的前置审批文件。" + noteOriginalScan, Required: true,
			FilingTypes: full(), PerPreApprovalCategory: true,
			ConditionalNotes: []ConditionalNote{{Condition: CondDocumentNoGiven, Note: "文号：{document_no}。", Before: true}}},
	}
}

// defaultFormVariants are the provinces' own forms of the manual (P1 第二步, R-IN-2).
func defaultFormVariants() []FormVariant {
	return []FormVariant{
		{Province: "广东", Item: ItemVerificationSheet, Code: ItemVerificationSheetGuangdong, Title: "《网站备案真实性核验单-广东》"},
		{Province: "上海", Item: ItemAuthorisationLetter, Title: "《网站负责人委托书-上海》"},
		{Province: "湖南", Item: ItemAuthorisationLetter, Title: "《湖南和安徽企业备案委托书》"},
		{Province: "安徽", Item: ItemAuthorisationLetter, Title: "《湖南和安徽企业备案委托书》"},
	}
}

// defaultProvinceNotes are the provinces' extra instructions of the manual
// (P1 第二步, R-IN-2).
func defaultProvinceNotes() []ProvinceNote {
	return []ProvinceNote{
		{Province: "广东", Item: ItemVerificationSheet, Note: "广东省须使用专用的《网站备案真实性核验单-广东》。"},
		{Province: "江西", Item: ItemVerificationSheet, SponsorKind: beian.SponsorPerson, Note: "江西省个人备案须在签字处加盖指纹。"},
		{Province: "山西", Item: ItemVerificationSheet, Note: "山西省核验单上的域名须机打，不可手写。"},
		{Province: "北京", Item: ItemVerificationSheet, Note: "北京市须在核验单网站域名栏的域名后面填写注册服务商全称，例如：chinanet.cc 中网科技（苏州）股份有限公司。"},
	}
}

// Checklist returns the materials checklist of a case (R-IN-2) under the
// default rules (DefaultRules); Check uses the rules in force through
// ChecklistWith. Items already marked received in c.Checklist stay received.
func Checklist(c *beian.Case) []beian.ChecklistItem {
	return ChecklistWith(c, DefaultRules())
}

// ChecklistWith returns the materials checklist of a case (R-IN-2) under r:
// the items of r.Checklist whose conditions the case meets, in that order,
// each in its sponsor province's version (r.FormVariants) and with the
// province's instructions (r.ProvinceNotes) before its note. Under
// DefaultRules:
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
//
// Items already marked received in c.Checklist stay received.
func ChecklistWith(c *beian.Case, r Rules) []beian.ChecklistItem {
	x := newChecklistCase(c, r)
	var items []beian.ChecklistItem
	for _, rule := range r.Checklist {
		if !x.matches(rule) {
			continue
		}
		if !rule.PerPreApprovalCategory {
			if x.holdsAll(rule.Conditions) {
				items = append(items, x.item(rule, rule.Code))
			}
			continue
		}
		for _, cat := range preApprovalCategoriesOf(c, r) {
			x.category, x.categoryTitle, x.documentNo = cat, r.PreApprovalCategories[cat], documentNoOf(c, r, cat)
			if x.holdsAll(rule.Conditions) {
				items = append(items, x.item(rule, rule.Code+"_"+cat))
			}
		}
		x.category, x.categoryTitle, x.documentNo = "", "", ""
	}
	return keepReceived(c.Checklist, items)
}

// checklistCase is a case as the checklist rules see it.
type checklistCase struct {
	c        *beian.Case
	r        Rules
	typ      beian.CaseType    // one of the five; an unknown type counts as new
	kind     beian.SponsorKind // person or organisation; an unknown kind counts as a person
	province string            // the sponsor's province, short name; "" when unknown
	// The pre-approval category being listed by a PerPreApprovalCategory rule.
	category, categoryTitle, documentNo string
}

func newChecklistCase(c *beian.Case, r Rules) *checklistCase {
	x := &checklistCase{c: c, r: r, typ: c.Type, kind: c.Sponsor.Kind}
	if !x.typ.Valid() {
		x.typ = beian.TypeNew
	}
	if x.kind != beian.SponsorOrganisation {
		x.kind = beian.SponsorPerson
	}
	x.province, _ = CanonicalProvince(c.Sponsor.Province)
	return x
}

// matches reports whether the rule's type, kind and province conditions hold.
func (x *checklistCase) matches(rule ChecklistRule) bool {
	if len(rule.FilingTypes) > 0 && !slices.Contains(rule.FilingTypes, x.typ) {
		return false
	}
	if len(rule.SponsorKinds) > 0 && !slices.Contains(rule.SponsorKinds, x.kind) {
		return false
	}
	if len(rule.Provinces) > 0 && (x.province == "" || !provinceIn(x.province, rule.Provinces)) {
		return false
	}
	return x.province == "" || !provinceIn(x.province, rule.ExceptProvinces)
}

func (x *checklistCase) holdsAll(conds []string) bool {
	for _, cond := range conds {
		if !x.holds(cond) {
			return false
		}
	}
	return true
}

// holds evaluates a named condition (ChecklistConditions); an unknown name
// never holds (Validate refuses it).
func (x *checklistCase) holds(cond string) bool {
	switch cond {
	case CondHasDomain:
		return len(x.c.Website.Domains) > 0
	case CondNoDomain:
		return len(x.c.Website.Domains) == 0
	case CondInteractive:
		return x.c.Website.Interactive
	case CondNotInteractive:
		return !x.c.Website.Interactive
	case CondPrincipalIsLegalRep:
		return principalIsLegalRep(x.c)
	case CondPrincipalNotLegalRep:
		return !principalIsLegalRep(x.c)
	case CondLandlineRequired:
		return x.kind == beian.SponsorPerson && x.province != "" && provinceIn(x.province, x.r.LandlineProvinces)
	case CondDocumentNoGiven:
		return x.documentNo != ""
	}
	return false
}

// item builds the checklist item of a rule that applies.
func (x *checklistCase) item(rule ChecklistRule, code string) beian.ChecklistItem {
	title := rule.Title
	for _, v := range x.r.FormVariants {
		if v.Item == rule.Code && x.province != "" && sameProvince(v.Province, x.province) {
			if v.Code != "" {
				code = v.Code
				if rule.PerPreApprovalCategory {
					code += "_" + x.category
				}
			}
			if v.Title != "" {
				title = v.Title
			}
			break
		}
	}
	var before, after strings.Builder
	for _, n := range x.r.ProvinceNotes {
		if n.Item == rule.Code && x.province != "" && sameProvince(n.Province, x.province) &&
			(n.SponsorKind == "" || n.SponsorKind == x.kind) {
			before.WriteString(n.Note)
		}
	}
	for _, n := range rule.ConditionalNotes {
		if !x.holds(n.Condition) {
			continue
		}
		if n.Before {
			before.WriteString(n.Note)
		} else {
			after.WriteString(n.Note)
		}
	}
	return beian.ChecklistItem{
		Code:     code,
		Title:    x.expand(title),
		Note:     x.expand(before.String() + rule.Note + after.String()),
		Required: rule.Required,
	}
}

// expand fills in the placeholders of ChecklistPlaceholders.
func (x *checklistCase) expand(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	owner := strings.TrimSpace(x.c.Sponsor.Name)
	if owner == "" {
		owner = "网站主办者"
	}
	return strings.NewReplacer(
		"{province}", x.province,
		"{sponsor_name}", owner,
		"{domains}", strings.Join(x.c.Website.Domains, "、"),
		"{category}", x.categoryTitle,
		"{document_no}", x.documentNo,
	).Replace(s)
}

// documentNoOf returns the document number the site gave for a pre-approval
// category, "" when none.
func documentNoOf(c *beian.Case, r Rules, cat string) string {
	for _, pa := range c.Website.PreApprovals {
		if categoryCode(pa.Category, r) == cat && strings.TrimSpace(pa.DocumentNo) != "" {
			return strings.TrimSpace(pa.DocumentNo)
		}
	}
	return ""
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
