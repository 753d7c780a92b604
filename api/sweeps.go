package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/xlsx"
)

// sweepJSON is a sweep as the API shows it (R-PA-3).
type sweepJSON struct {
	ID         string                    `json:"id"`
	Status     string                    `json:"status"`
	Trigger    string                    `json:"trigger"`
	StartedBy  string                    `json:"started_by,omitempty"`
	StartedAt  time.Time                 `json:"started_at"`
	FinishedAt *time.Time                `json:"finished_at"`
	Error      string                    `json:"error,omitempty"`
	Total      int                       `json:"total"`
	Done       int                       `json:"done"`
	Notified   int                       `json:"notified"`
	Counts     map[string]int            `json:"counts"`
	ByProvince map[string]map[string]int `json:"by_province"`
	Findings   []findingJSON             `json:"findings"`
	NextCursor string                    `json:"next_cursor,omitempty"`
	Joined     bool                      `json:"joined,omitempty"`
}

// findingJSON is one swept domain with its evidence.
type findingJSON struct {
	Domain       string     `json:"domain"`
	Class        string     `json:"class"`
	Addresses    []string   `json:"addresses"`
	FilingID     string     `json:"filing_id"`
	CaseNo       string     `json:"case_no"`
	Province     string     `json:"province"`
	CheckedAt    time.Time  `json:"checked_at"`
	NotifiedAt   *time.Time `json:"notified_at"`
	Homepage     string     `json:"homepage,omitempty"`
	HomepageNote string     `json:"homepage_detail,omitempty"`
	Evidence     rawJSON    `json:"evidence"`
}

// rawJSON passes stored JSON through as it is.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("[]"), nil
	}
	return r, nil
}

func sweepToJSON(s *beian.Sweep) sweepJSON {
	j := sweepJSON{ID: s.ID, Status: s.Status, Trigger: s.Trigger, StartedBy: s.StartedBy, StartedAt: s.StartedAt.In(shanghai),
		FinishedAt: inShanghai(s.FinishedAt), Error: s.Error, Total: s.Total, Done: s.Done, Notified: s.Notified,
		Counts: map[string]int{}, ByProvince: map[string]map[string]int{}, Findings: []findingJSON{}}
	for _, c := range beian.SweepClasses {
		j.Counts[string(c)] = s.Counts[c]
	}
	for p, m := range s.ByProvince {
		j.ByProvince[p] = map[string]int{}
		for c, n := range m {
			j.ByProvince[p][string(c)] = n
		}
	}
	return j
}

func findingToJSON(f beian.SweepFinding) findingJSON {
	return findingJSON{Domain: f.Domain, Class: string(f.Class), Addresses: nonNil(f.Addresses), FilingID: f.CaseID, CaseNo: f.CaseNo,
		Province: f.Province, CheckedAt: f.CheckedAt.In(shanghai), NotifiedAt: inShanghai(f.NotifiedAt),
		Homepage: f.Homepage, HomepageNote: f.HomepageDetail, Evidence: rawJSON(f.Evidence)}
}

// startSweep runs the sweep now: 202 with the new sweep, or 200 with the
// one already running (joined).
func (s *Server) startSweep(c echo.Context) error {
	sw, joined, err := s.desk.StartSweep(c.Request().Context(), s.actor(c))
	if err != nil {
		return err
	}
	j := sweepToJSON(sw)
	j.Joined = joined
	if joined {
		return c.JSON(http.StatusOK, j)
	}
	return c.JSON(http.StatusAccepted, j)
}

func (s *Server) listSweeps(c echo.Context) error {
	list, err := s.desk.Sweeps(c.Request().Context(), s.actor(c), 10)
	if err != nil {
		return err
	}
	out := []sweepJSON{}
	for i := range list {
		out = append(out, sweepToJSON(&list[i]))
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// getSweep shows a sweep's progress and its findings: by default the ones
// that need a person (elsewhere, nxdomain, unresolved); ?class= picks one
// class (ours too), ?limit= and ?cursor= page.
func (s *Server) getSweep(c echo.Context) error {
	ctx := c.Request().Context()
	sw, err := s.desk.Sweep(ctx, s.actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	limit := 500
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 5000 {
			return beian.Errorf(beian.CodeInvalid, "limit 应为 1 到 5000 之间的整数")
		}
	}
	j := sweepToJSON(sw)
	classes := []beian.SweepClass{beian.SweepClass(c.QueryParam("class"))}
	if classes[0] == "" {
		classes = []beian.SweepClass{beian.SweepElsewhere, beian.SweepNXDomain, beian.SweepUnresolved}
	}
	for _, class := range classes {
		fs, err := s.desk.SweepFindings(ctx, s.actor(c), sw.ID, class, c.QueryParam("cursor"), limit)
		if err != nil {
			return err
		}
		for _, f := range fs {
			j.Findings = append(j.Findings, findingToJSON(f))
		}
		if len(classes) == 1 && len(fs) == limit {
			j.NextCursor = fs[len(fs)-1].Domain
		}
	}
	return c.JSON(http.StatusOK, j)
}

// sweepReport streams the sweep's report: the counts, then every finding
// with its evidence (R-PA-3).
func (s *Server) sweepReport(c echo.Context) error {
	ctx := c.Request().Context()
	who := s.actor(c)
	sw, err := s.desk.Sweep(ctx, who, c.Param("id"))
	if err != nil {
		return err
	}
	cursor := ""
	next := func() ([]beian.SweepFinding, error) {
		fs, err := s.desk.SweepFindings(ctx, who, sw.ID, "", cursor, 2000)
		if len(fs) > 0 {
			cursor = fs[len(fs)-1].Domain
		}
		return fs, err
	}
	return xlsx.WriteSweepReport(attachment(c, "空壳网站排查-"+sw.StartedAt.In(shanghai).Format("2006-01-02")+".xlsx"), sw, next)
}

// filingDNS resolves the case's domains now (R-RV-2).
func (s *Server) filingDNS(c echo.Context) error {
	checks, err := s.desk.DNSCheck(c.Request().Context(), s.actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	items := []map[string]any{}
	for _, ch := range checks {
		items = append(items, map[string]any{"domain": ch.Domain, "class": string(ch.Class), "addresses": nonNil(ch.Addresses)})
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// filingSweeps is the case's latest sweep findings.
func (s *Server) filingSweeps(c echo.Context) error {
	fs, err := s.desk.CaseSweepFindings(c.Request().Context(), s.actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	items := []findingJSON{}
	for _, f := range fs {
		items = append(items, findingToJSON(f))
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}
