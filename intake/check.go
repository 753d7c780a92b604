package intake

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	beian "github.com/beian/beian"
)

// Input is what a check needs besides the case.
type Input struct {
	// Rules are the intake rules in force; a zero Rules means DefaultRules().
	Rules Rules
	// DataCentres are our data centres and their ranges (R-ENT-1/2).
	DataCentres []beian.DataCentre
	// Now is the time of the check: a birth date may not be after it (a zero
	// Now skips that test).
	Now time.Time
	// FilingPassword is the filing password in clear as the filer gave it, if
	// the caller has not sealed it into c.FilingPasswordSealed yet (R-TY). It is
	// only tested for presence, never kept.
	FilingPassword string
	// Blacklist are the entries no sponsor, principal, domain or phone of the
	// case may match (R-IN-6).
	Blacklist []BlacklistEntry
}

// Result of a check.
type Result struct {
	// Routing is the system province, data centre, access provider and mailbox
	// given by the server IPs (R-ENT-1) and the bureau province, the sponsor's
	// (R-ENT-3).
	Routing beian.Routing
	// Checklist is the materials checklist (R-IN-2).
	Checklist []beian.ChecklistItem
	// EmailSubject is the subject the filer mails the materials under (R-IN-3):
	// <sponsor full name>+<first domain, or first IP for an IP-only site>; an
	// IDN domain is given in Unicode, as the filer knows it.
	EmailSubject string
	// Violations are all the broken rules at once, in field order, each with
	// Rule, Code, Field (a JSON path like "sponsor.cert_number",
	// "website.domains[1]") and a Chinese Message.
	Violations []beian.Violation
	// Notes are things staff must tell the filer that are not violations,
	// e.g. that an interactive site needs the special filing (电子公告).
	Notes []string
}

// OK reports whether the case broke no rule.
func (r Result) OK() bool { return len(r.Violations) == 0 }

// Check normalises c in place (domains to the registrable domain in lower-case
// punycode, server IPs to canonical form, ID numbers with x → X, credit codes
// upper-case, mobiles to 11 digits, provinces to their short names, type and
// kind to lower case, every field trimmed) and runs every intake rule:
// R-TY (type, filing number and password), R-IN-4 (required fields, ID
// numbers, credit code, mobile, e-mail, person ↔ organisation, site-name
// words, domains, pre-approvals), R-IN-2 (landline, checklist), R-IN-7 (IP-only
// sites), R-ENT-1/2 (routing, our IPs), R-IN-1 (suspended residences) and
// R-ENT-3 (bureau province) and R-IN-6 (blacklist, when Input carries it). It
// reports every violation, not the first only. R-IN-5 (conflicts with cases
// and filings on file) is the store's: it needs the database.
// Check does not set c.Routing, c.Checklist or c.EmailSubject: the caller
// takes them from the Result. Normalising twice changes nothing more.
func Check(c *beian.Case, in Input) Result {
	r := in.Rules
	if r.isZero() {
		r = DefaultRules()
	}
	k := &checker{c: c, r: r, now: in.Now}
	normaliseCase(c)

	k.checkType(in.FilingPassword)
	k.checkSponsor()
	k.checkPrincipal()
	k.checkSiteName()
	unicodeFirst := k.checkDomains()
	k.checkPreApprovals()
	k.checkBlacklist(in.Blacklist)

	routing, vs := Route(in.DataCentres, c.Website.ServerIPs)
	for i, ip := range c.Website.ServerIPs {
		if a, ok := parseIP(ip); ok {
			c.Website.ServerIPs[i] = a.String()
		}
	}
	k.vs = append(k.vs, vs...)
	if p, ok := CanonicalProvince(c.Sponsor.Province); ok {
		routing.BureauProvince = p // R-ENT-3: the sponsor's bureau reviews, whatever the server's province
		if routing.Province != "" {
			for sys, list := range r.SuspendedResidences {
				if sameProvince(sys, routing.Province) && provinceIn(p, list) {
					k.add("R-IN-1", CodeSuspendedResidence, "sponsor.province",
						"服务器 IP 在%s的网站，主办者属地为%s的暂停备案", routing.Province, p)
					break
				}
			}
		}
	}

	res := Result{
		Routing:    routing,
		Checklist:  ChecklistWith(c, r),
		Violations: k.vs,
	}
	if name, first := c.Sponsor.Name, c.PrimaryName(); name != "" && first != "" {
		if unicodeFirst != "" {
			first = unicodeFirst
		}
		res.EmailSubject = name + "+" + first // R-IN-3
	}
	if c.Website.Interactive && fullMaterials(c.Type) {
		res.Notes = append(res.Notes, "网站含电子公告服务（BBS 论坛、可评论的留言板等交互式栏目），须向所在地通信管理局办理电子公告服务专项备案，获准后方可开展。")
	}
	if len(c.Website.Domains) > 1 {
		res.Notes = append(res.Notes, "同一网站的多个域名须全部指向同一网站（R-IN-4）。")
	}
	return res
}

func (r Rules) isZero() bool {
	return len(r.SuspendedResidences) == 0 && len(r.LandlineProvinces) == 0 && len(r.NationalWords) == 0 &&
		len(r.RegionNames) == 0 && len(r.PreApprovalCategories) == 0 && len(r.FileableSuffixes) == 0 &&
		len(r.LegacyCreditCodes) == 0 && len(r.Checklist) == 0 && len(r.FormVariants) == 0 && len(r.ProvinceNotes) == 0
}

// fullMaterials reports whether the type needs the full verification
// materials and the site-content rules: a new filing, a change (R-TY: any
// change needs the full materials) and a transfer in, which the bureau
// reviews like a new filing.
func fullMaterials(t beian.CaseType) bool {
	return t == beian.TypeNew || t == beian.TypeChange || t == beian.TypeTransferIn
}

type checker struct {
	c   *beian.Case
	r   Rules
	now time.Time
	vs  []beian.Violation
}

func (k *checker) add(rule, code, field, format string, args ...any) {
	k.vs = append(k.vs, beian.Violation{Rule: rule, Code: code, Field: field, Message: fmt.Sprintf(format, args...)})
}

// addErr adds the violation of a validator's *beian.Error.
func (k *checker) addErr(rule, field, what string, err error) {
	var e *beian.Error
	if errors.As(err, &e) {
		k.add(rule, e.Code, field, "%s：%s", what, e.Message)
		return
	}
	k.add(rule, beian.CodeInvalid, field, "%s：%v", what, err)
}

func (k *checker) required(rule, field, what, value string) bool {
	if value == "" {
		k.add(rule, CodeRequired, field, "%s不能为空", what)
		return false
	}
	return true
}

// normaliseCase trims every field and brings codes to their canonical case.
func normaliseCase(c *beian.Case) {
	t := strings.TrimSpace
	c.Type = beian.CaseType(strings.ToLower(t(string(c.Type))))
	c.FilingNumber = normaliseFilingNumber(c.FilingNumber)
	s := &c.Sponsor
	s.Kind = beian.SponsorKind(strings.ToLower(t(string(s.Kind))))
	s.Name = t(s.Name)
	s.CertType = strings.ToLower(t(s.CertType))
	if s.CertType == "" { // the kind says which certificate it is
		switch s.Kind {
		case beian.SponsorPerson:
			s.CertType = beian.CertIDCard
		case beian.SponsorOrganisation:
			s.CertType = beian.CertUSCC
		}
	}
	s.CertNumber = strings.ToUpper(t(s.CertNumber))
	if p, ok := CanonicalProvince(s.Province); ok {
		s.Province = p
	} else {
		s.Province = t(s.Province)
	}
	s.City = t(s.City)
	s.Address = t(s.Address)
	if s.LegalRep != nil {
		s.LegalRep.Name = t(s.LegalRep.Name)
		s.LegalRep.IDNumber = strings.ToUpper(t(s.LegalRep.IDNumber))
	}
	p := &c.Principal
	p.Name = t(p.Name)
	p.IDNumber = strings.ToUpper(t(p.IDNumber))
	p.Mobile = t(p.Mobile)
	if m, err := ValidateMobile(p.Mobile); err == nil {
		p.Mobile = m
	}
	p.Landline = t(p.Landline)
	if l, err := validateLandline(p.Landline); err == nil && p.Landline != "" {
		p.Landline = l
	}
	p.Email = t(p.Email)
	p.QQ = t(p.QQ)
	w := &c.Website
	w.Name = t(w.Name)
	for i := range w.Domains {
		w.Domains[i] = t(w.Domains[i])
	}
	for i := range w.ServerIPs {
		w.ServerIPs[i] = t(w.ServerIPs[i])
	}
	for i := range w.Categories {
		w.Categories[i] = t(w.Categories[i])
	}
	for i := range w.PreApprovals {
		w.PreApprovals[i].Category = t(w.PreApprovals[i].Category)
		w.PreApprovals[i].DocumentNo = t(w.PreApprovals[i].DocumentNo)
	}
}

// filingNumberRe matches a filing number such as 苏ICP备12345678号-1 or
// 京ICP证030173号.
var filingNumberRe = regexp.MustCompile(`^\p{Han}ICP[备证]\d{4,12}号(-\d{1,4})?$`)

func normaliseFilingNumber(s string) string {
	s = strings.Join(strings.Fields(s), "")
	return strings.NewReplacer("icp", "ICP", "Icp", "ICP", "－", "-", "—", "-").Replace(s)
}

// checkType checks the filing type and, for the types that work on an
// existing filing, its number and password (R-TY).
func (k *checker) checkType(password string) {
	c := k.c
	if !c.Type.Valid() {
		if c.Type == "" {
			k.add("R-TY", CodeRequired, "type", "备案类型不能为空（new、change、cancel、transfer_in、cancel_access）")
		} else {
			k.add("R-TY", CodeInvalidType, "type", "备案类型“%s”无效，应为 new、change、cancel、transfer_in 或 cancel_access", c.Type)
		}
		return
	}
	if !c.Type.NeedsFilingNumber() {
		return
	}
	if c.FilingNumber == "" {
		k.add("R-TY", CodeFilingNumberRequired, "filing_number", "%s须提供已有的备案号", c.Type.Title())
	} else if !filingNumberRe.MatchString(c.FilingNumber) {
		k.add("R-TY", CodeInvalidFilingNumber, "filing_number", "备案号“%s”格式不对，应如“苏ICP备12345678号-1”", c.FilingNumber)
	}
	if strings.TrimSpace(password) == "" && c.FilingPasswordSealed == "" {
		k.add("R-TY", CodeFilingNumberRequired, "filing_password", "%s须提供备案密码", c.Type.Title())
	}
}

// orgWords mark an organisation's name: a personal sponsor or a personal
// site does not carry them (R-IN-4: 个人网站不能以公司名义备案).
var orgWords = []string{"公司", "有限", "集团", "企业", "工作室", "事务所", "协会", "学会", "委员会", "研究院", "研究所", "学校", "大学", "医院", "银行", "政府", "官方", "官网"}

func (k *checker) checkSponsor() {
	c, s := k.c, &k.c.Sponsor
	full := fullMaterials(c.Type)
	switch s.Kind {
	case beian.SponsorPerson, beian.SponsorOrganisation:
	case "":
		k.add("R-IN-4", CodeRequired, "sponsor.kind", "主办者性质不能为空（person 个人或 organisation 单位）")
	default:
		k.add("R-IN-4", CodeInvalidSponsorKind, "sponsor.kind", "主办者性质“%s”无效，应为 person（个人）或 organisation（单位）", s.Kind)
	}
	if k.required("R-IN-4", "sponsor.name", "主办者名称", s.Name) && s.Kind == beian.SponsorPerson {
		if w := containsAny(s.Name, orgWords); w != "" {
			k.add("R-IN-4", CodeSponsorKindMismatch, "sponsor.name", "个人主办者名称含“%s”：单位的网站不能以个人名义备案", w)
		}
	}
	if k.required("R-IN-4", "sponsor.cert_type", "主办者证件类型", s.CertType) {
		switch {
		case s.CertType != beian.CertIDCard && s.CertType != beian.CertUSCC:
			k.add("R-IN-4", CodeCertTypeMismatch, "sponsor.cert_type", "证件类型“%s”无效，个人为 id_card（居民身份证），单位为 uscc（统一社会信用代码）", s.CertType)
		case s.Kind == beian.SponsorPerson && s.CertType != beian.CertIDCard:
			k.add("R-IN-4", CodeCertTypeMismatch, "sponsor.cert_type", "个人主办者的证件须为居民身份证（id_card）：个人网站不能以单位名义备案")
		case s.Kind == beian.SponsorOrganisation && s.CertType != beian.CertUSCC:
			k.add("R-IN-4", CodeCertTypeMismatch, "sponsor.cert_type", "单位主办者的证件须为统一社会信用代码（uscc）：单位网站不能以个人名义备案")
		}
	}
	if k.required("R-IN-4", "sponsor.cert_number", "主办者证件号码", s.CertNumber) {
		switch s.CertType {
		case beian.CertIDCard:
			if n, err := ValidateResidentID(s.CertNumber, k.now); err != nil {
				k.addErr("R-IN-4", "sponsor.cert_number", "主办者身份证号码", err)
			} else {
				s.CertNumber = n
			}
		case beian.CertUSCC:
			if n, err := ValidateCreditCode(s.CertNumber, k.r.LegacyCreditCodes); err != nil {
				k.addErr("R-IN-4", "sponsor.cert_number", "主办者统一社会信用代码", err)
			} else {
				s.CertNumber = n
			}
		}
	}
	if k.required("R-ENT-3", "sponsor.province", "主办者所在省份（属地）", s.Province) {
		if _, ok := CanonicalProvince(s.Province); !ok {
			k.add("R-ENT-3", CodeInvalidProvince, "sponsor.province", "“%s”不是大陆的省、自治区或直辖市", s.Province)
		}
	}
	if full {
		k.required("R-IN-4", "sponsor.address", "主办者通信地址", s.Address)
	}
	if s.Kind == beian.SponsorOrganisation && full {
		if s.LegalRep == nil {
			k.add("R-IN-4", CodeRequired, "sponsor.legal_rep", "单位主办者须填写法定代表人")
		} else {
			k.required("R-IN-4", "sponsor.legal_rep.name", "法定代表人姓名", s.LegalRep.Name)
			if k.required("R-IN-4", "sponsor.legal_rep.id_number", "法定代表人身份证号码", s.LegalRep.IDNumber) {
				if n, err := ValidateResidentID(s.LegalRep.IDNumber, k.now); err != nil {
					k.addErr("R-IN-4", "sponsor.legal_rep.id_number", "法定代表人身份证号码", err)
				} else {
					s.LegalRep.IDNumber = n
				}
			}
		}
	}
}

func (k *checker) checkPrincipal() {
	c, p := k.c, &k.c.Principal
	full := fullMaterials(c.Type)
	k.required("R-IN-4", "principal.name", "网站负责人姓名", p.Name)
	if k.required("R-IN-4", "principal.id_number", "网站负责人身份证号码", p.IDNumber) {
		if n, err := ValidateResidentID(p.IDNumber, k.now); err != nil {
			k.addErr("R-IN-4", "principal.id_number", "网站负责人身份证号码", err)
		} else {
			p.IDNumber = n
		}
	}
	if k.required("R-IN-4", "principal.mobile", "网站负责人手机号码", p.Mobile) {
		if m, err := ValidateMobile(p.Mobile); err != nil {
			k.addErr("R-IN-4", "principal.mobile", "网站负责人手机号码", err)
		} else {
			p.Mobile = m
		}
	}
	province, _ := CanonicalProvince(c.Sponsor.Province)
	switch {
	case p.Landline != "":
		if l, err := validateLandline(p.Landline); err != nil {
			k.addErr("R-IN-2", "principal.landline", "固定电话", err)
		} else {
			p.Landline = l
		}
	case full && c.Sponsor.Kind == beian.SponsorPerson && province != "" && provinceIn(province, k.r.LandlineProvinces):
		k.add("R-IN-2", CodeLandlineRequired, "principal.landline", "%s的个人主办者也须填写固定电话", province)
	}
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email || !strings.Contains(p.Email[strings.LastIndexByte(p.Email, '@')+1:], ".") {
			// Not quoted: the answer is kept (Idempotency-Key) and logged,
			// and an address is personal data (issue 12 §2).
			k.add("R-IN-4", CodeInvalidEmail, "principal.email", "电子邮箱格式不对，应如 name@example.com")
		}
	} else if full {
		k.add("R-IN-4", CodeRequired, "principal.email", "网站负责人电子邮箱不能为空（管局通过手机和邮箱反馈审核结果）")
	}
	// R-IN-4: a personal site is the person's own; the principal is the sponsor.
	if c.Sponsor.Kind == beian.SponsorPerson && p.Name != "" && c.Sponsor.Name != "" {
		if p.Name != c.Sponsor.Name {
			k.add("R-IN-4", CodePrincipalNotSponsor, "principal.name", "个人备案的网站负责人须为主办者本人（%s），现为%s", c.Sponsor.Name, p.Name)
		} else if c.Sponsor.CertType == beian.CertIDCard && p.IDNumber != "" && c.Sponsor.CertNumber != "" && p.IDNumber != c.Sponsor.CertNumber {
			k.add("R-IN-4", CodePrincipalNotSponsor, "principal.id_number", "个人备案的网站负责人须为主办者本人，身份证号码与主办者证件号码不一致")
		}
	}
}

// checkSiteName applies the site-name rules of R-IN-4 (manual P4) to the
// types whose site the bureau reviews.
func (k *checker) checkSiteName() {
	c := k.c
	if !fullMaterials(c.Type) {
		return
	}
	name := c.Website.Name
	if !k.required("R-IN-4", "website.name", "网站名称", name) {
		return
	}
	switch c.Sponsor.Kind {
	case beian.SponsorPerson:
		if found := regionNamesIn(name, k.r.RegionNames); len(found) > 0 {
			k.add("R-IN-4", CodeRegionNameInPersonal, "website.name", "个人网站名称不能含地域名称：%s", strings.Join(found, "、"))
		}
		if w := containsAny(name, orgWords); w != "" {
			k.add("R-IN-4", CodeSponsorKindMismatch, "website.name", "个人网站名称含“%s”：个人网站不能以单位名义备案", w)
		}
	case beian.SponsorOrganisation:
		var found []string
		for _, w := range k.r.NationalWords {
			w = strings.TrimSpace(w)
			// A word of the organisation's own registered name may stand in its site name.
			if w != "" && strings.Contains(name, w) && !strings.Contains(c.Sponsor.Name, w) && !slices.Contains(found, w) {
				found = append(found, w)
			}
		}
		if len(found) > 0 {
			k.add("R-IN-4", CodeNationalWordInSiteName, "website.name", "单位网站名称不能使用全国性概念字样：%s", strings.Join(found, "、"))
		}
		if strings.Contains(name, "个人") {
			k.add("R-IN-4", CodeSponsorKindMismatch, "website.name", "单位网站名称含“个人”：个人网站不能以单位名义备案")
		}
	}
}

// regionNamesIn lists the region names in s, leaving out a name found only
// inside a longer one (江苏省 reports 江苏省, not also 江苏).
func regionNamesIn(s string, names []string) []string {
	var found []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n != "" && strings.Contains(s, n) && !slices.Contains(found, n) {
			found = append(found, n)
		}
	}
	var out []string
	for _, n := range found {
		inner := false
		for _, m := range found {
			if m != n && strings.Contains(m, n) && strings.Count(s, n) <= strings.Count(s, m) {
				inner = true
				break
			}
		}
		if !inner {
			out = append(out, n)
		}
	}
	return out
}

func containsAny(s string, words []string) string {
	for _, w := range words {
		if w != "" && strings.Contains(s, w) {
			return w
		}
	}
	return ""
}

// checkDomains normalises the domains (R-IN-4) and returns the Unicode form
// of the first one for the mail subject. No domain at all is allowed (R-IN-7).
func (k *checker) checkDomains() string {
	w := &k.c.Website
	seen := map[string]int{}
	first := ""
	for i, d := range w.Domains {
		field := fmt.Sprintf("website.domains[%d]", i)
		reg, uni, err := NormaliseDomain(d, k.r.FileableSuffixes)
		if err != nil {
			k.addErr("R-IN-4", field, "域名", err)
			continue
		}
		w.Domains[i] = reg
		if i == 0 {
			first = uni
		}
		if j, dup := seen[reg]; dup {
			k.add("R-IN-4", CodeDuplicateDomain, field, "域名%s与第%d个域名重复（备案以主域名为准，子域名无须单独填写）", uni, j+1)
			continue
		}
		seen[reg] = i
	}
	return first
}

// checkPreApprovals asks for a pre-approval document (前置审批, R-IN-4) for
// every regulated category of the site.
func (k *checker) checkPreApprovals() {
	c := k.c
	if !fullMaterials(c.Type) {
		return
	}
	has := func(code string) bool {
		for _, pa := range c.Website.PreApprovals {
			if categoryCode(pa.Category, k.r) == code && pa.DocumentNo != "" {
				return true
			}
		}
		return false
	}
	for _, code := range preApprovalCategoriesOf(c, k.r) {
		if has(code) {
			continue
		}
		field := "website.categories"
		for i, cat := range c.Website.Categories {
			if categoryCode(cat, k.r) == code {
				field = fmt.Sprintf("website.categories[%d]", i)
				break
			}
		}
		if field == "website.categories" {
			for i, pa := range c.Website.PreApprovals {
				if categoryCode(pa.Category, k.r) == code {
					field = fmt.Sprintf("website.pre_approvals[%d].document_no", i)
					break
				}
			}
		}
		k.add("R-IN-4", CodePreApprovalRequired, field, "涉及%s的网站须先办理前置审批，备案时出具审批文件（文号）", k.r.PreApprovalCategories[code])
	}
}
