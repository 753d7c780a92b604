package postgres

import (
	"fmt"
	"slices"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/secret"
)

// The structs below are the JSON shapes of the jsonb columns of cases. They
// belong to the database alone: the domain types carry no tags, and the API
// has its own shapes. Renaming a field here changes stored data.
//
// The fields marked sealed hold personal data sealed with the store's Box
// (issue 12 §2): sponsorToRow and principalToRow seal them, sponsorFromRow
// and principalFromRow open them. Nothing else of these rows is personal
// data that must be found or hidden: names stay plain for the list's search.

type personRow struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"` // sealed
}

type sponsorRow struct {
	Kind       string     `json:"kind"`
	Name       string     `json:"name"`
	CertType   string     `json:"cert_type"`
	CertNumber string     `json:"cert_number"` // sealed
	Province   string     `json:"province"`
	City       string     `json:"city"`
	Address    string     `json:"address"`
	LegalRep   *personRow `json:"legal_rep,omitempty"`
}

type principalRow struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"` // sealed
	Mobile   string `json:"mobile"`    // sealed
	Landline string `json:"landline"`  // sealed
	Email    string `json:"email"`     // sealed
	QQ       string `json:"qq"`
}

type preApprovalRow struct {
	Category   string `json:"category"`
	DocumentNo string `json:"document_no"`
}

type websiteRow struct {
	Name         string           `json:"name"`
	Domains      []string         `json:"domains"`
	ServerIPs    []string         `json:"server_ips"`
	Categories   []string         `json:"categories"`
	PreApprovals []preApprovalRow `json:"pre_approvals"`
	Interactive  bool             `json:"interactive"`
}

type checklistItemRow struct {
	Code     string `json:"code"`
	Title    string `json:"title"`
	Note     string `json:"note"`
	Required bool   `json:"required"`
	Received bool   `json:"received"`
}

// caseRow is one row of cases, column by column.
type caseRow struct {
	ID                   string
	CaseNo               string
	Type                 string
	Status               string
	Province             string
	DataCentre           string
	AccessProvider       string
	Mailbox              string
	BureauProvince       string
	Checklist            []checklistItemRow
	EmailSubject         string
	PurgeAt              *time.Time
	BureauDueAt          *time.Time
	RectifyBy            *time.Time
	Overdue              bool
	BureauReceived       bool
	Returned             bool
	BureauDueProvisional bool
	ReturnReason         string
	ReviewReasons        []string
	FilingNumber         string
	FilingPasswordSealed string
	RectifyReason        string
	RectifySource        string
	CustomerID           string
	Sponsor              sponsorRow
	Principal            principalRow
	Website              websiteRow
	SponsorName          string
	SponsorCertNumber    string // sealed, as in Sponsor
	PrincipalName        string
	WorkflowID           string
	LinkedCaseID         string
	AcceptedOverrides    []string
	LastVerifiedAt       *time.Time
	SMS                  *beian.SMSVerification
	PublicSecurity       *beian.PublicSecurity
	CreatedBy            string
	CreatedAt            time.Time
	UpdatedAt            time.Time
	// Written, never read back: the blind indexes of the personal data
	// (issue 12 §2), the store's way to find a case by a number.
	SponsorCertIndex string
	PIIIndexes       []string
}

// caseColumns lists the columns of cases in the order of caseRow.scanTargets.
const caseColumns = `id, case_no, type, status, province, data_centre, access_provider, mailbox,
	bureau_province, checklist, email_subject, purge_at, bureau_due_at, rectify_by, overdue,
	bureau_received, returned, bureau_due_provisional, return_reason, review_reasons, filing_number,
	filing_password_sealed, rectify_reason, rectify_source, customer_id, sponsor, principal, website,
	sponsor_name, sponsor_cert_number, principal_name, workflow_id, linked_case_id, accepted_overrides, last_verified_at, sms_verification, public_security, created_by, created_at, updated_at`

// scanTargets are the destinations for a row selected with caseColumns.
func (r *caseRow) scanTargets() []any {
	return []any{&r.ID, &r.CaseNo, &r.Type, &r.Status, &r.Province, &r.DataCentre, &r.AccessProvider,
		&r.Mailbox, &r.BureauProvince, &r.Checklist, &r.EmailSubject, &r.PurgeAt, &r.BureauDueAt,
		&r.RectifyBy, &r.Overdue, &r.BureauReceived, &r.Returned, &r.BureauDueProvisional,
		&r.ReturnReason, &r.ReviewReasons, &r.FilingNumber, &r.FilingPasswordSealed, &r.RectifyReason,
		&r.RectifySource, &r.CustomerID, &r.Sponsor, &r.Principal, &r.Website, &r.SponsorName,
		&r.SponsorCertNumber, &r.PrincipalName, &r.WorkflowID, &r.LinkedCaseID, &r.AcceptedOverrides, &r.LastVerifiedAt, &r.SMS, &r.PublicSecurity, &r.CreatedBy, &r.CreatedAt, &r.UpdatedAt}
}

// caseToRow converts a case to its row, its personal data sealed and
// indexed. Empty lists are stored as [] and read back as nil.
func (db *DB) caseToRow(c *beian.Case) (caseRow, error) {
	box, err := db.keys()
	if err != nil {
		return caseRow{}, err
	}
	sponsor, err := sponsorToRow(box, c.Sponsor)
	if err != nil {
		return caseRow{}, fmt.Errorf("seal sponsor: %w", err)
	}
	principal, err := principalToRow(box, c.Principal)
	if err != nil {
		return caseRow{}, fmt.Errorf("seal principal: %w", err)
	}
	return caseRow{
		ID:                   c.ID,
		CaseNo:               c.CaseNo,
		Type:                 string(c.Type),
		Status:               string(c.Status),
		Province:             c.Routing.Province,
		DataCentre:           c.Routing.DataCentre,
		AccessProvider:       c.Routing.AccessProvider,
		Mailbox:              c.Routing.Mailbox,
		BureauProvince:       c.Routing.BureauProvince,
		Checklist:            checklistToRows(c.Checklist),
		EmailSubject:         c.EmailSubject,
		PurgeAt:              c.Deadlines.PurgeAt,
		BureauDueAt:          c.Deadlines.BureauDueAt,
		RectifyBy:            c.Deadlines.RectifyBy,
		Overdue:              c.Overdue,
		BureauReceived:       c.BureauReceived,
		Returned:             c.Returned,
		BureauDueProvisional: c.BureauDueProvisional,
		ReturnReason:         c.ReturnReason,
		ReviewReasons:        nonNil(c.ReviewReasons),
		FilingNumber:         c.FilingNumber,
		FilingPasswordSealed: c.FilingPasswordSealed,
		RectifyReason:        c.RectifyReason,
		RectifySource:        c.RectifySource,
		CustomerID:           c.CustomerID,
		Sponsor:              sponsor,
		Principal:            principal,
		Website:              websiteToRow(c.Website),
		SponsorName:          c.Sponsor.Name,
		SponsorCertNumber:    sponsor.CertNumber,
		SponsorCertIndex:     box.Index(secret.IndexID, c.Sponsor.CertNumber),
		PIIIndexes:           piiIndexes(box, c.Sponsor, c.Principal),
		PrincipalName:        c.Principal.Name,
		WorkflowID:           c.WorkflowID,
		LinkedCaseID:         c.LinkedCaseID,
		AcceptedOverrides:    nonNil(c.AcceptedOverrides),
		LastVerifiedAt:       c.LastVerifiedAt,
		SMS:                  c.SMS,
		PublicSecurity:       c.PublicSecurity,
		CreatedBy:            c.CreatedBy,
		CreatedAt:            c.CreatedAt,
		UpdatedAt:            c.UpdatedAt,
	}, nil
}

// caseFromRow converts a row of cases to a case without its timeline, its
// personal data opened. A value that does not open (altered, or sealed with
// a key no longer configured) is an error that names the case, never the
// value.
func (db *DB) caseFromRow(r caseRow) (beian.Case, error) {
	sponsor, err := sponsorFromRow(db.box, r.Sponsor)
	if err != nil {
		return beian.Case{}, fmt.Errorf("open sponsor of case %s: %w", r.ID, err)
	}
	principal, err := principalFromRow(db.box, r.Principal)
	if err != nil {
		return beian.Case{}, fmt.Errorf("open principal of case %s: %w", r.ID, err)
	}
	return beian.Case{
		ID:     r.ID,
		CaseNo: r.CaseNo,
		Type:   beian.CaseType(r.Type),
		Status: beian.Status(r.Status),
		Routing: beian.Routing{
			Province:       r.Province,
			DataCentre:     r.DataCentre,
			AccessProvider: r.AccessProvider,
			Mailbox:        r.Mailbox,
			BureauProvince: r.BureauProvince,
		},
		Checklist:    checklistFromRows(r.Checklist),
		EmailSubject: r.EmailSubject,
		Deadlines: beian.Deadlines{
			PurgeAt:     r.PurgeAt,
			BureauDueAt: r.BureauDueAt,
			RectifyBy:   r.RectifyBy,
		},
		Overdue:              r.Overdue,
		BureauReceived:       r.BureauReceived,
		Returned:             r.Returned,
		ReturnReason:         r.ReturnReason,
		ReviewReasons:        nilIfEmpty(r.ReviewReasons),
		BureauDueProvisional: r.BureauDueProvisional,
		FilingNumber:         r.FilingNumber,
		FilingPasswordSealed: r.FilingPasswordSealed,
		RectifyReason:        r.RectifyReason,
		RectifySource:        r.RectifySource,
		CustomerID:           r.CustomerID,
		Sponsor:              sponsor,
		Principal:            principal,
		Website:              websiteFromRow(r.Website),
		WorkflowID:           r.WorkflowID,
		LinkedCaseID:         r.LinkedCaseID,
		AcceptedOverrides:    nilIfEmpty(r.AcceptedOverrides),
		LastVerifiedAt:       r.LastVerifiedAt,
		SMS:                  r.SMS,
		PublicSecurity:       r.PublicSecurity,
		CreatedBy:            r.CreatedBy,
		CreatedAt:            r.CreatedAt,
		UpdatedAt:            r.UpdatedAt,
	}, nil
}

func checklistToRows(items []beian.ChecklistItem) []checklistItemRow {
	rows := make([]checklistItemRow, 0, len(items))
	for _, it := range items {
		rows = append(rows, checklistItemRow(it))
	}
	return rows
}

func checklistFromRows(rows []checklistItemRow) []beian.ChecklistItem {
	if len(rows) == 0 {
		return nil
	}
	items := make([]beian.ChecklistItem, 0, len(rows))
	for _, r := range rows {
		items = append(items, beian.ChecklistItem(r))
	}
	return items
}

// sponsorToRow converts a sponsor to its row, the certificate number and
// the legal representative's ID number sealed with box.
func sponsorToRow(box *secret.Box, s beian.Sponsor) (sponsorRow, error) {
	cert, err := box.Seal(s.CertNumber)
	if err != nil {
		return sponsorRow{}, err
	}
	r := sponsorRow{
		Kind:       string(s.Kind),
		Name:       s.Name,
		CertType:   s.CertType,
		CertNumber: cert,
		Province:   s.Province,
		City:       s.City,
		Address:    s.Address,
	}
	if s.LegalRep != nil {
		id, err := box.Seal(s.LegalRep.IDNumber)
		if err != nil {
			return sponsorRow{}, err
		}
		r.LegalRep = &personRow{Name: s.LegalRep.Name, IDNumber: id}
	}
	return r, nil
}

// sponsorFromRow converts a row to a sponsor, its numbers opened with box.
func sponsorFromRow(box *secret.Box, r sponsorRow) (beian.Sponsor, error) {
	cert, err := openValue(box, r.CertNumber)
	if err != nil {
		return beian.Sponsor{}, fmt.Errorf("certificate number: %w", err)
	}
	s := beian.Sponsor{
		Kind:       beian.SponsorKind(r.Kind),
		Name:       r.Name,
		CertType:   r.CertType,
		CertNumber: cert,
		Province:   r.Province,
		City:       r.City,
		Address:    r.Address,
	}
	if r.LegalRep != nil {
		id, err := openValue(box, r.LegalRep.IDNumber)
		if err != nil {
			return beian.Sponsor{}, fmt.Errorf("legal representative's ID number: %w", err)
		}
		s.LegalRep = &beian.Person{Name: r.LegalRep.Name, IDNumber: id}
	}
	return s, nil
}

// principalToRow converts a principal to its row, ID number, phones and
// e-mail address sealed with box.
func principalToRow(box *secret.Box, p beian.Principal) (principalRow, error) {
	r := principalRow{Name: p.Name, QQ: p.QQ}
	for _, f := range []struct {
		dst   *string
		plain string
	}{{&r.IDNumber, p.IDNumber}, {&r.Mobile, p.Mobile}, {&r.Landline, p.Landline}, {&r.Email, p.Email}} {
		v, err := box.Seal(f.plain)
		if err != nil {
			return principalRow{}, err
		}
		*f.dst = v
	}
	return r, nil
}

// principalFromRow converts a row to a principal, its values opened with box.
func principalFromRow(box *secret.Box, r principalRow) (beian.Principal, error) {
	p := beian.Principal{Name: r.Name, QQ: r.QQ}
	for _, f := range []struct {
		dst    *string
		sealed string
		what   string
	}{{&p.IDNumber, r.IDNumber, "ID number"}, {&p.Mobile, r.Mobile, "mobile"}, {&p.Landline, r.Landline, "landline"}, {&p.Email, r.Email, "e-mail address"}} {
		v, err := openValue(box, f.sealed)
		if err != nil {
			return beian.Principal{}, fmt.Errorf("%s: %w", f.what, err)
		}
		*f.dst = v
	}
	return p, nil
}

// piiIndexes are the blind indexes of every ID number, phone and e-mail
// address of a sponsor and principal, without repeats.
func piiIndexes(box *secret.Box, s beian.Sponsor, p beian.Principal) []string {
	out := []string{}
	add := func(kind, v string) {
		if ix := box.Index(kind, v); ix != "" && !slices.Contains(out, ix) {
			out = append(out, ix)
		}
	}
	add(secret.IndexID, s.CertNumber)
	if s.LegalRep != nil {
		add(secret.IndexID, s.LegalRep.IDNumber)
	}
	add(secret.IndexID, p.IDNumber)
	add(secret.IndexPhone, p.Mobile)
	add(secret.IndexPhone, p.Landline)
	add(secret.IndexEmail, p.Email)
	return out
}

func websiteToRow(w beian.Website) websiteRow {
	r := websiteRow{
		Name:         w.Name,
		Domains:      nonNil(w.Domains),
		ServerIPs:    nonNil(w.ServerIPs),
		Categories:   nonNil(w.Categories),
		PreApprovals: make([]preApprovalRow, 0, len(w.PreApprovals)),
		Interactive:  w.Interactive,
	}
	for _, p := range w.PreApprovals {
		r.PreApprovals = append(r.PreApprovals, preApprovalRow(p))
	}
	return r
}

func websiteFromRow(r websiteRow) beian.Website {
	w := beian.Website{
		Name:        r.Name,
		Domains:     nilIfEmpty(r.Domains),
		ServerIPs:   nilIfEmpty(r.ServerIPs),
		Categories:  nilIfEmpty(r.Categories),
		Interactive: r.Interactive,
	}
	for _, p := range r.PreApprovals {
		w.PreApprovals = append(w.PreApprovals, beian.PreApproval(p))
	}
	return w
}

// nonNil is s, or an empty slice for nil: NOT NULL array and JSON columns
// hold empty lists, not NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// nilIfEmpty is s, or nil when it is empty: an empty list reads back as nil.
func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
