package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
)

// SettingIntakeRules is the settings key under which the admins' override
// of the intake rules is stored (R-IN-1, R-IN-2, R-IN-4: rules as data).
const SettingIntakeRules = "intake_rules"

// storedRulesVersion is the version of the stored rules document. Version 1
// had no checklist, form variants or province notes (R-IN-2); a version-1
// document is read with those of intake.DefaultRules().
const storedRulesVersion = 2

// storedRules is the JSON document kept under SettingIntakeRules. It has
// its own shape, apart from the API's: renaming a field here changes stored
// data, so it carries a version.
type storedRules struct {
	Version               int                 `json:"version"`
	SuspendedResidences   map[string][]string `json:"suspended_residences"`
	LandlineProvinces     []string            `json:"landline_provinces"`
	NationalWords         []string            `json:"national_words"`
	RegionNames           []string            `json:"region_names"`
	PreApprovalCategories map[string]string   `json:"pre_approval_categories"`
	FileableSuffixes      []string            `json:"fileable_suffixes"`
	LegacyCreditCodes     []string            `json:"legacy_credit_codes"`
	// Since version 2 (R-IN-2).
	Checklist     []storedChecklistRule `json:"checklist"`
	FormVariants  []storedFormVariant   `json:"form_variants"`
	ProvinceNotes []storedProvinceNote  `json:"province_notes"`
}

// storedChecklistRule is an intake.ChecklistRule in the stored document.
type storedChecklistRule struct {
	Code                   string                  `json:"code"`
	Title                  string                  `json:"title"`
	Note                   string                  `json:"note"`
	Required               bool                    `json:"required"`
	FilingTypes            []string                `json:"filing_types"`
	SponsorKinds           []string                `json:"sponsor_kinds"`
	Provinces              []string                `json:"provinces"`
	ExceptProvinces        []string                `json:"except_provinces"`
	Conditions             []string                `json:"conditions"`
	PerPreApprovalCategory bool                    `json:"per_pre_approval_category"`
	ConditionalNotes       []storedConditionalNote `json:"conditional_notes"`
}

// storedConditionalNote is an intake.ConditionalNote in the stored document.
type storedConditionalNote struct {
	Condition string `json:"condition"`
	Note      string `json:"note"`
	Before    bool   `json:"before"`
}

// storedFormVariant is an intake.FormVariant in the stored document.
type storedFormVariant struct {
	Province string `json:"province"`
	Item     string `json:"item"`
	Code     string `json:"code"`
	Title    string `json:"title"`
}

// storedProvinceNote is an intake.ProvinceNote in the stored document.
type storedProvinceNote struct {
	Province    string `json:"province"`
	Item        string `json:"item"`
	SponsorKind string `json:"sponsor_kind"`
	Note        string `json:"note"`
}

func rulesToStored(r intake.Rules) storedRules {
	s := storedRules{
		Version: storedRulesVersion, SuspendedResidences: r.SuspendedResidences, LandlineProvinces: r.LandlineProvinces,
		NationalWords: r.NationalWords, RegionNames: r.RegionNames, PreApprovalCategories: r.PreApprovalCategories,
		FileableSuffixes: r.FileableSuffixes, LegacyCreditCodes: r.LegacyCreditCodes,
		Checklist: []storedChecklistRule{}, FormVariants: []storedFormVariant{}, ProvinceNotes: []storedProvinceNote{},
	}
	for _, c := range r.Checklist {
		sc := storedChecklistRule{
			Code: c.Code, Title: c.Title, Note: c.Note, Required: c.Required,
			FilingTypes: StringsOf(c.FilingTypes), SponsorKinds: StringsOf(c.SponsorKinds),
			Provinces: c.Provinces, ExceptProvinces: c.ExceptProvinces, Conditions: c.Conditions,
			PerPreApprovalCategory: c.PerPreApprovalCategory,
		}
		for _, n := range c.ConditionalNotes {
			sc.ConditionalNotes = append(sc.ConditionalNotes, storedConditionalNote{Condition: n.Condition, Note: n.Note, Before: n.Before})
		}
		s.Checklist = append(s.Checklist, sc)
	}
	for _, v := range r.FormVariants {
		s.FormVariants = append(s.FormVariants, storedFormVariant{Province: v.Province, Item: v.Item, Code: v.Code, Title: v.Title})
	}
	for _, n := range r.ProvinceNotes {
		s.ProvinceNotes = append(s.ProvinceNotes, storedProvinceNote{Province: n.Province, Item: n.Item, SponsorKind: string(n.SponsorKind), Note: n.Note})
	}
	return s
}

// rulesFromStored reads a stored document of any known version: a version-1
// document takes the checklist, form variants and province notes of
// intake.DefaultRules() (R-IN-2), which it predates.
func rulesFromStored(s storedRules) intake.Rules {
	r := intake.Rules{
		SuspendedResidences: s.SuspendedResidences, LandlineProvinces: s.LandlineProvinces, NationalWords: s.NationalWords,
		RegionNames: s.RegionNames, PreApprovalCategories: s.PreApprovalCategories, FileableSuffixes: s.FileableSuffixes,
		LegacyCreditCodes: s.LegacyCreditCodes,
	}
	if s.Version < 2 {
		d := intake.DefaultRules()
		r.Checklist, r.FormVariants, r.ProvinceNotes = d.Checklist, d.FormVariants, d.ProvinceNotes
		return r
	}
	for _, sc := range s.Checklist {
		c := intake.ChecklistRule{
			Code: sc.Code, Title: sc.Title, Note: sc.Note, Required: sc.Required,
			FilingTypes: TypesOf[beian.CaseType](sc.FilingTypes), SponsorKinds: TypesOf[beian.SponsorKind](sc.SponsorKinds),
			Provinces: sc.Provinces, ExceptProvinces: sc.ExceptProvinces, Conditions: sc.Conditions,
			PerPreApprovalCategory: sc.PerPreApprovalCategory,
		}
		for _, n := range sc.ConditionalNotes {
			c.ConditionalNotes = append(c.ConditionalNotes, intake.ConditionalNote{Condition: n.Condition, Note: n.Note, Before: n.Before})
		}
		r.Checklist = append(r.Checklist, c)
	}
	for _, v := range s.FormVariants {
		r.FormVariants = append(r.FormVariants, intake.FormVariant{Province: v.Province, Item: v.Item, Code: v.Code, Title: v.Title})
	}
	for _, n := range s.ProvinceNotes {
		r.ProvinceNotes = append(r.ProvinceNotes, intake.ProvinceNote{Province: n.Province, Item: n.Item, SponsorKind: beian.SponsorKind(n.SponsorKind), Note: n.Note})
	}
	return r
}

// StringsOf converts a list of string-typed values (filing types, sponsor
// kinds) to plain strings, never nil.
func StringsOf[T ~string](in []T) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		out = append(out, string(v))
	}
	return out
}

// TypesOf converts plain strings to a string type; nil stays nil.
func TypesOf[T ~string](in []string) []T {
	if in == nil {
		return nil
	}
	out := make([]T, 0, len(in))
	for _, v := range in {
		out = append(out, T(v))
	}
	return out
}

// LoadRules returns the rules in force: the admins' override when one is
// stored, else intake.DefaultRules(); overridden tells which.
func LoadRules(ctx context.Context, store beian.Store) (r intake.Rules, overridden bool, err error) {
	raw, err := store.GetSetting(ctx, SettingIntakeRules)
	if err != nil {
		return intake.Rules{}, false, err
	}
	if raw == nil {
		return intake.DefaultRules(), false, nil
	}
	var doc storedRules
	if err := json.Unmarshal(raw, &doc); err != nil {
		return intake.Rules{}, false, fmt.Errorf("stored intake rules: %w", err)
	}
	if doc.Version < 1 || doc.Version > storedRulesVersion {
		return intake.Rules{}, false, fmt.Errorf("stored intake rules: version %d, want 1 to %d", doc.Version, storedRulesVersion)
	}
	return rulesFromStored(doc), true, nil
}

// StoredRules returns Deps.Rules reading the rules in force from store on
// every call: the admins' override (PUT /api/v1/rules) or, when there is
// none, intake.DefaultRules(). A change therefore applies to the next check.
func StoredRules(store beian.Store) func(context.Context) (intake.Rules, error) {
	return func(ctx context.Context) (intake.Rules, error) {
		r, _, err := LoadRules(ctx, store)
		return r, err
	}
}

// SaveRules validates and stores the intake rules (admin): every problem
// comes back at once as violations. The change is audited and applies to
// the next check.
func (s *Service) SaveRules(ctx context.Context, who Actor, r intake.Rules) error {
	if err := who.Require(); err != nil {
		return err
	}
	var e *beian.Error
	if err := r.Validate(); errors.As(err, &e) {
		return &beian.Error{Code: beian.CodeViolations, Message: fmt.Sprintf("备案规则有 %d 处错误，未保存", len(e.Violations)), Violations: e.Violations}
	} else if err != nil {
		return err
	}
	doc, err := json.Marshal(rulesToStored(r))
	if err != nil {
		return err
	}
	return s.Store.PutSetting(ctx, SettingIntakeRules, doc, who.Name)
}

// ResetRules drops the admins' override: the embedded defaults apply again.
func (s *Service) ResetRules(ctx context.Context, who Actor) error {
	if err := who.Require(); err != nil {
		return err
	}
	return s.Store.PutSetting(ctx, SettingIntakeRules, nil, who.Name)
}

// RulesInForce returns the intake rules in force and whether they are the
// admins' override.
func (s *Service) RulesInForce(ctx context.Context) (intake.Rules, bool, error) {
	return LoadRules(ctx, s.Store)
}
