package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/intake"
)

// SettingIntakeRules is the settings key of the admins' intake rules.
const SettingIntakeRules = desk.SettingIntakeRules

// StoredRules reads the rules in force from store on every call (desk.StoredRules).
func StoredRules(store beian.Store) func(context.Context) (intake.Rules, error) {
	return desk.StoredRules(store)
}

// stringsOf converts string-typed values to plain strings, never nil.
func stringsOf[T ~string](in []T) []string { return desk.StringsOf(in) }

// typesOf converts plain strings to a string type; nil stays nil.
func typesOf[T ~string](in []string) []T { return desk.TypesOf[T](in) }

// rulesJSON is the API's shape of the intake rules (GET /api/v1/rules).
type rulesJSON struct {
	Source                string              `json:"source"` // "default" or "override"
	SuspendedResidences   map[string][]string `json:"suspended_residences"`
	LandlineProvinces     []string            `json:"landline_provinces"`
	NationalWords         []string            `json:"national_words"`
	RegionNames           []string            `json:"region_names"`
	PreApprovalCategories map[string]string   `json:"pre_approval_categories"`
	FileableSuffixes      []string            `json:"fileable_suffixes"`
	LegacyCreditCodes     []string            `json:"legacy_credit_codes"`
	Checklist             []checklistRuleJSON `json:"checklist"`      // R-IN-2
	FormVariants          []formVariantJSON   `json:"form_variants"`  // R-IN-2
	ProvinceNotes         []provinceNoteJSON  `json:"province_notes"` // R-IN-2
}

// checklistRuleJSON is the API's shape of an intake.ChecklistRule (R-IN-2).
// In a PUT every field but code and title may be left out; a missing
// required means true.
type checklistRuleJSON struct {
	Code                   string                `json:"code"`
	Title                  string                `json:"title"`
	Note                   string                `json:"note"`
	Required               *bool                 `json:"required"`
	FilingTypes            []string              `json:"filing_types"`
	SponsorKinds           []string              `json:"sponsor_kinds"`
	Provinces              []string              `json:"provinces"`
	ExceptProvinces        []string              `json:"except_provinces"`
	Conditions             []string              `json:"conditions"`
	PerPreApprovalCategory bool                  `json:"per_pre_approval_category"`
	ConditionalNotes       []conditionalNoteJSON `json:"conditional_notes"`
}

// conditionalNoteJSON is the API's shape of an intake.ConditionalNote.
type conditionalNoteJSON struct {
	Condition string `json:"condition"`
	Note      string `json:"note"`
	Before    bool   `json:"before"`
}

// formVariantJSON is the API's shape of an intake.FormVariant.
type formVariantJSON struct {
	Province string `json:"province"`
	Item     string `json:"item"`
	Code     string `json:"code"`
	Title    string `json:"title"`
}

// provinceNoteJSON is the API's shape of an intake.ProvinceNote; an empty
// sponsor_kind means both kinds.
type provinceNoteJSON struct {
	Province    string `json:"province"`
	Item        string `json:"item"`
	SponsorKind string `json:"sponsor_kind"`
	Note        string `json:"note"`
}

func checklistToJSON(r intake.Rules) ([]checklistRuleJSON, []formVariantJSON, []provinceNoteJSON) {
	rules := make([]checklistRuleJSON, 0, len(r.Checklist))
	for _, c := range r.Checklist {
		required := c.Required
		j := checklistRuleJSON{
			Code: c.Code, Title: c.Title, Note: c.Note, Required: &required,
			FilingTypes: stringsOf(c.FilingTypes), SponsorKinds: stringsOf(c.SponsorKinds),
			Provinces: nonNil(c.Provinces), ExceptProvinces: nonNil(c.ExceptProvinces), Conditions: nonNil(c.Conditions),
			PerPreApprovalCategory: c.PerPreApprovalCategory, ConditionalNotes: []conditionalNoteJSON{},
		}
		for _, n := range c.ConditionalNotes {
			j.ConditionalNotes = append(j.ConditionalNotes, conditionalNoteJSON{Condition: n.Condition, Note: n.Note, Before: n.Before})
		}
		rules = append(rules, j)
	}
	variants := make([]formVariantJSON, 0, len(r.FormVariants))
	for _, v := range r.FormVariants {
		variants = append(variants, formVariantJSON{Province: v.Province, Item: v.Item, Code: v.Code, Title: v.Title})
	}
	notes := make([]provinceNoteJSON, 0, len(r.ProvinceNotes))
	for _, n := range r.ProvinceNotes {
		notes = append(notes, provinceNoteJSON{Province: n.Province, Item: n.Item, SponsorKind: string(n.SponsorKind), Note: n.Note})
	}
	return rules, variants, notes
}

func checklistFromJSON(rules []checklistRuleJSON, variants []formVariantJSON, notes []provinceNoteJSON) ([]intake.ChecklistRule, []intake.FormVariant, []intake.ProvinceNote) {
	var (
		rs []intake.ChecklistRule
		vs []intake.FormVariant
		ns []intake.ProvinceNote
	)
	for _, j := range rules {
		c := intake.ChecklistRule{
			Code: j.Code, Title: j.Title, Note: j.Note, Required: j.Required == nil || *j.Required,
			FilingTypes: typesOf[beian.CaseType](j.FilingTypes), SponsorKinds: typesOf[beian.SponsorKind](j.SponsorKinds),
			Provinces: j.Provinces, ExceptProvinces: j.ExceptProvinces, Conditions: j.Conditions,
			PerPreApprovalCategory: j.PerPreApprovalCategory,
		}
		for _, n := range j.ConditionalNotes {
			c.ConditionalNotes = append(c.ConditionalNotes, intake.ConditionalNote{Condition: n.Condition, Note: n.Note, Before: n.Before})
		}
		rs = append(rs, c)
	}
	for _, v := range variants {
		vs = append(vs, intake.FormVariant{Province: v.Province, Item: v.Item, Code: v.Code, Title: v.Title})
	}
	for _, n := range notes {
		ns = append(ns, intake.ProvinceNote{Province: n.Province, Item: n.Item, SponsorKind: beian.SponsorKind(n.SponsorKind), Note: n.Note})
	}
	return rs, vs, ns
}

func rulesToJSON(r intake.Rules, overridden bool) rulesJSON {
	source := "default"
	if overridden {
		source = "override"
	}
	out := rulesJSON{
		Source: source, SuspendedResidences: r.SuspendedResidences, LandlineProvinces: nonNil(r.LandlineProvinces),
		NationalWords: nonNil(r.NationalWords), RegionNames: nonNil(r.RegionNames),
		PreApprovalCategories: r.PreApprovalCategories, FileableSuffixes: nonNil(r.FileableSuffixes),
		LegacyCreditCodes: nonNil(r.LegacyCreditCodes),
	}
	out.Checklist, out.FormVariants, out.ProvinceNotes = checklistToJSON(r)
	if out.SuspendedResidences == nil {
		out.SuspendedResidences = map[string][]string{}
	}
	if out.PreApprovalCategories == nil {
		out.PreApprovalCategories = map[string]string{}
	}
	return out
}

// rulesBody is the body of PUT /api/v1/rules: the whole rules object, every
// field present (an empty list is given as []), the checklist, form variants
// and province notes too (R-IN-2; within a checklist item only code and title
// are needed). source, as GET answers it, is accepted and ignored, so an
// answer can be edited and sent back.
type rulesBody struct {
	Source                *string              `json:"source"`
	SuspendedResidences   *map[string][]string `json:"suspended_residences"`
	LandlineProvinces     *[]string            `json:"landline_provinces"`
	NationalWords         *[]string            `json:"national_words"`
	RegionNames           *[]string            `json:"region_names"`
	PreApprovalCategories *map[string]string   `json:"pre_approval_categories"`
	FileableSuffixes      *[]string            `json:"fileable_suffixes"`
	LegacyCreditCodes     *[]string            `json:"legacy_credit_codes"`
	Checklist             *[]checklistRuleJSON `json:"checklist"`
	FormVariants          *[]formVariantJSON   `json:"form_variants"`
	ProvinceNotes         *[]provinceNoteJSON  `json:"province_notes"`
}

// rulesFromBody converts the body; a field left out is a violation, so a
// partial body cannot wipe a list by accident.
func rulesFromBody(b rulesBody) (intake.Rules, []beian.Violation) {
	var (
		r  intake.Rules
		vs []beian.Violation
	)
	missing := func(rule, field string) {
		vs = append(vs, beian.Violation{Rule: rule, Code: intake.CodeRequired, Field: field,
			Message: fmt.Sprintf("缺少 %s：PUT 须提交完整的规则对象（可先 GET 再修改）", field)})
	}
	list := func(rule, field string, p *[]string) []string {
		if p == nil {
			missing(rule, field)
			return nil
		}
		return nonNil(*p)
	}
	if b.SuspendedResidences == nil {
		missing("R-IN-1", "suspended_residences")
	} else {
		r.SuspendedResidences = *b.SuspendedResidences
	}
	r.LandlineProvinces = list("R-IN-2", "landline_provinces", b.LandlineProvinces)
	r.NationalWords = list("R-IN-4", "national_words", b.NationalWords)
	r.RegionNames = list("R-IN-4", "region_names", b.RegionNames)
	if b.PreApprovalCategories == nil {
		missing("R-IN-4", "pre_approval_categories")
	} else {
		r.PreApprovalCategories = *b.PreApprovalCategories
	}
	r.FileableSuffixes = list("R-IN-4", "fileable_suffixes", b.FileableSuffixes)
	r.LegacyCreditCodes = list("R-IN-4", "legacy_credit_codes", b.LegacyCreditCodes)
	var (
		rules    []checklistRuleJSON
		variants []formVariantJSON
		notes    []provinceNoteJSON
	)
	if b.Checklist == nil {
		missing("R-IN-2", "checklist")
	} else {
		rules = *b.Checklist
	}
	if b.FormVariants == nil {
		missing("R-IN-2", "form_variants")
	} else {
		variants = *b.FormVariants
	}
	if b.ProvinceNotes == nil {
		missing("R-IN-2", "province_notes")
	} else {
		notes = *b.ProvinceNotes
	}
	r.Checklist, r.FormVariants, r.ProvinceNotes = checklistFromJSON(rules, variants, notes)
	if r.SuspendedResidences == nil {
		r.SuspendedResidences = map[string][]string{}
	}
	if r.PreApprovalCategories == nil {
		r.PreApprovalCategories = map[string]string{}
	}
	return r, vs
}

// getRules answers the intake rules in force and whether they are the
// defaults or the admins' override.
func (s *Server) getRules(c echo.Context) error {
	r, overridden, err := desk.LoadRules(c.Request().Context(), s.desk.Store)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rulesToJSON(r, overridden))
}

// putRules replaces the intake rules (admin). They are validated first
// (intake.Rules.Validate): every problem comes back at once as a 422. The
// change is audited and applies to the next check.
func (s *Server) putRules(c echo.Context) error {
	var b rulesBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	r, vs := rulesFromBody(b)
	if len(vs) > 0 {
		return &beian.Error{Code: beian.CodeViolations, Message: fmt.Sprintf("备案规则有 %d 处错误，未保存", len(vs)), Violations: vs}
	}
	if err := s.desk.SaveRules(c.Request().Context(), s.actor(c), r); err != nil {
		return err
	}
	return s.getRules(c)
}

// deleteRules drops the admins' override: the embedded defaults apply again.
func (s *Server) deleteRules(c echo.Context) error {
	if err := s.desk.ResetRules(c.Request().Context(), s.actor(c)); err != nil {
		return err
	}
	return s.getRules(c)
}
