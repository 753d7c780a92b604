package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
)

// The dashboard's charts: one endpoint a chart, each answering the figures
// the console's ECharts draw (and any other tool may read).

type countJSON struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	N     int    `json:"n"`
}

func countsJSON(cs []desk.Count) []countJSON {
	out := make([]countJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, countJSON{Key: c.Key, Label: c.Label, N: c.N})
	}
	return out
}

type weekJSON struct {
	Week   string         `json:"week"`
	Values map[string]int `json:"values"`
}

func weeksJSON(ws []desk.WeekFigures) []weekJSON {
	out := make([]weekJSON, 0, len(ws))
	for _, w := range ws {
		out = append(out, weekJSON{Week: w.Week, Values: w.Values})
	}
	return out
}

// weeksParam reads ?weeks= (1 to 104; 12 when absent).
func weeksParam(c echo.Context) (int, error) {
	v := c.QueryParam("weeks")
	if v == "" {
		return 12, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 104 {
		return 0, beian.Errorf(beian.CodeInvalid, "weeks 应为 1 到 104 之间的整数")
	}
	return n, nil
}

func (s *Server) statsOpenByStatus(c echo.Context) error {
	cs, err := s.desk.OpenByStatus(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": countsJSON(cs)})
}

func (s *Server) statsOpenByProvince(c echo.Context) error {
	p, err := s.desk.OpenByProvince(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"system": countsJSON(p.System), "bureau": countsJSON(p.Bureau)})
}

func (s *Server) statsBureauDecisions(c echo.Context) error {
	n, err := weeksParam(c)
	if err != nil {
		return err
	}
	ws, err := s.desk.BureauDecisionsPerWeek(c.Request().Context(), n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"weeks": weeksJSON(ws), "series": []string{desk.SeriesApproved, desk.SeriesReturned, desk.SeriesCancelled}})
}

func (s *Server) statsBureauDays(c echo.Context) error {
	n, err := weeksParam(c)
	if err != nil {
		return err
	}
	d, err := s.desk.BureauDaysTaken(c.Request().Context(), n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{
		"days": d.Days, "total": d.Total, "median": d.Median, "average": d.Average,
		"over_period": d.Over, "period": d.Period, "weeks": d.Weeks,
	})
}

func (s *Server) statsIntake(c echo.Context) error {
	n, err := weeksParam(c)
	if err != nil {
		return err
	}
	ws, err := s.desk.IntakePerWeek(c.Request().Context(), n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"weeks": weeksJSON(ws)})
}
