package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/desk"
)

type taskJSON struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status"`
	FilingID    string     `json:"filing_id"`
	CaseNo      string     `json:"case_no,omitempty"`
	Assignee    string     `json:"assignee,omitempty"`
	DueAt       time.Time  `json:"due_at"`
	Script      string     `json:"script"`
	CreatedAt   time.Time  `json:"created_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	// Outcome is what the task recorded (for a call: the answers compared).
	Outcome json.RawMessage `json:"outcome,omitempty"`
}

func taskToJSON(t beian.Task) taskJSON {
	out := taskJSON{
		ID: t.ID, Kind: t.Kind, Status: t.Status, FilingID: t.CaseID, CaseNo: t.CaseNo, Assignee: t.Assignee, DueAt: t.DueAt.In(shanghai),
		Script: t.Script, CreatedAt: t.CreatedAt.In(shanghai), CompletedAt: inShanghai(t.CompletedAt),
	}
	if t.Outcome != "" {
		out.Outcome = json.RawMessage(t.Outcome)
	}
	return out
}

func (s *Server) listTasks(c echo.Context) error {
	tasks, err := s.desk.Store.ListTasks(c.Request().Context(), c.QueryParam("kind"), c.QueryParam("status"))
	if err != nil {
		return err
	}
	out := listJSON[taskJSON]{Items: []taskJSON{}}
	for _, t := range tasks {
		out.Items = append(out.Items, taskToJSON(t))
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
	ConfirmNote string     `json:"confirm_note,omitempty"`
	AddressedTo string     `json:"addressed_to"`
}

func accessActionToJSON(a beian.AccessAction) accessActionJSON {
	return accessActionJSON{
		ID: a.ID, FilingID: a.CaseID, Kind: a.Kind, Status: a.Status, Reason: a.Reason,
		ServerIPs: nonNil(a.ServerIPs), Domains: nonNil(a.Domains), RequestedAt: a.RequestedAt.In(shanghai),
		ConfirmedAt: inShanghai(a.ConfirmedAt), ConfirmedBy: a.ConfirmedBy, ConfirmNote: a.ConfirmNote, AddressedTo: a.AddressedTo,
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
	note, err := optionalReason(c) // {"note": "…"}: what tech did
	if err != nil {
		return err
	}
	a, err := s.desk.ConfirmAccessAction(c.Request().Context(), s.actor(c), c.Param("id"), note)
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
	dcs, err := s.desk.DataCentres(c.Request().Context(), s.actor(c))
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
// data, editable without a release; desk.ReplaceDataCentres validates it,
// every problem at once).
func (s *Server) putDataCentres(c echo.Context) error {
	var in []dataCentreJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	dcs := make([]desk.DataCentreInput, 0, len(in))
	for _, d := range in {
		dcs = append(dcs, desk.DataCentreInput{Name: d.Name, Province: d.Province, AccessProvider: d.AccessProvider, Mailbox: d.Mailbox, CIDRs: d.CIDRs})
	}
	if err := s.desk.ReplaceDataCentres(c.Request().Context(), s.actor(c), dcs); err != nil {
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
		if n, err = strconv.Atoi(v); err != nil {
			n = 0 // refused by the desk like any count out of range
		}
	}
	due, err := s.desk.BureauDueFrom(c.Request().Context(), from, n)
	if err != nil {
		return err
	}
	out := map[string]any{
		"from": fromS, "working_days": n, "due_at": due.Due.At.In(shanghai), "provisional": due.Due.Provisional,
		"unknown_years": due.Due.UnknownYears, "known_years": due.KnownYears, "days": due.Due.Days,
	}
	if due.Warning != "" {
		out["warning"] = due.Warning
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

// putCalendarDay adds or corrects a holiday or make-up working day (admin;
// desk.PutCalendarDay).
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
	if _, err := s.desk.PutCalendarDay(c.Request().Context(), s.actor(c), d, *b.Off, b.Name); err != nil {
		return err
	}
	return s.calendarDay(c)
}

// putCalendarYear marks a year's holiday schedule as published (entered in
// full) or not (admin, audited). A year is known to the calendar when the
// embedded data lists it or it is published; an override of a single day
// does not make its year known (R-BR-1).
func (s *Server) putCalendarYear(c echo.Context) error {
	year, err := desk.ParseYear(c.Param("year"))
	if err != nil {
		return err
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
	known, err := s.desk.PublishYear(c.Request().Context(), s.actor(c), year, *b.Published)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{
		"year": year, "published": *b.Published, "known": slices.Contains(known, year), "known_years": known,
	})
}
