package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
)

// correctionRow is the jsonb shape of case_corrections.data.
type correctionRow struct {
	Sponsor              sponsorRow         `json:"sponsor"`
	Principal            principalRow       `json:"principal"`
	Website              websiteRow         `json:"website"`
	Province             string             `json:"province"`
	DataCentre           string             `json:"data_centre"`
	AccessProvider       string             `json:"access_provider"`
	Mailbox              string             `json:"mailbox"`
	BureauProvince       string             `json:"bureau_province"`
	Checklist            []checklistItemRow `json:"checklist"`
	EmailSubject         string             `json:"email_subject"`
	FilingPasswordSealed string             `json:"filing_password_sealed"`
	CustomerID           string             `json:"customer_id"`
	FilingNumber         string             `json:"filing_number"`
	AcceptedOverrides    []string           `json:"accepted_overrides"`
}

func correctionToRow(c *beian.Correction) correctionRow {
	p := c.Principal
	return correctionRow{
		Sponsor: sponsorToRow(c.Sponsor),
		Principal: principalRow{Name: p.Name, IDNumber: p.IDNumber, Mobile: p.Mobile, Landline: p.Landline,
			Email: p.Email, QQ: p.QQ},
		Website:  websiteToRow(c.Website),
		Province: c.Routing.Province, DataCentre: c.Routing.DataCentre, AccessProvider: c.Routing.AccessProvider,
		Mailbox: c.Routing.Mailbox, BureauProvince: c.Routing.BureauProvince,
		Checklist: checklistToRows(c.Checklist), EmailSubject: c.EmailSubject,
		FilingPasswordSealed: c.FilingPasswordSealed, CustomerID: c.CustomerID,
		FilingNumber: c.FilingNumber, AcceptedOverrides: c.AcceptedOverrides,
	}
}

func correctionFromRow(r correctionRow) beian.Correction {
	p := r.Principal
	return beian.Correction{
		Sponsor: sponsorFromRow(r.Sponsor),
		Principal: beian.Principal{Name: p.Name, IDNumber: p.IDNumber, Mobile: p.Mobile, Landline: p.Landline,
			Email: p.Email, QQ: p.QQ},
		Website: websiteFromRow(r.Website),
		Routing: beian.Routing{Province: r.Province, DataCentre: r.DataCentre, AccessProvider: r.AccessProvider,
			Mailbox: r.Mailbox, BureauProvince: r.BureauProvince},
		Checklist: checklistFromRows(r.Checklist), EmailSubject: r.EmailSubject,
		FilingPasswordSealed: r.FilingPasswordSealed, CustomerID: r.CustomerID,
		FilingNumber: r.FilingNumber, AcceptedOverrides: r.AcceptedOverrides,
	}
}

// SaveCorrection stores a correction and sets its ID and CreatedAt.
func (db *DB) SaveCorrection(ctx context.Context, c *beian.Correction) error {
	data, err := json.Marshal(correctionToRow(c))
	if err != nil {
		return fmt.Errorf("encode correction: %w", err)
	}
	err = db.pool.QueryRow(ctx,
		`INSERT INTO case_corrections (case_id, data, created_by) VALUES ($1, $2, $3) RETURNING id, created_at`,
		c.CaseID, data, c.CreatedBy).Scan(&c.ID, &c.CreatedAt)
	if err != nil {
		return fmt.Errorf("save correction of %s: %w", c.CaseID, err)
	}
	return nil
}

// GetCorrection returns a stored correction.
func (db *DB) GetCorrection(ctx context.Context, id string) (*beian.Correction, error) {
	if !validUUID(id) {
		return nil, beian.Errorf(beian.CodeNotFound, "更正记录 %s 不存在", id)
	}
	var data []byte
	c := beian.Correction{}
	err := db.pool.QueryRow(ctx,
		`SELECT case_id, data, created_by, created_at FROM case_corrections WHERE id = $1`, id).
		Scan(&c.CaseID, &data, &c.CreatedBy, &c.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, beian.Errorf(beian.CodeNotFound, "更正记录 %s 不存在", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load correction %s: %w", id, err)
	}
	var r correctionRow
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode correction %s: %w", id, err)
	}
	out := correctionFromRow(r)
	out.ID, out.CaseID, out.CreatedBy, out.CreatedAt = id, c.CaseID, c.CreatedBy, c.CreatedAt
	return &out, nil
}
