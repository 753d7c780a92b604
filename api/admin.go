package api

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
)

type taskJSON struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	FilingID  string    `json:"filing_id"`
	DueAt     time.Time `json:"due_at"`
	Script    string    `json:"script"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) listTasks(c echo.Context) error {
	tasks, err := s.desk.Store.ListTasks(c.Request().Context(), c.QueryParam("kind"), c.QueryParam("status"))
	if err != nil {
		return err
	}
	out := listJSON[taskJSON]{Items: []taskJSON{}}
	for _, t := range tasks {
		out.Items = append(out.Items, taskJSON{
			ID: t.ID, Kind: t.Kind, Status: t.Status, FilingID: t.CaseID, DueAt: t.DueAt.In(shanghai),
			Script: t.Script, CreatedAt: t.CreatedAt.In(shanghai),
		})
	}
	return c.JSON(http.StatusOK, out)
}

type accessActionJSON struct {
	ID          string     `json:"id"`
	FilingID    string     `json:"filing_id"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason"`
	ServerIPs   []string   `json:"server_ips"`
	Domains     []string   `json:"domains"`
	RequestedAt time.Time  `json:"requested_at"`
	ConfirmedAt *time.Time `json:"confirmed_at"`
	ConfirmedBy string     `json:"confirmed_by,omitempty"`
}

func accessActionToJSON(a beian.AccessAction) accessActionJSON {
	return accessActionJSON{
		ID: a.ID, FilingID: a.CaseID, Kind: a.Kind, Status: a.Status, Reason: a.Reason,
		ServerIPs: nonNil(a.ServerIPs), Domains: nonNil(a.Domains), RequestedAt: a.RequestedAt.In(shanghai),
		ConfirmedAt: inShanghai(a.ConfirmedAt), ConfirmedBy: a.ConfirmedBy,
	}
}

func (s *Server) listAccessActions(c echo.Context) error {
	st := c.QueryParam("status")
	if st != "" && st != beian.AccessPending && st != beian.AccessConfirmed {
		return beian.Errorf(beian.CodeInvalid, "status 只能是 pending 或 confirmed")
	}
	acts, err := s.desk.Store.ListAccessActions(c.Request().Context(), st)
	if err != nil {
		return err
	}
	out := listJSON[accessActionJSON]{Items: []accessActionJSON{}}
	for _, a := range acts {
		out.Items = append(out.Items, accessActionToJSON(a))
	}
	return c.JSON(http.StatusOK, out)
}

// confirmAccessAction: tech reports that the access action was carried out (R-AC-1).
func (s *Server) confirmAccessAction(c echo.Context) error {
	a, err := s.desk.ConfirmAccessAction(c.Request().Context(), s.actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.Set(ctxCaseID, a.CaseID)
	return c.JSON(http.StatusOK, accessActionToJSON(*a))
}

type dataCentreJSON struct {
	Name           string   `json:"name"`
	Province       string   `json:"province"`
	AccessProvider string   `json:"access_provider"`
	Mailbox        string   `json:"mailbox"`
	CIDRs          []string `json:"cidrs"`
}

func (s *Server) getDataCentres(c echo.Context) error {
	dcs, err := s.desk.Store.ListDataCentres(c.Request().Context())
	if err != nil {
		return err
	}
	out := []dataCentreJSON{}
	for _, d := range dcs {
		j := dataCentreJSON{Name: d.Name, Province: d.Province, AccessProvider: d.AccessProvider, Mailbox: d.Mailbox, CIDRs: []string{}}
		for _, p := range d.CIDRs {
			j.CIDRs = append(j.CIDRs, p.String())
		}
		out = append(out, j)
	}
	return c.JSON(http.StatusOK, out)
}

// putDataCentres replaces the whole data-centre list (R-ENT-1: routing is
// data, editable without a release). Every problem is reported at once.
func (s *Server) putDataCentres(c echo.Context) error {
	var in []dataCentreJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
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
	if len(vs) > 0 {
		return violationsError(vs)
	}
	if err := s.desk.Store.ReplaceDataCentres(c.Request().Context(), out, caller(c).Name); err != nil {
		return err
	}
	return s.getDataCentres(c)
}

// calendarFor is the working-day calendar with staff overrides and the
// years staff have marked published (R-BR-1).
func (s *Server) calendarFor(c echo.Context) (*calendar.Calendar, error) {
	return s.desk.Calendar(c.Request().Context())
}

// calendarDue answers when the bureau must decide on materials submitted on
// the date `from` (R-BR-1): 17:30 on the Nth working day after it.
func (s *Server) calendarDue(c echo.Context) error {
	fromS := c.QueryParam("from")
	if fromS == "" {
		fromS = s.desk.Now().In(shanghai).Format("2006-01-02")
	}
	from, err := parseDate(fromS, "from")
	if err != nil {
		return err
	}
	n := s.desk.Config.BureauWorkingDays
	if v := c.QueryParam("working_days"); v != "" {
		n, err = strconv.Atoi(v)
		if err != nil || n < 1 || n > 366 {
			return beian.Errorf(beian.CodeInvalid, "working_days 应为 1 到 366 之间的整数")
		}
	}
	cal, err := s.calendarFor(c)
	if err != nil {
		return err
	}
	due, err := cal.BureauDue(from.Add(12*time.Hour), n)
	if err != nil {
		return err
	}
	years := due.UnknownYears
	if years == nil {
		years = []int{}
	}
	out := map[string]any{
		"from": fromS, "working_days": n, "due_at": due.At.In(shanghai), "provisional": due.Provisional,
		"unknown_years": years, "known_years": cal.KnownYears(), "days": due.Days,
	}
	if due.Provisional {
		out["warning"] = fmt.Sprintf("期限跨越尚无节假日数据的年份 %v，按普通周末规则暂估；请在日历中补录该年安排，并将该年标记为已公布", years)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) calendarDay(c echo.Context) error {
	d, err := parseDate(c.Param("date"), "date")
	if err != nil {
		return err
	}
	cal, err := s.calendarFor(c)
	if err != nil {
		return err
	}
	info := cal.Day(d)
	return c.JSON(http.StatusOK, map[string]any{
		"date": info.Date, "working": info.Working, "off": !info.Working, "name": info.Name, "known": info.Known, "source": info.Source,
	})
}

// putCalendarDay adds or corrects a holiday or make-up working day (admin).
func (s *Server) putCalendarDay(c echo.Context) error {
	d, err := parseDate(c.Param("date"), "date")
	if err != nil {
		return err
	}
	var b struct {
		Off  *bool  `json:"off"`
		Name string `json:"name"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Off == nil {
		return beian.Errorf(beian.CodeInvalid, "需要 off: true（放假）或 off: false（调休上班）")
	}
	day := beian.CalendarDay{Date: d.Format("2006-01-02"), Off: *b.Off, Name: strings.TrimSpace(b.Name), UpdatedBy: caller(c).Name, UpdatedAt: s.desk.Now()}
	if err := s.desk.Store.PutCalendarDay(c.Request().Context(), day); err != nil {
		return err
	}
	return s.calendarDay(c)
}

// putCalendarYear marks a year's holiday schedule as published (entered in
// full) or not (admin, audited). A year is known to the calendar when the
// embedded data lists it or it is published; an override of a single day
// does not make its year known (R-BR-1).
func (s *Server) putCalendarYear(c echo.Context) error {
	year, err := strconv.Atoi(c.Param("year"))
	if err != nil || year < 1900 || year > 9999 {
		return beian.Errorf(beian.CodeInvalid, "年份应为四位数字，例如 2027：%q", c.Param("year"))
	}
	var b struct {
		Published *bool `json:"published"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Published == nil {
		return beian.Errorf(beian.CodeInvalid, "需要 published: true（该年节假日安排已公布并录入）或 published: false")
	}
	if err := s.desk.Store.PublishYear(c.Request().Context(), year, *b.Published, caller(c).Name); err != nil {
		return err
	}
	cal, err := s.calendarFor(c)
	if err != nil {
		return err
	}
	known := cal.KnownYears()
	return c.JSON(http.StatusOK, map[string]any{
		"year": year, "published": *b.Published, "known": slices.Contains(known, year), "known_years": known,
	})
}
