package desk

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/secret"
	"github.com/beian/beian/xlsx"
)

// TrackingFilter picks the cases of the tracking worksheet (R-BR-5): a
// province (system or bureau), a status ("" for every case not ended) and
// the days the cases were opened ("2006-01-02", both inclusive, either
// may be empty).
type TrackingFilter struct {
	Province string
	Status   string
	From, To string
}

func (f TrackingFilter) caseFilter() (beian.CaseFilter, string, error) {
	cf := beian.CaseFilter{Province: strings.TrimSpace(f.Province), Status: beian.Status(strings.TrimSpace(f.Status)), Bulk: true, Limit: 2000}
	if cf.Status != "" && cf.Status.Title() == string(cf.Status) {
		return cf, "", beian.Errorf(beian.CodeInvalid, "状态 status「%s」无效", f.Status)
	}
	desc := []string{"省份：" + orDefault(cf.Province, "全部"), "状态：" + orDefault(statusTitle(cf.Status), "全部在办与有效")}
	if f.From != "" {
		d, err := time.ParseInLocation("2006-01-02", f.From, Shanghai)
		if err != nil {
			return cf, "", beian.Errorf(beian.CodeInvalid, "起始日期 from 应为 2006-01-02 格式")
		}
		cf.CreatedFrom = &d
	}
	if f.To != "" {
		d, err := time.ParseInLocation("2006-01-02", f.To, Shanghai)
		if err != nil {
			return cf, "", beian.Errorf(beian.CodeInvalid, "截止日期 to 应为 2006-01-02 格式")
		}
		d = d.AddDate(0, 0, 1)
		cf.CreatedBefore = &d
	}
	if cf.CreatedFrom != nil && cf.CreatedBefore != nil && !cf.CreatedFrom.Before(*cf.CreatedBefore) {
		return cf, "", beian.Errorf(beian.CodeInvalid, "起始日期晚于截止日期")
	}
	if f.From != "" || f.To != "" {
		desc = append(desc, fmt.Sprintf("受理日期：%s 至 %s", orDefault(f.From, "最早"), orDefault(f.To, "今天")))
	}
	return cf, strings.Join(desc, "；"), nil
}

func orDefault(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

func statusTitle(s beian.Status) string {
	if s == "" {
		return ""
	}
	return s.Title()
}

// TrackingRow is the worksheet's row of a case (R-BR-5).
func TrackingRow(c *beian.Case) xlsx.TrackingRow {
	return xlsx.TrackingRow{
		SponsorName: c.Sponsor.Name, PrincipalName: c.Principal.Name, Domains: UnicodeDomains(c.Website.Domains),
		IPs: c.Website.ServerIPs, Type: c.Type.Title(), BureauProvince: c.Routing.BureauProvince,
		BureauReceived: c.BureauReceived, Returned: c.Returned, Approved: c.Status.OnRecord(), FilingNumber: c.FilingNumber,
	}
}

// ExportTracking streams the tracking worksheet of the cases f picks to w,
// stamped and audited with who exported it (R-BR-5).
func (s *Service) ExportTracking(ctx context.Context, who Actor, f TrackingFilter, w io.Writer) error {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return err
	}
	cf, desc, err := f.caseFilter()
	if err != nil {
		return err
	}
	if err := s.Store.Audit(ctx, beian.AuditEntry{Actor: who.Name, Action: "export_tracking", Target: "tracking.xlsx", Detail: desc}); err != nil {
		return err
	}
	// One query streams the rows while the writer writes the pages before.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan []xlsx.TrackingRow, 2)
	var readErr error
	go func() {
		defer close(pages)
		page := make([]xlsx.TrackingRow, 0, 2000)
		readErr = s.Store.EachTrackingCase(ctx, cf, func(c *beian.Case) error {
			page = append(page, TrackingRow(c))
			if len(page) == cap(page) {
				select {
				case pages <- page:
				case <-ctx.Done():
					return ctx.Err()
				}
				page = make([]xlsx.TrackingRow, 0, 2000)
			}
			return nil
		})
		if readErr == nil && len(page) > 0 {
			select {
			case pages <- page:
			case <-ctx.Done():
			}
		}
	}()
	next := func() ([]xlsx.TrackingRow, error) {
		page, ok := <-pages
		if !ok {
			return nil, readErr // the channel closed after readErr was set
		}
		return page, nil
	}
	err = xlsx.WriteTracking(w, xlsx.ExportMeta{By: who.Name, At: s.now(), Filter: desc}, next)
	cancel()
	for range pages { // let the reader end
	}
	return err
}

// ExportProvinceTable streams the per-province registration table
// 《网站备案资料登记表-<省份>》 (R-RV-3): the cases of the system province,
// certificate numbers and phones masked (the table leaves the desk),
// stamped and audited with who exported it.
func (s *Service) ExportProvinceTable(ctx context.Context, who Actor, province string, w io.Writer) error {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return err
	}
	province = strings.TrimSpace(province)
	if province == "" {
		return beian.Errorf(beian.CodeInvalid, "请指定省份 province，例如 江苏")
	}
	if err := s.Store.Audit(ctx, beian.AuditEntry{Actor: who.Name, Action: "export_province_table", Target: province}); err != nil {
		return err
	}
	cf := beian.CaseFilter{SystemProvince: province, Bulk: true, Limit: 2000}
	done := false
	next := func() ([]xlsx.ProvinceRow, error) {
		if done {
			return nil, nil
		}
		page, err := s.Store.ListCases(ctx, cf)
		if err != nil {
			return nil, err
		}
		rows := make([]xlsx.ProvinceRow, 0, len(page.Items))
		for i := range page.Items {
			rows = append(rows, provinceRow(&page.Items[i]))
		}
		cf.Cursor, done = page.NextCursor, page.NextCursor == ""
		return rows, nil
	}
	return xlsx.WriteProvinceTable(w, province, xlsx.ExportMeta{By: who.Name, At: s.now(), Filter: "系统省份：" + province}, next)
}

func provinceRow(c *beian.Case) xlsx.ProvinceRow {
	nature, idType := "单位", "统一社会信用代码"
	if c.Sponsor.Kind == beian.SponsorPerson {
		nature, idType = "个人", "居民身份证"
	}
	r := xlsx.ProvinceRow{
		CaseNo: c.CaseNo, SponsorName: c.Sponsor.Name, SponsorNature: nature, IDType: idType, IDNumber: secret.Mask(c.Sponsor.CertNumber),
		SiteName: c.Website.Name, Domains: UnicodeDomains(c.Website.Domains), IPs: c.Website.ServerIPs,
		PrincipalName: c.Principal.Name, PrincipalMobile: secret.Mask(c.Principal.Mobile), PrincipalEmail: c.Principal.Email,
		Type: c.Type.Title(), ReceivedAt: c.CreatedAt, Status: c.Status.Title(), FilingNumber: c.FilingNumber,
	}
	for _, e := range c.Timeline {
		if e.Event == "submitted" {
			r.SubmittedAt = e.At
		}
	}
	return r
}
