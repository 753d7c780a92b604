package desk

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/xlsx"
)

// FormProblem is one problem of an uploaded registration form: a rule the
// filing breaks (R-IN-…) or a cell that could not be read, placed on the
// form's cell ("登记表!B6") when it has one.
type FormProblem struct {
	beian.Violation
	Cell string
}

// FormImport is what an uploaded registration form gave: the case it
// reads as, the problems, and the case opened when asked and clean.
type FormImport struct {
	Kind     beian.SponsorKind
	Case     *beian.Case
	Problems []FormProblem
	Check    CheckResult
	Created  *beian.Case
	Warning  string
}

// RegistrationFormTemplate writes the blank form for a sponsor kind.
func (s *Service) RegistrationFormTemplate(kind string, w io.Writer) error {
	k := beian.SponsorKind(strings.TrimSpace(kind))
	if k == "" {
		k = beian.SponsorPerson
	}
	if k != beian.SponsorPerson && k != beian.SponsorOrganisation {
		return beian.Errorf(beian.CodeInvalid, "kind 应为 person（个人）或 organisation（单位）")
	}
	return xlsx.WriteRegistrationForm(w, k)
}

// ImportRegistrationForm reads a filled 《网站备案资料登记表-用户》 (R-IN-2
// item 1) into a filing and runs the intake rules on it; every problem
// names its cell. With create, a form without problems opens the case.
// The filing password (变更, 接入, 注销: R-BR-2) is never on the form: the
// filer tells it apart and staff give it here.
func (s *Service) ImportRegistrationForm(ctx context.Context, who Actor, data []byte, password string, create bool) (*FormImport, error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, err
	}
	c, cells, err := xlsx.ReadRegistrationForm(bytes.NewReader(data))
	if err != nil {
		var e *beian.Error
		if errors.As(err, &e) && e.Code == beian.CodeViolations {
			out := &FormImport{}
			for _, v := range e.Violations {
				out.Problems = append(out.Problems, FormProblem{Violation: v, Cell: v.Field})
			}
			return out, nil
		}
		return nil, err
	}
	out := &FormImport{Kind: c.Sponsor.Kind, Case: c}
	check, err := s.Check(ctx, c, password)
	if err != nil {
		return nil, err
	}
	out.Check = check
	for _, v := range check.Violations {
		out.Problems = append(out.Problems, FormProblem{Violation: v, Cell: cellOf(cells, v.Field)})
	}
	if create && len(out.Problems) == 0 {
		out.Created, out.Warning, err = s.Create(ctx, who, c, password, nil)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// cellOf places an intake field ("website.domains[1]", "sponsor.cert_number")
// on the form: the field itself, else the field without its index.
func cellOf(cells map[string]string, field string) string {
	if c, ok := cells[field]; ok {
		return c
	}
	if i := strings.IndexByte(field, '['); i > 0 {
		if c, ok := cells[field[:i]]; ok {
			return c
		}
	}
	return ""
}
