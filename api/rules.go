package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
)

// SettingIntakeRules is the settings key under which the admins' override
// of the intake rules is stored (R-IN-1, R-IN-2, R-IN-4: rules as data).
const SettingIntakeRules = "intake_rules"

// storedRulesVersion is the version of the stored rules document.
const storedRulesVersion = 1

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
}

func rulesToStored(r intake.Rules) storedRules {
	return storedRules{
		Version: storedRulesVersion, SuspendedResidences: r.SuspendedResidences, LandlineProvinces: r.LandlineProvinces,
		NationalWords: r.NationalWords, RegionNames: r.RegionNames, PreApprovalCategories: r.PreApprovalCategories,
		FileableSuffixes: r.FileableSuffixes, LegacyCreditCodes: r.LegacyCreditCodes,
	}
}

func rulesFromStored(s storedRules) intake.Rules {
	return intake.Rules{
		SuspendedResidences: s.SuspendedResidences, LandlineProvinces: s.LandlineProvinces, NationalWords: s.NationalWords,
		RegionNames: s.RegionNames, PreApprovalCategories: s.PreApprovalCategories, FileableSuffixes: s.FileableSuffixes,
		LegacyCreditCodes: s.LegacyCreditCodes,
	}
}

// loadRules returns the rules in force: the admins' override when one is
// stored, else intake.DefaultRules(); overridden tells which.
func loadRules(ctx context.Context, store beian.Store) (r intake.Rules, overridden bool, err error) {
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
	if doc.Version != storedRulesVersion {
		return intake.Rules{}, false, fmt.Errorf("stored intake rules: version %d, want %d", doc.Version, storedRulesVersion)
	}
	return rulesFromStored(doc), true, nil
}

// StoredRules returns Deps.Rules reading the rules in force from store on
// every call: the admins' override (PUT /api/v1/rules) or, when there is
// none, intake.DefaultRules(). A change therefore applies to the next check.
func StoredRules(store beian.Store) func(context.Context) (intake.Rules, error) {
	return func(ctx context.Context) (intake.Rules, error) {
		r, _, err := loadRules(ctx, store)
		return r, err
	}
}

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
	if out.SuspendedResidences == nil {
		out.SuspendedResidences = map[string][]string{}
	}
	if out.PreApprovalCategories == nil {
		out.PreApprovalCategories = map[string]string{}
	}
	return out
}

// rulesBody is the body of PUT /api/v1/rules: the whole rules object, every
// field present (an empty list is given as []). source, as GET answers it,
// is accepted and ignored, so an answer can be edited and sent back.
type rulesBody struct {
	Source                *string              `json:"source"`
	SuspendedResidences   *map[string][]string `json:"suspended_residences"`
	LandlineProvinces     *[]string            `json:"landline_provinces"`
	NationalWords         *[]string            `json:"national_words"`
	RegionNames           *[]string            `json:"region_names"`
	PreApprovalCategories *map[string]string   `json:"pre_approval_categories"`
	FileableSuffixes      *[]string            `json:"fileable_suffixes"`
	LegacyCreditCodes     *[]string            `json:"legacy_credit_codes"`
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
	r, overridden, err := loadRules(c.Request().Context(), s.d.Store)
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
	if len(vs) == 0 {
		var e *beian.Error
		if err := r.Validate(); errors.As(err, &e) {
			vs = e.Violations
		} else if err != nil {
			return err
		}
	}
	if len(vs) > 0 {
		return &beian.Error{Code: beian.CodeViolations, Message: fmt.Sprintf("备案规则有 %d 处错误，未保存", len(vs)), Violations: vs}
	}
	doc, err := json.Marshal(rulesToStored(r))
	if err != nil {
		return err
	}
	if err := s.d.Store.PutSetting(c.Request().Context(), SettingIntakeRules, doc, caller(c).Name); err != nil {
		return err
	}
	return s.getRules(c)
}

// deleteRules drops the admins' override: the embedded defaults apply again.
func (s *Server) deleteRules(c echo.Context) error {
	if err := s.d.Store.PutSetting(c.Request().Context(), SettingIntakeRules, nil, caller(c).Name); err != nil {
		return err
	}
	return s.getRules(c)
}
