package desk

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/mail"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/intake"
	"github.com/beian/beian/secret"
	"github.com/beian/beian/xlsx"
)

// The desk's reference data: the blacklist, the working-day calendar, the
// data centres, the customers and their access products. Each rule about
// them lives here once; the REST API and the console turn their input into
// these calls.

// ---- blacklist (R-IN-6) ----

// MaskBlacklist returns e with the value of a certificate number or phone
// entry masked (secret.Mask), as ID numbers are on a case (R-BR-2); names
// and domains are shown as they are.
func MaskBlacklist(e beian.BlacklistEntry) beian.BlacklistEntry {
	if e.Kind == intake.BlacklistCertNumber || e.Kind == intake.BlacklistPhone {
		e.Value = secret.Mask(e.Value)
	}
	return e
}

// Blacklist returns the whole blacklist (R-IN-6), oldest entry first, with
// certificate numbers and phones masked (specialist, supervisor). With
// reveal, a supervisor or admin sees them in clear, and the look is audited;
// other roles get CodeForbidden.
func (s *Service) Blacklist(ctx context.Context, who Actor, reveal bool) ([]beian.BlacklistEntry, error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, err
	}
	if reveal {
		if err := MayReveal(who); err != nil {
			return nil, err
		}
	}
	list, err := s.Store.ListBlacklist(ctx)
	if err != nil {
		return nil, err
	}
	if reveal {
		detail := fmt.Sprintf("查看黑名单中完整的证件号码和电话号码（共 %d 条）", len(list))
		if err := s.Audit(ctx, who, "reveal", "blacklist", detail); err != nil {
			return nil, err
		}
		return list, nil
	}
	for i := range list {
		list[i] = MaskBlacklist(list[i])
	}
	return list, nil
}

// MayEditBlacklist reports whether who adds and removes blacklist entries (R-IN-6).
func MayEditBlacklist(who Actor) bool { return who.Is(beian.RoleSupervisor) }

// AddBlacklistEntry puts a certificate number, name, domain or phone on the
// blacklist (supervisor; audited as who). From the next check on, intake and
// every correction naming it are refused with BLACKLISTED (R-IN-6). The value
// is compared normalised (intake.BlacklistKey: 139-0013-9000 is 13900139000,
// WWW.Example.cn is example.cn): an unknown kind or an empty value is
// CodeInvalid, the same value of the same kind twice CodeConflict. The entry
// is returned as stored, in clear; mask it (MaskBlacklist) to show it.
func (s *Service) AddBlacklistEntry(ctx context.Context, who Actor, kind, value, reason string) (*beian.BlacklistEntry, error) {
	if err := who.Require(beian.RoleSupervisor); err != nil {
		return nil, err
	}
	rules, err := s.Rules(ctx)
	if err != nil {
		return nil, err
	}
	kind = strings.TrimSpace(kind)
	key, err := intake.BlacklistKey(kind, value, rules.FileableSuffixes)
	if err != nil {
		return nil, err
	}
	e := &beian.BlacklistEntry{
		Kind: kind, Value: strings.TrimSpace(value), Key: key, Reason: strings.TrimSpace(reason),
		Author: who.Name, CreatedAt: s.now(),
	}
	if err := s.Store.AddBlacklistEntry(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// DeleteBlacklistEntry takes an entry off the blacklist (supervisor;
// audited); CodeNotFound when there is no such entry.
func (s *Service) DeleteBlacklistEntry(ctx context.Context, who Actor, id string) error {
	if err := who.Require(beian.RoleSupervisor); err != nil {
		return err
	}
	return s.Store.DeleteBlacklistEntry(ctx, id, who.Name)
}

// ---- working-day calendar (R-BR-1) ----

// MaxDueWorkingDays is the largest count the due-date calculator takes.
const MaxDueWorkingDays = 366

// DueDate is the due-date calculator's answer (R-BR-1): the bureau's
// deadline for materials submitted on From.
type DueDate struct {
	// From is the submission date, "2006-01-02".
	From        string
	WorkingDays int
	// Due is the deadline (17:30 Asia/Shanghai) with the days counted and
	// whether it is provisional.
	Due calendar.Due
	// KnownYears are the years whose holiday schedule is known.
	KnownYears []int
	// Warning says why a provisional deadline may be wrong; "" otherwise.
	Warning string
}

// BureauDueFrom computes when the bureau must decide on materials submitted
// on from's date (R-BR-1): 17:30 on the workingDays-th working day after it,
// by the calendar with staff overrides. A count outside 1 to
// MaxDueWorkingDays is CodeInvalid. A deadline in a year whose schedule is
// not known is still given, marked provisional, with a warning.
func (s *Service) BureauDueFrom(ctx context.Context, from time.Time, workingDays int) (DueDate, error) {
	if workingDays < 1 || workingDays > MaxDueWorkingDays {
		return DueDate{}, beian.Errorf(beian.CodeInvalid, "working_days 应为 1 到 %d 之间的整数", MaxDueWorkingDays)
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return DueDate{}, err
	}
	y, m, d := from.In(Shanghai).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, Shanghai)
	due, err := cal.BureauDue(day.Add(12*time.Hour), workingDays)
	if err != nil {
		return DueDate{}, err
	}
	if due.UnknownYears == nil {
		due.UnknownYears = []int{}
	}
	out := DueDate{From: day.Format("2006-01-02"), WorkingDays: workingDays, Due: due, KnownYears: cal.KnownYears()}
	if due.Provisional {
		out.Warning = fmt.Sprintf("期限跨越尚无节假日数据的年份 %v，按普通周末规则暂估；请在日历中补录该年安排，并将该年标记为已公布", due.UnknownYears)
	}
	return out, nil
}

// PutCalendarDay adds or corrects a holiday (off) or a make-up working day
// (调休上班, !off) on day's date in Asia/Shanghai (admin; audited). It
// applies to deadlines computed from now on (R-BR-1); it does not make the
// year known (see PublishYear).
func (s *Service) PutCalendarDay(ctx context.Context, who Actor, day time.Time, off bool, name string) (calendar.DayInfo, error) {
	if err := who.Require(); err != nil {
		return calendar.DayInfo{}, err
	}
	d := beian.CalendarDay{Date: day.In(Shanghai).Format("2006-01-02"), Off: off, Name: strings.TrimSpace(name), UpdatedBy: who.Name, UpdatedAt: s.now()}
	if err := s.Store.PutCalendarDay(ctx, d); err != nil {
		return calendar.DayInfo{}, err
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return calendar.DayInfo{}, err
	}
	return cal.Day(day), nil
}

// ParseYear reads a calendar year, four digits such as 2027; anything else
// is CodeInvalid.
func ParseYear(s string) (int, error) {
	year, err := strconv.Atoi(s)
	if err != nil || year < 1900 || year > 9999 {
		return 0, beian.Errorf(beian.CodeInvalid, "年份应为四位数字，例如 2027：%q", s)
	}
	return year, nil
}

// PublishYear marks a year's holiday schedule as published, i.e. entered in
// full, or not (admin; audited), and returns the known years after it. A
// year is known to the calendar when the embedded data lists it or it is
// published; an override of a single day does not make its year known, so a
// deadline in it stays provisional (R-BR-1).
func (s *Service) PublishYear(ctx context.Context, who Actor, year int, published bool) (known []int, err error) {
	if err := who.Require(); err != nil {
		return nil, err
	}
	if _, err := ParseYear(strconv.Itoa(year)); err != nil {
		return nil, err
	}
	if err := s.Store.PublishYear(ctx, year, published, who.Name); err != nil {
		return nil, err
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	return cal.KnownYears(), nil
}

// CalendarYear is what the calendar says about one year: the staff
// overrides in it, whether it is known, and the years known and published.
type CalendarYear struct {
	Year      int
	Overrides []beian.CalendarDay // of the year, by date
	Known     bool
	Published bool
	// KnownYears and PublishedYears are every year, ascending.
	KnownYears     []int
	PublishedYears []int
}

// CalendarOf returns the staff overrides of year and what is known of it.
func (s *Service) CalendarOf(ctx context.Context, year int) (CalendarYear, error) {
	days, err := s.Store.ListCalendarDays(ctx)
	if err != nil {
		return CalendarYear{}, err
	}
	published, err := s.Store.ListPublishedYears(ctx)
	if err != nil {
		return CalendarYear{}, err
	}
	cal := calendar.New(days, published)
	out := CalendarYear{Year: year, KnownYears: cal.KnownYears(), PublishedYears: slices.Sorted(slices.Values(published))}
	prefix := fmt.Sprintf("%04d-", year)
	for _, d := range days {
		if strings.HasPrefix(d.Date, prefix) {
			out.Overrides = append(out.Overrides, d)
		}
	}
	slices.SortFunc(out.Overrides, func(a, b beian.CalendarDay) int { return strings.Compare(a.Date, b.Date) })
	out.Known = slices.Contains(out.KnownYears, year)
	out.Published = slices.Contains(out.PublishedYears, year)
	return out, nil
}

// ---- data centres (R-ENT-1) ----

// DataCentreInput is a data centre as staff give it, its CIDRs as text.
type DataCentreInput struct {
	Name           string
	Province       string
	AccessProvider string
	Mailbox        string
	CIDRs          []string
}

// ValidateDataCentres checks a whole data-centre list (R-ENT-1: routing is
// data, editable without a release) and converts it. Every problem is a
// violation INVALID_DATACENTRE whose field is "[i].name", "[i].cidrs[j]"
// and so on (i, j from 0), all reported at once.
func ValidateDataCentres(in []DataCentreInput) ([]beian.DataCentre, []beian.Violation) {
	var vs []beian.Violation
	bad := func(i int, field, msg string) {
		vs = append(vs, beian.Violation{Rule: "R-ENT-1", Code: "INVALID_DATACENTRE", Field: fmt.Sprintf("[%d].%s", i, field), Message: msg})
	}
	names := map[string]bool{}
	var out []beian.DataCentre
	for i, d := range in {
		d.Name, d.Province = strings.TrimSpace(d.Name), strings.TrimSpace(d.Province)
		if d.Name == "" {
			bad(i, "name", "机房名称不能为空")
		} else if names[d.Name] {
			bad(i, "name", "机房名称重复："+d.Name)
		}
		names[d.Name] = true
		if d.Province == "" {
			bad(i, "province", "省份不能为空")
		}
		if strings.TrimSpace(d.AccessProvider) == "" {
			bad(i, "access_provider", "接入商名称不能为空")
		}
		if !strings.Contains(d.Mailbox, "@") {
			bad(i, "mailbox", "备案专员邮箱格式不正确")
		}
		dc := beian.DataCentre{Name: d.Name, Province: d.Province, AccessProvider: strings.TrimSpace(d.AccessProvider), Mailbox: strings.TrimSpace(d.Mailbox)}
		for j, raw := range d.CIDRs {
			p, err := netip.ParsePrefix(strings.TrimSpace(raw))
			if err != nil {
				bad(i, fmt.Sprintf("cidrs[%d]", j), "不是有效的 CIDR 网段："+raw)
				continue
			}
			dc.CIDRs = append(dc.CIDRs, p.Masked())
		}
		out = append(out, dc)
	}
	return out, vs
}

// DataCentres returns the data centres with their CIDRs (admin).
func (s *Service) DataCentres(ctx context.Context, who Actor) ([]beian.DataCentre, error) {
	if err := who.Require(); err != nil {
		return nil, err
	}
	return s.Store.ListDataCentres(ctx)
}

// ReplaceDataCentres replaces the whole data-centre list (admin; audited)
// after ValidateDataCentres: on any problem nothing is saved and the error
// carries every violation (R-ENT-1). It applies to the next check.
func (s *Service) ReplaceDataCentres(ctx context.Context, who Actor, in []DataCentreInput) error {
	if err := who.Require(); err != nil {
		return err
	}
	dcs, vs := ValidateDataCentres(in)
	if len(vs) > 0 {
		return ViolationsError(vs)
	}
	return s.Store.ReplaceDataCentres(ctx, dcs, who.Name)
}

// ---- customers and access products (R-ENT-2, R-RV-1) ----

// CustomerInput is a customer as staff or the billing system give it: every
// field as text. The managers' Mobile is not kept.
type CustomerInput struct {
	Name            string
	Contact         beian.Contact
	AccountManager  beian.Contact
	ManagerSuperior beian.Contact
	Products        []ProductInput
}

// ProductInput is an access product as given: its IPs and last valid day
// ("2006-01-02") as text.
type ProductInput struct {
	ID         string
	ServerIPs  []string
	ValidUntil string
}

// ValidateCustomer converts and checks a customer with ID id (R-ENT-2): a
// name, a valid contact mobile and emails, products with an ID each (unique),
// at least one valid, distinct IP and a last valid day. Every problem is a
// violation (fields "name", "contact.mobile", "products[i].server_ips[j]"
// …), reported at once.
func ValidateCustomer(id string, in CustomerInput) (beian.Customer, []beian.Violation) {
	var vs []beian.Violation
	bad := func(code, field, format string, args ...any) {
		vs = append(vs, beian.Violation{Rule: "R-ENT-2", Code: code, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	t := strings.TrimSpace
	c := beian.Customer{
		ID: id, Name: t(in.Name),
		Contact:         beian.Contact{Name: t(in.Contact.Name), Mobile: t(in.Contact.Mobile), Email: t(in.Contact.Email)},
		AccountManager:  beian.Contact{Name: t(in.AccountManager.Name), Email: t(in.AccountManager.Email)},
		ManagerSuperior: beian.Contact{Name: t(in.ManagerSuperior.Name), Email: t(in.ManagerSuperior.Email)},
	}
	if c.Name == "" {
		bad(intake.CodeRequired, "name", "客户名称不能为空")
	}
	if c.Contact.Mobile != "" {
		if m, err := intake.ValidateMobile(c.Contact.Mobile); err != nil {
			bad(intake.CodeInvalidMobile, "contact.mobile", "联系人手机「%s」不是有效的手机号码", c.Contact.Mobile)
		} else {
			c.Contact.Mobile = m
		}
	}
	for _, e := range [][2]string{
		{"contact.email", c.Contact.Email}, {"account_manager.email", c.AccountManager.Email}, {"manager_superior.email", c.ManagerSuperior.Email},
	} {
		if a, err := mail.ParseAddress(e[1]); e[1] != "" && (err != nil || a.Address != e[1]) {
			bad(intake.CodeInvalidEmail, e[0], "邮箱「%s」格式不正确", e[1])
		}
	}
	seen := map[string]int{}
	for i, p := range in.Products {
		field := fmt.Sprintf("products[%d]", i)
		pr := beian.Product{ID: t(p.ID), CustomerID: id, ValidUntil: t(p.ValidUntil)}
		if pr.ID == "" {
			bad(intake.CodeRequired, field+".id", "产品编号不能为空")
		} else if j, dup := seen[pr.ID]; dup {
			bad("DUPLICATE", field+".id", "产品编号 %s 与第 %d 个产品重复", pr.ID, j+1)
		} else {
			seen[pr.ID] = i
		}
		if len(p.ServerIPs) == 0 {
			bad(intake.CodeRequired, field+".server_ips", "产品 %s 至少要有一个服务器 IP", pr.ID)
		}
		ips := map[netip.Addr]bool{}
		for j, raw := range p.ServerIPs {
			a, err := netip.ParseAddr(t(raw))
			switch {
			case err != nil || a.Zone() != "":
				bad(intake.CodeInvalidIP, fmt.Sprintf("%s.server_ips[%d]", field, j), "「%s」不是有效的 IPv4 或 IPv6 地址", raw)
			case ips[a.Unmap()]:
				bad(intake.CodeDuplicateIP, fmt.Sprintf("%s.server_ips[%d]", field, j), "服务器 IP %s 重复", a.Unmap())
			default:
				ips[a.Unmap()] = true
				pr.ServerIPs = append(pr.ServerIPs, a.Unmap())
			}
		}
		if d, err := time.Parse("2006-01-02", pr.ValidUntil); err != nil {
			bad("INVALID_DATE", field+".valid_until", "到期日「%s」应为日期 YYYY-MM-DD", pr.ValidUntil)
		} else {
			pr.ValidUntil = d.Format("2006-01-02")
		}
		c.Products = append(c.Products, pr)
	}
	return c, vs
}

// Customers returns every customer with its products, by ID (admin).
func (s *Service) Customers(ctx context.Context, who Actor) ([]beian.Customer, error) {
	if err := who.Require(); err != nil {
		return nil, err
	}
	return s.Store.ListCustomers(ctx)
}

// Customer returns one customer with its products (admin); CodeNotFound
// when there is none.
func (s *Service) Customer(ctx context.Context, who Actor, id string) (*beian.Customer, error) {
	if err := who.Require(); err != nil {
		return nil, err
	}
	return s.Store.GetCustomer(ctx, id)
}

// PutCustomer replaces customer id and its products in one transaction
// (admin; audited; the billing system's copy, R-ENT-2). Products left out
// are dropped. Every problem comes back at once as violations (nothing
// saved); a product another customer holds is CodeConflict.
func (s *Service) PutCustomer(ctx context.Context, who Actor, id string, in CustomerInput) error {
	if err := who.Require(); err != nil {
		return err
	}
	cu, vs := ValidateCustomer(id, in)
	if len(vs) > 0 {
		return &beian.Error{Code: beian.CodeViolations, Message: fmt.Sprintf("客户资料有 %d 处错误，未保存", len(vs)), Violations: vs}
	}
	return s.Store.PutCustomers(ctx, []beian.Customer{cu}, who.Name)
}

// ImportCustomers reads the customer sheet (.xlsx, one row per access
// product, xlsx.ReadCustomers) and replaces the customers in it with their
// products, all in one transaction (admin; audited; R-ENT-2). Errors name
// the sheet, cell and problem in Chinese, every one at once (violations
// with field "客户!K3"); nothing is imported then. A file that is not a
// workbook is CodeUnsupportedType. It returns the customers imported.
func (s *Service) ImportCustomers(ctx context.Context, who Actor, file io.Reader) ([]beian.Customer, error) {
	if err := who.Require(); err != nil {
		return nil, err
	}
	cs, err := xlsx.ReadCustomers(file)
	if err != nil {
		return nil, err
	}
	if err := s.Store.PutCustomers(ctx, cs, who.Name); err != nil {
		return nil, err
	}
	now := s.now()
	for i := range cs {
		cs[i].UpdatedBy, cs[i].UpdatedAt = who.Name, now
	}
	return cs, nil
}

// DefaultExpiringWithin is how many days ahead the expiring-products report
// looks by default.
const DefaultExpiringWithin = 30

// ExpiringLine is one line of the expiring-products report: a product
// expired or expiring while filings on its IPs are live (R-ENT-2, R-RV-1).
type ExpiringLine struct {
	beian.ExpiringProduct
	// Expired is true once the product's last valid day has passed.
	Expired bool
	// DaysLeft is the days from today to the last valid day (negative once expired).
	DaysLeft int
}

// ExpiringProducts reports the access products that have expired, or expire
// within the next within days (0 to 366), while live filings are on their
// IPs: each line with its customer and those filings, soonest expiry first
// (specialist, supervisor).
func (s *Service) ExpiringProducts(ctx context.Context, who Actor, within int) ([]ExpiringLine, error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, err
	}
	if within < 0 || within > 366 {
		return nil, beian.Errorf(beian.CodeInvalid, "within_days 应为 0 到 366 之间的整数")
	}
	todayS := s.Today()
	today, err := time.ParseInLocation("2006-01-02", todayS, Shanghai)
	if err != nil {
		return nil, err
	}
	through := today.AddDate(0, 0, within).Format("2006-01-02")
	list, err := s.Store.ExpiringProducts(ctx, through)
	if err != nil {
		return nil, err
	}
	out := make([]ExpiringLine, 0, len(list))
	for _, e := range list {
		line := ExpiringLine{ExpiringProduct: e, Expired: !e.Product.ActiveOn(todayS)}
		if until, err := time.ParseInLocation("2006-01-02", e.Product.ValidUntil, Shanghai); err == nil {
			line.DaysLeft = int(math.Round(until.Sub(today).Hours() / 24)) // a DST-free zone, but round anyway
		}
		out = append(out, line)
	}
	return out, nil
}
