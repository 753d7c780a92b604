package console

import (
	"fmt"
	"net/http"

	"github.com/beian/beian/desk"
)

// weeklyView is the weekly management report page: the figures of a week
// and its charts (drawn from GET /api/v1/reports/weekly).
type weeklyView struct {
	R          *desk.WeeklyReport
	Prev, Next string // the neighbouring weeks
	Last       string // the report's last day
}

func (c *Console) weekly(w http.ResponseWriter, r *request) {
	rep, err := c.svc.Weekly(r.Context(), r.who, r.URL.Query().Get("week"))
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v := weeklyView{R: rep, Last: rep.To.AddDate(0, 0, -1).Format("2006-01-02")}
	y, wk := rep.From.AddDate(0, 0, -7).ISOWeek()
	v.Prev = isoWeek(y, wk)
	if rep.To.Before(c.svc.Now()) {
		y, wk = rep.To.ISOWeek()
		v.Next = isoWeek(y, wk)
	}
	c.render(w, r, "weekly", "管理周报", v)
}

func isoWeek(y, w int) string { return fmt.Sprintf("%d-W%02d", y, w) }
