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
	// One query streams the rows while the writer writes the pages before.
	auditCtx := ctx // the reader's is cancelled before the audit
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan []xlsx.TrackingRow, 2)
	var readErr error
	rows := 0 // written, for the audit
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
		rows += len(page)
		return page, nil
	}
	err = xlsx.WriteTracking(w, xlsx.ExportMeta{By: who.Name, At: s.now(), Filter: desc}, next)
	cancel()
	for range pages { // let the reader end
	}
	if err != nil {
		return err
	}
	return s.auditExport(auditCtx, who, "export_tracking", "tracking.xlsx", desc, rows)
}

// auditExport records an export of personal data with what and how many
// rows (issue 12 §4). It comes after the workbook is written and before a
// byte of it leaves: the API answers with the workbook only once this
// returns, so an export the trail misses is never sent.
func (s *Service) auditExport(ctx context.Context, who Actor, action, target, what string, rows int) error {
	return s.Store.Audit(ctx, beian.AuditEntry{At: s.now(), Kind: beian.AuditExport, Actor: who.Name, Action: action, Target: target,
		Detail: fmt.Sprintf("%s；共 %d 行", what, rows)})
}

// ExportProvinceTable streams the per-province registration table
// 《网站备案资料登记表-<省份>》 (R-RV-3): the cases of the system province,
// certificate numbers, mobiles and emails masked (the table leaves the
// desk), stamped and audited with who exported it and how many rows. With
// reveal the numbers are in clear, for those who may see them (MayReveal;
// CodeForbidden for others), and the audit says so (issue 12 §4).
func (s *Service) ExportProvinceTable(ctx context.Context, who Actor, province string, reveal bool, w io.Writer) error {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return err
	}
	if reveal {
		if err := MayReveal(who); err != nil {
			return beian.Errorf(beian.CodeForbidden, "只有主管或管理员可以导出含完整证件号码、手机和邮箱的登记表；不加 reveal 导出的是脱敏的登记表")
		}
	}
	province = strings.TrimSpace(province)
	if province == "" {
		return beian.Errorf(beian.CodeInvalid, "请指定省份 province，例如 江苏")
	}
	cf := beian.CaseFilter{SystemProvince: province, Bulk: true, Limit: 2000}
	done, rows := false, 0
	next := func() ([]xlsx.ProvinceRow, error) {
		if done {
			return nil, nil
		}
		page, err := s.Store.ListCases(ctx, cf)
		if err != nil {
			return nil, err
		}
		out := make([]xlsx.ProvinceRow, 0, len(page.Items))
		for i := range page.Items {
			out = append(out, provinceRow(&page.Items[i], reveal))
		}
		cf.Cursor, done = page.NextCursor, page.NextCursor == ""
		rows += len(out)
		return out, nil
	}
	filter := "系统省份：" + province
	if reveal {
		filter += "；完整证件号码、手机和邮箱"
	}
	if err := xlsx.WriteProvinceTable(w, province, xlsx.ExportMeta{By: who.Name, At: s.now(), Filter: filter}, next); err != nil {
		return err
	}
	return s.auditExport(ctx, who, "export_province_table", province, filter, rows)
}

// MaskEmail keeps an address's first character and its domain
// (z***@example.cn): enough to recognise it, not to write to it.
func MaskEmail(s string) string {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" {
		return secret.Mask(s)
	}
	return string([]rune(local)[:1]) + "***@" + domain
}

func provinceRow(c *beian.Case, reveal bool) xlsx.ProvinceRow {
	id, mobile, email := secret.Mask(c.Sponsor.CertNumber), secret.Mask(c.Principal.Mobile), MaskEmail(c.Principal.Email)
	if reveal {
		id, mobile, email = c.Sponsor.CertNumber, c.Principal.Mobile, c.Principal.Email
	}
	nature, idType := "单位", "统一社会信用代码"
	if c.Sponsor.Kind == beian.SponsorPerson {
		nature, idType = "个人", "居民身份证"
	}
	r := xlsx.ProvinceRow{
		CaseNo: c.CaseNo, SponsorName: c.Sponsor.Name, SponsorNature: nature, IDType: idType, IDNumber: id,
		SiteName: c.Website.Name, Domains: UnicodeDomains(c.Website.Domains), IPs: c.Website.ServerIPs,
		PrincipalName: c.Principal.Name, PrincipalMobile: mobile, PrincipalEmail: email,
		Type: c.Type.Title(), ReceivedAt: c.CreatedAt, Status: c.Status.Title(), FilingNumber: c.FilingNumber,
	}
	for _, e := range c.Timeline {
		if e.Event == "submitted" {
			r.SubmittedAt = e.At
		}
	}
	return r
}
