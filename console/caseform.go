package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/intake"
)

// caseForm is the intake form (and the correction form) as the browser
// sends it: every field a string, lists one item a line. It converts to a
// beian.Case with toCase; nothing here checks a rule (desk.Check does).
type caseForm struct {
	Type string

	SponsorKind, SponsorName, CertType, CertNumber string
	Province, City, Address                        string
	LegalRepName, LegalRepID                       string

	PrincipalName, PrincipalID, Mobile, Landline, Email, QQ string

	SiteName       string
	Domains        string // one a line
	ServerIPs      string // one a line
	Categories     []string
	OtherCategory  string
	PreApprovalCat []string // three rows
	PreApprovalDoc []string
	Interactive    bool

	FilingNumber, FilingPassword string
	Overrides                    []string
}

// caseFormFrom reads the posted form.
func caseFormFrom(r *http.Request) caseForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := caseForm{
		Type:        v("type"),
		SponsorKind: v("sponsor.kind"), SponsorName: v("sponsor.name"), CertType: v("sponsor.cert_type"), CertNumber: v("sponsor.cert_number"),
		Province: v("sponsor.province"), City: v("sponsor.city"), Address: v("sponsor.address"),
		LegalRepName: v("sponsor.legal_rep.name"), LegalRepID: v("sponsor.legal_rep.id_number"),
		PrincipalName: v("principal.name"), PrincipalID: v("principal.id_number"), Mobile: v("principal.mobile"),
		Landline: v("principal.landline"), Email: v("principal.email"), QQ: v("principal.qq"),
		SiteName: v("website.name"), Domains: r.PostFormValue("website.domains"), ServerIPs: r.PostFormValue("website.server_ips"),
		Categories: r.PostForm["website.categories"], OtherCategory: v("website.other_category"),
		Interactive:  r.PostFormValue("website.interactive") == "on",
		FilingNumber: v("filing_number"), FilingPassword: r.PostFormValue("filing_password"),
		Overrides: r.PostForm["overrides"],
	}
	for i := 0; i < 50 && (i < 3 || r.PostForm.Has("pa_category_"+strconv.Itoa(i))); i++ {
		f.PreApprovalCat = append(f.PreApprovalCat, v("pa_category_"+strconv.Itoa(i)))
		f.PreApprovalDoc = append(f.PreApprovalDoc, v("pa_document_"+strconv.Itoa(i)))
	}
	return f
}

// splitLines is the non-empty lines (or comma-separated items) of a box.
func splitLines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == '，' || r == ';' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// toCase converts the form to a case (nothing checked yet).
func (f caseForm) toCase() *beian.Case {
	c := &beian.Case{
		Type: beian.CaseType(f.Type),
		Sponsor: beian.Sponsor{
			Kind: beian.SponsorKind(f.SponsorKind), Name: f.SponsorName, CertType: f.CertType, CertNumber: f.CertNumber,
			Province: f.Province, City: f.City, Address: f.Address,
		},
		Principal: beian.Principal{Name: f.PrincipalName, IDNumber: f.PrincipalID, Mobile: f.Mobile, Landline: f.Landline, Email: f.Email, QQ: f.QQ},
		Website: beian.Website{
			Name: f.SiteName, Domains: splitLines(f.Domains), ServerIPs: splitLines(f.ServerIPs),
			Interactive: f.Interactive,
		},
		FilingNumber: f.FilingNumber,
	}
	if f.SponsorKind == string(beian.SponsorOrganisation) && (f.LegalRepName != "" || f.LegalRepID != "") {
		c.Sponsor.LegalRep = &beian.Person{Name: f.LegalRepName, IDNumber: f.LegalRepID}
	}
	for _, cat := range f.Categories {
		if cat = strings.TrimSpace(cat); cat != "" {
			c.Website.Categories = append(c.Website.Categories, cat)
		}
	}
	c.Website.Categories = append(c.Website.Categories, splitLines(f.OtherCategory)...)
	for i := range f.PreApprovalCat {
		if f.PreApprovalCat[i] != "" || f.PreApprovalDoc[i] != "" {
			c.Website.PreApprovals = append(c.Website.PreApprovals, beian.PreApproval{Category: f.PreApprovalCat[i], DocumentNo: f.PreApprovalDoc[i]})
		}
	}
	return c
}

// caseFormOf fills the form from a stored case, for a correction. ID and
// certificate numbers are left empty: the form shows them masked, and an
// empty field keeps the stored number (withStored).
func caseFormOf(c *beian.Case, preApprovalCodes map[string]string) caseForm {
	f := caseForm{
		Type:        string(c.Type),
		SponsorKind: string(c.Sponsor.Kind), SponsorName: c.Sponsor.Name, CertType: c.Sponsor.CertType,
		Province: c.Sponsor.Province, City: c.Sponsor.City, Address: c.Sponsor.Address,
		PrincipalName: c.Principal.Name, Mobile: c.Principal.Mobile, Landline: c.Principal.Landline,
		Email: c.Principal.Email, QQ: c.Principal.QQ,
		SiteName: c.Website.Name, Domains: strings.Join(desk.UnicodeDomains(c.Website.Domains), "\n"),
		ServerIPs: strings.Join(c.Website.ServerIPs, "\n"), Interactive: c.Website.Interactive,
		FilingNumber: c.FilingNumber,
	}
	if c.Sponsor.LegalRep != nil {
		f.LegalRepName = c.Sponsor.LegalRep.Name
	}
	var other []string
	for _, cat := range c.Website.Categories {
		if _, ok := preApprovalCodes[cat]; ok {
			f.Categories = append(f.Categories, cat)
		} else {
			other = append(other, cat)
		}
	}
	f.OtherCategory = strings.Join(other, ", ")
	rows := max(3, len(c.Website.PreApprovals)+1) // every stored one, and room for one more
	for i := range rows {
		cat, doc := "", ""
		if i < len(c.Website.PreApprovals) {
			cat, doc = c.Website.PreApprovals[i].Category, c.Website.PreApprovals[i].DocumentNo
		}
		f.PreApprovalCat = append(f.PreApprovalCat, cat)
		f.PreApprovalDoc = append(f.PreApprovalDoc, doc)
	}
	return f
}

// withStored fills the ID numbers left empty in a correction with the
// stored ones, so staff need not retype what they cannot see.
func withStored(next *beian.Case, cur *beian.Case) {
	if next.Sponsor.CertNumber == "" {
		next.Sponsor.CertNumber = cur.Sponsor.CertNumber
	}
	if next.Principal.IDNumber == "" {
		next.Principal.IDNumber = cur.Principal.IDNumber
	}
	if next.Sponsor.LegalRep != nil && next.Sponsor.LegalRep.IDNumber == "" && cur.Sponsor.LegalRep != nil {
		next.Sponsor.LegalRep.IDNumber = cur.Sponsor.LegalRep.IDNumber
	}
}

// formChoices are the drop-downs of the intake form.
type formChoices struct {
	Types         []choice
	Kinds         []choice
	CertTypes     []choice
	Provinces     []string
	PreApprovals  []choice
	Overridable   []choice
	MayOverride   bool
	NeedsNumber   bool
	CorrectionFor *beian.Case
}

type choice struct{ Value, Label string }

func choicesFor(who desk.Actor, rules intake.Rules) formChoices {
	ch := formChoices{
		Types: []choice{
			{string(beian.TypeNew), beian.TypeNew.Title()}, {string(beian.TypeChange), beian.TypeChange.Title()},
			{string(beian.TypeTransferIn), beian.TypeTransferIn.Title()}, {string(beian.TypeCancel), beian.TypeCancel.Title()},
			{string(beian.TypeCancelAccess), beian.TypeCancelAccess.Title()},
		},
		Kinds:     []choice{{string(beian.SponsorPerson), "个人"}, {string(beian.SponsorOrganisation), "单位（企业、机关、社会团体等）"}},
		CertTypes: []choice{{beian.CertIDCard, "居民身份证"}, {beian.CertUSCC, "统一社会信用代码"}},
		Provinces: intake.Provinces,
		Overridable: []choice{
			{"REGION_NAME_IN_PERSONAL_SITE", "个人网站名称含地域名称（R-IN-4）"},
			{"NATIONAL_WORD_IN_SITE_NAME", "单位网站名称含国家级字样（R-IN-4）"},
		},
		MayOverride: desk.MayOverride(who),
	}
	for _, code := range []string{"news", "publishing", "education", "medical", "drugs", "culture", "broadcasting"} {
		if t, ok := rules.PreApprovalCategories[code]; ok {
			ch.PreApprovals = append(ch.PreApprovals, choice{code, t})
		}
	}
	for code, t := range rules.PreApprovalCategories {
		found := false
		for _, c := range ch.PreApprovals {
			found = found || c.Value == code
		}
		if !found {
			ch.PreApprovals = append(ch.PreApprovals, choice{code, t})
		}
	}
	return ch
}
