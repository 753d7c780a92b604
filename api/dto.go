package api

import (
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/secret"
)

// JSON shapes of api.md. They are converted to and from the domain with the
// named functions below; no struct is shared with the database or a spreadsheet.

type personJSON struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
}

type sponsorJSON struct {
	Kind       string      `json:"kind"`
	Name       string      `json:"name"`
	CertType   string      `json:"cert_type"`
	CertNumber string      `json:"cert_number"`
	Province   string      `json:"province"`
	City       string      `json:"city"`
	Address    string      `json:"address"`
	LegalRep   *personJSON `json:"legal_rep,omitempty"`
}

type principalJSON struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Mobile   string `json:"mobile"`
	Landline string `json:"landline"`
	Email    string `json:"email"`
	QQ       string `json:"qq"`
}

type preApprovalJSON struct {
	Category   string `json:"category"`
	DocumentNo string `json:"document_no"`
}

type websiteJSON struct {
	Name    string   `json:"name"`
	Domains []string `json:"domains"`
	// DomainsUnicode shows IDN domains as people read them (例子.中国); only in answers.
	DomainsUnicode []string          `json:"domains_unicode,omitempty"`
	ServerIPs      []string          `json:"server_ips"`
	Categories     []string          `json:"categories"`
	PreApprovals   []preApprovalJSON `json:"pre_approvals"`
	Interactive    bool              `json:"interactive"`
}

// filingBody is the body of POST /filings, /filings/check and (partial) /corrections.
type filingBody struct {
	Type           string        `json:"type"`
	Sponsor        sponsorJSON   `json:"sponsor"`
	Principal      principalJSON `json:"principal"`
	Website        websiteJSON   `json:"website"`
	FilingNumber   string        `json:"filing_number"`
	FilingPassword string        `json:"filing_password"`
	// Overrides are violation codes a supervisor accepts for this case,
	// from the judgement rules only (overridable); audited.
	Overrides []string `json:"overrides,omitempty"`
}

type routingJSON struct {
	Province       string `json:"province"`
	DataCentre     string `json:"data_centre"`
	AccessProvider string `json:"access_provider"`
	Mailbox        string `json:"mailbox"`
	BureauProvince string `json:"bureau_province"`
}

type checklistItemJSON struct {
	Code     string `json:"code"`
	Title    string `json:"title"`
	Note     string `json:"note,omitempty"`
	Required bool   `json:"required"`
	Received bool   `json:"received"`
}

type deadlinesJSON struct {
	PurgeAt     *time.Time `json:"purge_at"`
	BureauDueAt *time.Time `json:"bureau_due_at"`
	RectifyBy   *time.Time `json:"rectify_by"`
}

type eventJSON struct {
	At     time.Time `json:"at"`
	Event  string    `json:"event"`
	Actor  string    `json:"actor"`
	Detail string    `json:"detail"`
}

// caseJSON is the case as every filing endpoint returns it.
type caseJSON struct {
	ID                   string              `json:"id"`
	CaseNo               string              `json:"case_no"`
	Type                 string              `json:"type"`
	Status               string              `json:"status"`
	StatusTitle          string              `json:"status_title"`
	Routing              routingJSON         `json:"routing"`
	Checklist            []checklistItemJSON `json:"checklist"`
	EmailSubject         string              `json:"email_subject"`
	Deadlines            deadlinesJSON       `json:"deadlines"`
	BureauDueProvisional bool                `json:"bureau_due_provisional"`
	Overdue              bool                `json:"overdue"`
	BureauReceived       bool                `json:"bureau_received"`
	Returned             bool                `json:"returned"`
	ReturnReason         string              `json:"return_reason,omitempty"`
	ReviewReasons        []string            `json:"review_reasons,omitempty"`
	RectifyReason        string              `json:"rectify_reason,omitempty"`
	CustomerID           string              `json:"customer_id"`
	LinkedCaseID         string              `json:"linked_case_id,omitempty"`
	LastVerifiedAt       *time.Time          `json:"last_verified_at"`
	FilingNumber         *string             `json:"filing_number"`
	FilingPassword       *string             `json:"filing_password"`
	Sponsor              sponsorJSON         `json:"sponsor"`
	Principal            principalJSON       `json:"principal"`
	Website              websiteJSON         `json:"website"`
	Timeline             []eventJSON         `json:"timeline"`
	// SMSVerification is the MIIT SMS check of the latest submission (R-BR-6).
	SMSVerification *smsJSON `json:"sms_verification"`
	// PublicSecurity is the public-security filing after opening (R-PA-6).
	PublicSecurity *publicSecurityJSON `json:"public_security"`
	WorkflowID     string              `json:"workflow_id"`
	CreatedAt      time.Time           `json:"created_at"`
	UpdatedAt      time.Time           `json:"updated_at"`
	// Warning tells staff of something still to happen, e.g. that the
	// workflow starts once the workflow engine is back (202 to POST /filings).
	Warning string `json:"warning,omitempty"`
}

// decodeJSON, the one reader of JSON bodies, is in decode.go (issue 12 §6).

// caseFromBody converts a filing body to a domain case (nothing checked yet).
func caseFromBody(b filingBody) *beian.Case {
	c := &beian.Case{
		Type:         beian.CaseType(strings.TrimSpace(b.Type)),
		Sponsor:      sponsorFromJSON(b.Sponsor),
		Principal:    principalFromJSON(b.Principal),
		Website:      websiteFromJSON(b.Website),
		FilingNumber: strings.TrimSpace(b.FilingNumber),
	}
	return c
}

func sponsorFromJSON(s sponsorJSON) beian.Sponsor {
	out := beian.Sponsor{
		Kind: beian.SponsorKind(s.Kind), Name: s.Name, CertType: s.CertType, CertNumber: s.CertNumber,
		Province: s.Province, City: s.City, Address: s.Address,
	}
	if s.LegalRep != nil {
		out.LegalRep = &beian.Person{Name: s.LegalRep.Name, IDNumber: s.LegalRep.IDNumber}
	}
	return out
}

func principalFromJSON(p principalJSON) beian.Principal {
	return beian.Principal{Name: p.Name, IDNumber: p.IDNumber, Mobile: p.Mobile, Landline: p.Landline, Email: p.Email, QQ: p.QQ}
}

func websiteFromJSON(w websiteJSON) beian.Website {
	out := beian.Website{
		Name: w.Name, Domains: w.Domains, ServerIPs: w.ServerIPs, Categories: w.Categories, Interactive: w.Interactive,
	}
	for _, p := range w.PreApprovals {
		out.PreApprovals = append(out.PreApprovals, beian.PreApproval{Category: p.Category, DocumentNo: p.DocumentNo})
	}
	return out
}

// bodyFromCase is the inverse of caseFromBody, used to apply a partial
// correction onto the current case. Secrets are left out.
func bodyFromCase(c *beian.Case) filingBody {
	return filingBody{
		Type:         string(c.Type),
		Sponsor:      sponsorToJSON(c.Sponsor, false),
		Principal:    principalToJSON(c.Principal, false),
		Website:      websiteToJSON(c.Website),
		FilingNumber: c.FilingNumber,
	}
}

func sponsorToJSON(s beian.Sponsor, mask bool) sponsorJSON {
	out := sponsorJSON{
		Kind: string(s.Kind), Name: s.Name, CertType: s.CertType, CertNumber: maskIf(mask, s.CertNumber),
		Province: s.Province, City: s.City, Address: s.Address,
	}
	if s.LegalRep != nil {
		out.LegalRep = &personJSON{Name: s.LegalRep.Name, IDNumber: maskIf(mask, s.LegalRep.IDNumber)}
	}
	return out
}

func principalToJSON(p beian.Principal, mask bool) principalJSON {
	return principalJSON{Name: p.Name, IDNumber: maskIf(mask, p.IDNumber), Mobile: p.Mobile, Landline: p.Landline, Email: p.Email, QQ: p.QQ}
}

func websiteToJSON(w beian.Website) websiteJSON {
	out := websiteJSON{
		Name: w.Name, Domains: nonNil(w.Domains), ServerIPs: nonNil(w.ServerIPs), Categories: nonNil(w.Categories),
		PreApprovals: []preApprovalJSON{}, Interactive: w.Interactive, DomainsUnicode: unicodeDomains(w.Domains),
	}
	for _, p := range w.PreApprovals {
		out.PreApprovals = append(out.PreApprovals, preApprovalJSON{Category: p.Category, DocumentNo: p.DocumentNo})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func maskIf(mask bool, s string) string {
	if mask {
		return secret.Mask(s)
	}
	return s
}

// caseToJSON renders a case. Unless reveal is set, ID and certificate
// numbers are masked and the filing password shown as asterisks; when reveal
// is set, password is the opened password.
type smsJSON struct {
	Status      string     `json:"status"`
	StartedAt   time.Time  `json:"started_at"`
	DueAt       time.Time  `json:"due_at"`
	RemindAt    *time.Time `json:"remind_at,omitempty"`
	RemindedAt  *time.Time `json:"reminded_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	By          string     `json:"by,omitempty"`
}

type publicSecurityJSON struct {
	Status     string     `json:"status"`
	OpenedAt   time.Time  `json:"opened_at"`
	DueAt      time.Time  `json:"due_at"`
	Reminded   int        `json:"reminded"`
	Number     *string    `json:"number"`
	RecordedAt *time.Time `json:"recorded_at,omitempty"`
	RecordedBy string     `json:"recorded_by,omitempty"`
}

func smsToJSON(v *beian.SMSVerification) *smsJSON {
	if v == nil {
		return nil
	}
	return &smsJSON{Status: v.Status, StartedAt: v.StartedAt.In(shanghai), DueAt: v.DueAt.In(shanghai), RemindAt: inShanghai(v.RemindAt),
		RemindedAt: inShanghai(v.RemindedAt), CompletedAt: inShanghai(v.CompletedAt), By: v.By}
}

func publicSecurityToJSON(v *beian.PublicSecurity) *publicSecurityJSON {
	if v == nil {
		return nil
	}
	j := &publicSecurityJSON{Status: v.Status, OpenedAt: v.OpenedAt.In(shanghai), DueAt: v.DueAt.In(shanghai), Reminded: v.Reminded,
		RecordedAt: inShanghai(v.RecordedAt), RecordedBy: v.RecordedBy}
	if v.Number != "" {
		n := v.Number
		j.Number = &n
	}
	return j
}

func caseToJSON(c *beian.Case, reveal bool, password string) caseJSON {
	mask := !reveal
	out := caseJSON{
		ID: c.ID, CaseNo: c.CaseNo, Type: string(c.Type), Status: string(c.Status), StatusTitle: c.Status.Title(),
		Routing: routingJSON{
			Province: c.Routing.Province, DataCentre: c.Routing.DataCentre, AccessProvider: c.Routing.AccessProvider,
			Mailbox: c.Routing.Mailbox, BureauProvince: c.Routing.BureauProvince,
		},
		Checklist:    []checklistItemJSON{},
		EmailSubject: c.EmailSubject,
		Deadlines: deadlinesJSON{
			PurgeAt: inShanghai(c.Deadlines.PurgeAt), BureauDueAt: inShanghai(c.Deadlines.BureauDueAt),
			RectifyBy: inShanghai(c.Deadlines.RectifyBy),
		},
		BureauDueProvisional: c.BureauDueProvisional,
		Overdue:              c.Overdue, BureauReceived: c.BureauReceived, Returned: c.Returned,
		ReturnReason: c.ReturnReason, ReviewReasons: c.ReviewReasons, RectifyReason: c.RectifyReason,
		CustomerID: c.CustomerID, LinkedCaseID: c.LinkedCaseID, LastVerifiedAt: inShanghai(c.LastVerifiedAt),
		Sponsor:         sponsorToJSON(c.Sponsor, mask),
		Principal:       principalToJSON(c.Principal, mask),
		Website:         websiteToJSON(c.Website),
		Timeline:        []eventJSON{},
		WorkflowID:      c.WorkflowID,
		SMSVerification: smsToJSON(c.SMS), PublicSecurity: publicSecurityToJSON(c.PublicSecurity),
		CreatedAt: c.CreatedAt.In(shanghai), UpdatedAt: c.UpdatedAt.In(shanghai),
	}
	for _, it := range c.Checklist {
		out.Checklist = append(out.Checklist, checklistItemJSON{Code: it.Code, Title: it.Title, Note: it.Note, Required: it.Required, Received: it.Received})
	}
	for _, e := range c.Timeline {
		out.Timeline = append(out.Timeline, eventJSON{At: e.At.In(shanghai), Event: e.Event, Actor: e.Actor, Detail: e.Detail})
	}
	if c.FilingNumber != "" {
		n := c.FilingNumber
		out.FilingNumber = &n
	}
	if c.FilingPasswordSealed != "" {
		p := "********"
		if reveal {
			p = password
		}
		out.FilingPassword = &p
	}
	return out
}

func inShanghai(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	x := t.In(shanghai)
	return &x
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("Asia/Shanghai", 8*3600)
	}
	return l
}()

// pathDate parses a YYYY-MM-DD path or query value.
func parseDate(s, field string) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", s, shanghai)
	if err != nil {
		return time.Time{}, beian.Errorf(beian.CodeInvalid, "%s 应为日期 YYYY-MM-DD，收到「%s」", field, s)
	}
	return d, nil
}

// unicodeDomains is domains in Unicode (desk.UnicodeDomains).
func unicodeDomains(domains []string) []string { return desk.UnicodeDomains(domains) }
