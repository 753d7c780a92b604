package intake

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	beian "github.com/beian/beian"
)

var (
	itemCodeRe    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	placeholderRe = regexp.MustCompile(`\{[^{}]*\}`)
)

// opposites are the named conditions that exclude each other: two rules
// with the same code, one with each, never apply to the same case.
var opposites = map[string]string{
	CondHasDomain: CondNoDomain, CondNoDomain: CondHasDomain,
	CondInteractive: CondNotInteractive, CondNotInteractive: CondInteractive,
	CondPrincipalIsLegalRep: CondPrincipalNotLegalRep, CondPrincipalNotLegalRep: CondPrincipalIsLegalRep,
}

// perCategoryOnly are the condition and placeholders that only mean something
// in a PerPreApprovalCategory rule.
var perCategoryOnly = []string{CondDocumentNoGiven, "{category}", "{document_no}"}

// validateChecklist checks the checklist, the form variants and the province
// notes (R-IN-2): every rule has a code and a title, names only known filing
// types, sponsor kinds, provinces, conditions and placeholders, no two rules
// with one code can apply to the same case, and every variant and note names
// a province and an item code of the checklist. One violation per problem.
func (r Rules) validateChecklist() []beian.Violation {
	var vs []beian.Violation
	add := func(field, format string, args ...any) {
		vs = append(vs, beian.Violation{Rule: "R-IN-2", Code: beian.CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	province := func(field, p string) {
		if _, ok := CanonicalProvince(p); !ok {
			add(field, "“%s”不是大陆省级行政区", p)
		}
	}
	kind := func(field string, k beian.SponsorKind) {
		if k != beian.SponsorPerson && k != beian.SponsorOrganisation {
			add(field, "“%s”不是主办者性质（person 个人、organisation 单位）", k)
		}
	}
	condition := func(field, cond string, perCategory bool) {
		switch {
		case ChecklistConditions[cond] == "":
			add(field, "未知条件“%s”，可用的条件：%s", cond, strings.Join(slices.Sorted(maps.Keys(ChecklistConditions)), "、"))
		case !perCategory && slices.Contains(perCategoryOnly, cond):
			add(field, "条件“%s”只能用于按前置审批类别逐项列出的材料（per_pre_approval_category）", cond)
		}
	}
	text := func(field, s string, perCategory bool) {
		for _, ph := range placeholderRe.FindAllString(s, -1) {
			switch {
			case ChecklistPlaceholders[ph] == "":
				add(field, "未知占位符“%s”，可用的占位符：%s", ph, strings.Join(slices.Sorted(maps.Keys(ChecklistPlaceholders)), "、"))
			case !perCategory && slices.Contains(perCategoryOnly, ph):
				add(field, "占位符“%s”只能用于按前置审批类别逐项列出的材料（per_pre_approval_category）", ph)
			}
		}
	}

	if len(r.Checklist) == 0 {
		add("checklist", "材料清单不能为空")
	}
	rules := map[string]ChecklistRule{} // by code, the first rule with it
	for i, rule := range r.Checklist {
		f := fmt.Sprintf("checklist[%d]", i)
		switch {
		case strings.TrimSpace(rule.Code) == "":
			add(f+".code", "材料代码不能为空")
		case !itemCodeRe.MatchString(rule.Code):
			add(f+".code", "材料代码“%s”须为小写英文字母、数字和下划线，以字母开头", rule.Code)
		default:
			if _, ok := rules[rule.Code]; !ok {
				rules[rule.Code] = rule
			}
		}
		if strings.TrimSpace(rule.Title) == "" {
			add(f+".title", "材料“%s”缺少中文名称", rule.Code)
		}
		per := rule.PerPreApprovalCategory
		text(f+".title", rule.Title, per)
		text(f+".note", rule.Note, per)
		for j, t := range rule.FilingTypes {
			if !t.Valid() {
				add(fmt.Sprintf("%s.filing_types[%d]", f, j), "“%s”不是备案类型（new、change、cancel、transfer_in、cancel_access）", t)
			}
		}
		for j, k := range rule.SponsorKinds {
			kind(fmt.Sprintf("%s.sponsor_kinds[%d]", f, j), k)
		}
		for j, p := range rule.Provinces {
			province(fmt.Sprintf("%s.provinces[%d]", f, j), p)
		}
		for j, p := range rule.ExceptProvinces {
			province(fmt.Sprintf("%s.except_provinces[%d]", f, j), p)
		}
		for j, cond := range rule.Conditions {
			condition(fmt.Sprintf("%s.conditions[%d]", f, j), cond, per)
		}
		for j, n := range rule.ConditionalNotes {
			nf := fmt.Sprintf("%s.conditional_notes[%d]", f, j)
			condition(nf+".condition", n.Condition, per)
			if strings.TrimSpace(n.Note) == "" {
				add(nf+".note", "附加说明不能为空")
			}
			text(nf+".note", n.Note, per)
		}
		for j := range i {
			if other := r.Checklist[j]; sameItemCode(other, rule) && mayOverlap(other, rule) {
				add(f+".code", "材料代码“%s”与第%d项相同，且两项可能同时适用于同一备案（同一材料会列出两次）；请用备案类型、主办者性质、省份或条件把它们分开", rule.Code, j+1)
				break
			}
		}
	}

	item := func(field, code string) (ChecklistRule, bool) {
		rule, ok := rules[code]
		if !ok {
			add(field, "“%s”不是材料清单中的材料代码", code)
		}
		return rule, ok
	}
	type key struct{ province, item string }
	variants := map[key]int{}
	for i, v := range r.FormVariants {
		f := fmt.Sprintf("form_variants[%d]", i)
		province(f+".province", v.Province)
		rule, ok := item(f+".item", v.Item)
		if v.Code == "" && strings.TrimSpace(v.Title) == "" {
			add(f, "须给出替换的材料代码（code）或名称（title）")
		}
		if v.Code != "" {
			if !itemCodeRe.MatchString(v.Code) {
				add(f+".code", "材料代码“%s”须为小写英文字母、数字和下划线，以字母开头", v.Code)
			} else if _, taken := rules[v.Code]; taken && v.Code != v.Item {
				add(f+".code", "“%s”已是另一项材料的代码", v.Code)
			}
		}
		text(f+".title", v.Title, ok && rule.PerPreApprovalCategory)
		p, _ := CanonicalProvince(v.Province)
		if j, dup := variants[key{p, v.Item}]; dup && p != "" {
			add(f, "与第%d项重复：同一省份的同一材料只能有一个版本", j+1)
		} else {
			variants[key{p, v.Item}] = i
		}
	}
	for i, n := range r.ProvinceNotes {
		f := fmt.Sprintf("province_notes[%d]", i)
		province(f+".province", n.Province)
		rule, ok := item(f+".item", n.Item)
		if n.SponsorKind != "" {
			kind(f+".sponsor_kind", n.SponsorKind)
		}
		if strings.TrimSpace(n.Note) == "" {
			add(f+".note", "省份说明不能为空")
		}
		text(f+".note", n.Note, ok && rule.PerPreApprovalCategory)
	}
	return vs
}

// sameItemCode reports whether two rules can yield items with the same code.
func sameItemCode(a, b ChecklistRule) bool {
	switch {
	case a.PerPreApprovalCategory == b.PerPreApprovalCategory:
		return a.Code == b.Code
	case a.PerPreApprovalCategory:
		return strings.HasPrefix(b.Code, a.Code+"_")
	default:
		return strings.HasPrefix(a.Code, b.Code+"_")
	}
}

// mayOverlap reports whether some case could meet the conditions of both
// rules: their filing types, sponsor kinds and provinces intersect and no
// named condition of one is the opposite of one of the other's.
func mayOverlap(a, b ChecklistRule) bool {
	if !intersect(a.FilingTypes, b.FilingTypes) || !intersect(a.SponsorKinds, b.SponsorKinds) {
		return false
	}
	pa, unknownA := provinceSet(a)
	pb, unknownB := provinceSet(b)
	if !(unknownA && unknownB) && !slices.ContainsFunc(pa, func(p string) bool { return slices.Contains(pb, p) }) {
		return false
	}
	for _, c := range a.Conditions {
		if slices.Contains(b.Conditions, opposites[c]) {
			return false
		}
	}
	return true
}

// intersect reports whether two condition lists have a value in common; an
// empty list means every value.
func intersect[T comparable](a, b []T) bool {
	return len(a) == 0 || len(b) == 0 || slices.ContainsFunc(a, func(x T) bool { return slices.Contains(b, x) })
}

// provinceSet lists the provinces a rule applies to, and whether it also
// applies to a sponsor whose province is not known.
func provinceSet(rule ChecklistRule) (list []string, unknown bool) {
	from := rule.Provinces
	if len(from) == 0 {
		from, unknown = Provinces, true
	}
	for _, p := range from {
		if c, ok := CanonicalProvince(p); ok && !provinceIn(c, rule.ExceptProvinces) && !slices.Contains(list, c) {
			list = append(list, c)
		}
	}
	return list, unknown
}
