package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
	"github.com/beian/beian/secret"
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

// correctionToRow converts a correction to its row, the personal data of
// its sponsor and principal sealed as a case's are (issue 12 §2).
func correctionToRow(box *secret.Box, c *beian.Correction) (correctionRow, error) {
	sponsor, err := sponsorToRow(box, c.Sponsor)
	if err != nil {
		return correctionRow{}, err
	}
	principal, err := principalToRow(box, c.Principal)
	if err != nil {
		return correctionRow{}, err
	}
	return correctionRow{
		Sponsor:   sponsor,
		Principal: principal,
		Website:   websiteToRow(c.Website),
		Province:  c.Routing.Province, DataCentre: c.Routing.DataCentre, AccessProvider: c.Routing.AccessProvider,
		Mailbox: c.Routing.Mailbox, BureauProvince: c.Routing.BureauProvince,
		Checklist: checklistToRows(c.Checklist), EmailSubject: c.EmailSubject,
		FilingPasswordSealed: c.FilingPasswordSealed, CustomerID: c.CustomerID,
		FilingNumber: c.FilingNumber, AcceptedOverrides: c.AcceptedOverrides,
	}, nil
}

// correctionFromRow converts a row to a correction, its personal data opened.
func correctionFromRow(box *secret.Box, r correctionRow) (beian.Correction, error) {
	sponsor, err := sponsorFromRow(box, r.Sponsor)
	if err != nil {
		return beian.Correction{}, err
	}
	principal, err := principalFromRow(box, r.Principal)
	if err != nil {
		return beian.Correction{}, err
	}
	return beian.Correction{
		Sponsor:   sponsor,
		Principal: principal,
		Website:   websiteFromRow(r.Website),
		Routing: beian.Routing{Province: r.Province, DataCentre: r.DataCentre, AccessProvider: r.AccessProvider,
			Mailbox: r.Mailbox, BureauProvince: r.BureauProvince},
		Checklist: checklistFromRows(r.Checklist), EmailSubject: r.EmailSubject,
		FilingPasswordSealed: r.FilingPasswordSealed, CustomerID: r.CustomerID,
		FilingNumber: r.FilingNumber, AcceptedOverrides: r.AcceptedOverrides,
	}, nil
}

// SaveCorrection stores a correction and sets its ID and CreatedAt.
func (db *DB) SaveCorrection(ctx context.Context, c *beian.Correction) error {
	box, err := db.keys()
	if err != nil {
		return err
	}
	row, err := correctionToRow(box, c)
	if err != nil {
		return fmt.Errorf("seal correction: %w", err)
	}
	data, err := json.Marshal(row)
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
	out, err := correctionFromRow(db.box, r)
	if err != nil {
		return nil, fmt.Errorf("open correction %s: %w", id, err)
	}
	out.ID, out.CaseID, out.CreatedBy, out.CreatedAt = id, c.CaseID, c.CreatedBy, c.CreatedAt
	return &out, nil
}
