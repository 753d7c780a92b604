package desk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"

	"github.com/beian/beian"
	"github.com/beian/beian/workflows"
	"github.com/beian/beian/xlsx"
)

// SecurityTemplate writes the blank 《备案和信息安全规范表》 (R-PA-2).
func (s *Service) SecurityTemplate(w io.Writer) error { return xlsx.WriteSecurityTemplate(w) }

// PreviewSecuritySheet reads a security sheet (R-PA-2), matches each row
// with the live filings holding its domain or IP, and records the upload
// (once per file): what it will cancel, what is cut already, what matches
// nothing. A sheet with any bad row is refused whole, each problem named
// by its cell; nothing is cancelled before ConfirmSecuritySheet.
func (s *Service) PreviewSecuritySheet(ctx context.Context, who Actor, filename string, data []byte) (*beian.SecurityImport, error) {
	if err := who.Require(beian.RoleSupervisor); err != nil {
		return nil, err
	}
	rows, err := xlsx.ReadSecuritySheet(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var domains, ips []string
	for _, r := range rows {
		if r.Domain != "" {
			domains = append(domains, r.Domain)
		}
		if r.IP.IsValid() {
			ips = append(ips, r.IP.String())
		}
	}
	byDomain, byIP, err := s.Store.LiveFilingsByDomainOrIP(ctx, domains, ips)
	if err != nil {
		return nil, err
	}
	var items []beian.SecurityItem
	for _, r := range rows {
		base := beian.SecurityItem{Row: r.Row, Cell: r.Cell, Domain: r.Domain, Category: r.Category, Note: r.Note, Department: r.Department}
		if r.IP.IsValid() {
			base.IP = r.IP.String()
		}
		seen := map[string]bool{}
		var refs []beian.CaseRef
		for _, ref := range append(byDomain[r.Domain], byIP[base.IP]...) {
			if !seen[ref.ID] {
				seen[ref.ID] = true
				refs = append(refs, ref)
			}
		}
		if len(refs) == 0 {
			base.Outcome = "unmatched"
			items = append(items, base)
			continue
		}
		for _, ref := range refs { // an IP may serve several filings: each is cut
			it := base
			it.CaseID, it.CaseNo, it.Outcome = ref.ID, ref.CaseNo, "cancel"
			if ref.Status == beian.StatusAccessCancelled {
				it.Outcome = "already_cancelled"
			}
			items = append(items, it)
		}
	}
	sum := sha256.Sum256(data)
	got, _, err := s.Store.PutSecurityImport(ctx, &beian.SecurityImport{SHA256: hex.EncodeToString(sum[:]), Filename: filename, UploadedBy: who.Name, Items: items})
	return got, err
}

// ConfirmSecuritySheet cancels the access of every filing a previewed sheet
// matched, through each filing's workflow (an access action for tech, the
// filer told), as the preview showed it. Each cut is keyed by the file and
// the filing: confirming the same sheet again cancels nothing twice, and
// only retries the cuts that did not go through.
func (s *Service) ConfirmSecuritySheet(ctx context.Context, who Actor, id string) (*beian.SecurityImport, error) {
	if err := who.Require(beian.RoleSupervisor); err != nil {
		return nil, err
	}
	imp, err := s.Store.GetSecurityImport(ctx, id)
	if err != nil {
		return nil, err
	}
	items := append([]beian.SecurityItem(nil), imp.Items...)
	for i := range items {
		it := &items[i]
		if it.Outcome != "cancel" || (imp.ConfirmedAt != nil && it.Error == "") {
			continue // matched nothing, was cut already, or cut at the first confirmation
		}
		reason := "信息安全规范表（" + orDefault(it.Department, "信息安全部") + "）：" + it.Category
		if it.Note != "" {
			reason += "，" + it.Note
		}
		err := s.Act(ctx, who, it.CaseID, beian.ActionCancelAccess, workflows.ActionRequest{Reason: reason}, "security:"+imp.SHA256+":"+it.CaseID)
		switch {
		case err == nil:
			it.Error = ""
		case beian.ErrorCode(err) == beian.CodeInvalidState:
			it.Outcome, it.Error = "already_cancelled", "" // cut meanwhile (another row, another sheet)
		default:
			it.Error = err.Error()
		}
	}
	return s.Store.ConfirmSecurityImport(ctx, imp.ID, who.Name, items)
}

// SecuritySummary counts a sheet's items by outcome.
func SecuritySummary(imp *beian.SecurityImport) map[string]int {
	out := map[string]int{"cancel": 0, "already_cancelled": 0, "unmatched": 0, "failed": 0}
	for _, it := range imp.Items {
		out[it.Outcome]++
		if it.Error != "" {
			out["failed"]++
		}
	}
	return out
}

// SecurityImport returns an uploaded security sheet with its items.
func (s *Service) SecurityImport(ctx context.Context, who Actor, id string) (*beian.SecurityImport, error) {
	if err := who.Require(beian.RoleSupervisor); err != nil {
		return nil, err
	}
	return s.Store.GetSecurityImport(ctx, id)
}
