package desk

import (
	"context"
	"slices"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
)

// The dashboard (工作台首页): what is due today, what is late, what waits on
// whom, and the figures behind its charts. Each chart's figures come from
// one method here, which the API serves as one JSON endpoint.

// Count is one bar of a chart: a key (a status, a province), its Chinese
// label, and how many.
type Count struct {
	Key   string
	Label string
	N     int
}

// OpenByStatus counts the open cases by status, in lifecycle order.
func (s *Service) OpenByStatus(ctx context.Context) ([]Count, error) {
	counts, err := s.Store.OpenCaseCounts(ctx)
	if err != nil {
		return nil, err
	}
	byStatus, _, _ := tally(counts)
	return byStatus, nil
}

// ProvinceCounts are the open cases by system province (from the server IP,
// R-ENT-1) and by reviewing bureau (R-ENT-3).
type ProvinceCounts struct {
	System []Count
	Bureau []Count
}

// OpenByProvince counts the open cases by system and by bureau province,
// most first.
func (s *Service) OpenByProvince(ctx context.Context) (ProvinceCounts, error) {
	counts, err := s.Store.OpenCaseCounts(ctx)
	if err != nil {
		return ProvinceCounts{}, err
	}
	_, provinces, _ := tally(counts)
	return provinces, nil
}

// tally sums the open-case counts by status (lifecycle order, every open
// status listed) and by province, and in all.
func tally(counts []beian.StatusCount) (byStatus []Count, provinces ProvinceCounts, total int) {
	by := map[beian.Status]int{}
	sys, bur := map[string]int{}, map[string]int{}
	for _, c := range counts {
		by[c.Status] += c.N
		sys[c.Province] += c.N
		bur[c.BureauProvince] += c.N
		total += c.N
	}
	for _, st := range beian.AllStatuses {
		if !st.Terminal() {
			byStatus = append(byStatus, Count{Key: string(st), Label: st.Title(), N: by[st]})
		}
	}
	return byStatus, ProvinceCounts{System: sortedCounts(sys), Bureau: sortedCounts(bur)}, total
}

func sortedCounts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		label := k
		if label == "" {
			label = "（未知）"
		}
		out = append(out, Count{Key: k, Label: label, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// WeekFigures is one week of a weekly chart: Monday's date and the figures
// by series name.
type WeekFigures struct {
	Week   string // "2006-01-02", a Monday in Asia/Shanghai
	Values map[string]int
}

// weekStart is the Monday 00:00 Asia/Shanghai of t's week.
func weekStart(t time.Time) time.Time {
	t = t.In(Shanghai)
	y, m, d := t.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, Shanghai)
	offset := (int(day.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return day.AddDate(0, 0, -offset)
}

// lastWeeks are the Mondays of the n weeks up to and including this one.
func (s *Service) lastWeeks(n int) []time.Time {
	this := weekStart(s.now())
	out := make([]time.Time, n)
	for i := range n {
		out[i] = this.AddDate(0, 0, -7*(n-1-i))
	}
	return out
}

// clampWeeks keeps a chart's span between 1 and 104 weeks.
func clampWeeks(n int) int {
	if n <= 0 {
		return 12
	}
	return min(n, 104)
}

// Decision series names.
const (
	SeriesApproved  = "approved"
	SeriesReturned  = "returned"
	SeriesCancelled = "cancelled"
)

// BureauDecisionsPerWeek counts the bureau's decisions of each of the last
// weeks: approvals, returns (R-BR-3) and cancellations.
func (s *Service) BureauDecisionsPerWeek(ctx context.Context, weeks int) ([]WeekFigures, error) {
	ws := s.lastWeeks(clampWeeks(weeks))
	outcomes, err := s.Store.BureauOutcomes(ctx, ws[0])
	if err != nil {
		return nil, err
	}
	out := make([]WeekFigures, len(ws))
	index := map[string]int{}
	for i, w := range ws {
		key := w.Format("2006-01-02")
		out[i] = WeekFigures{Week: key, Values: map[string]int{SeriesApproved: 0, SeriesReturned: 0, SeriesCancelled: 0}}
		index[key] = i
	}
	for _, o := range outcomes {
		i, ok := index[weekStart(o.At).Format("2006-01-02")]
		if !ok {
			continue
		}
		switch o.Event {
		case "bureau_approved":
			out[i].Values[SeriesApproved]++
		case "bureau_returned":
			out[i].Values[SeriesReturned]++
		case "filing_cancelled":
			out[i].Values[SeriesCancelled]++
		}
	}
	return out, nil
}

// BureauDays is the distribution of how many working days the bureau took
// from our submission to its decision (R-BR-1: 20 at most).
type BureauDays struct {
	// Days[i] is how many decisions took i working days; the last bucket
	// holds every decision that took longer than the period.
	Days    []int
	Total   int
	Median  int
	Over    int // decisions after the 20th working day (R-BR-4)
	Period  int
	Weeks   int
	Average float64
}

// BureauDaysTaken is the distribution over the decisions of the last weeks.
func (s *Service) BureauDaysTaken(ctx context.Context, weeks int) (BureauDays, error) {
	s.Init()
	weeks = clampWeeks(weeks)
	ws := s.lastWeeks(weeks)
	outcomes, err := s.Store.BureauOutcomes(ctx, ws[0])
	if err != nil {
		return BureauDays{}, err
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return BureauDays{}, err
	}
	period := s.Config.BureauWorkingDays
	out := BureauDays{Days: make([]int, period+2), Period: period, Weeks: weeks}
	var all []int
	sum := 0
	for _, o := range outcomes {
		if o.SubmittedAt == nil {
			continue
		}
		n := max(cal.WorkingDaysBetween(*o.SubmittedAt, o.At), 0)
		all = append(all, n)
		sum += n
		if n > period {
			out.Over++
			n = period + 1
		}
		out.Days[n]++
	}
	out.Total = len(all)
	if len(all) > 0 {
		slices.Sort(all)
		out.Median = all[len(all)/2]
		out.Average = float64(sum) / float64(len(all))
	}
	return out, nil
}

// IntakePerWeek counts the cases opened in each of the last weeks.
func (s *Service) IntakePerWeek(ctx context.Context, weeks int) ([]WeekFigures, error) {
	ws := s.lastWeeks(clampWeeks(weeks))
	counts, err := s.Store.IntakeByWeek(ctx, ws[0])
	if err != nil {
		return nil, err
	}
	by := map[string]int{}
	for _, c := range counts {
		by[weekStart(c.Week).Format("2006-01-02")] += c.N
	}
	out := make([]WeekFigures, len(ws))
	for i, w := range ws {
		key := w.Format("2006-01-02")
		out[i] = WeekFigures{Week: key, Values: map[string]int{"cases": by[key]}}
	}
	return out, nil
}

// Today is the dashboard's list of the day's work.
type Today struct {
	Now time.Time
	// OpenTotal is how many cases are open; ByStatus counts them.
	OpenTotal int
	ByStatus  []Count
	Provinces ProvinceCounts
	// Overdue are the first bureau cases past their 20 working days
	// (R-BR-4), longest overdue first, of OverdueTotal.
	Overdue      []beian.Case
	OverdueTotal int
	// DueThisWeek are the first bureau cases due by Sunday night, soonest
	// first, of DueThisWeekTotal.
	DueThisWeek      []beian.Case
	DueThisWeekTotal int
	// Rectifying are live filings under a 24-hour order (R-PA-3, R-VC-4).
	Rectifying []beian.Case
	// TasksDue are the first open tasks due by tonight, soonest first, of
	// TasksDueTotal.
	TasksDue      []beian.Task
	TasksDueTotal int
	// PendingAccess are the oldest access actions tech has not confirmed
	// (R-AC-1), of PendingAccessTotal.
	PendingAccess      []beian.AccessAction
	PendingAccessTotal int
	// MailDue are the filers' mails to answer by tonight (R-RV-6), soonest
	// first, of MailDueTotal; MailUnmatched waits for a specialist to match.
	MailDue       []beian.InboundMail
	MailDueTotal  int
	MailUnmatched int
	// SMSPending cases wait on the MIIT SMS code (R-BR-6);
	// PublicSecurityOverdue sites are past their 30 days (R-PA-6).
	SMSPending            int
	PublicSecurityOverdue int
	// Calendar is the working-day calendar the page counts days left with.
	Calendar *calendar.Calendar
}

// dashboardListLimit is how many cases each of the dashboard's lists shows.
const dashboardListLimit = 10

// Dashboard gathers the day's work for the console's first page. Its
// queries are independent and run at once, each on a connection of its own.
func (s *Service) Dashboard(ctx context.Context) (*Today, error) {
	now := s.now()
	t := &Today{Now: now}
	var counts []beian.StatusCount
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { counts, err = s.Store.OpenCaseCounts(gctx); return err })
	list := func(f beian.CaseFilter, items *[]beian.Case, total *int) {
		f.CountTotal = total != nil
		g.Go(func() error {
			page, err := s.Store.ListCases(gctx, f)
			*items = page.Items
			if total != nil {
				*total = page.Total
			}
			return err
		})
	}
	yes, no := true, false
	endOfWeek := EndOfWeek(now)
	list(beian.CaseFilter{Status: beian.StatusBureauReview, Overdue: &yes, Sort: beian.SortDue, Limit: dashboardListLimit}, &t.Overdue, &t.OverdueTotal)
	list(beian.CaseFilter{Status: beian.StatusBureauReview, Overdue: &no, DueBefore: &endOfWeek, Sort: beian.SortDue, Limit: dashboardListLimit}, &t.DueThisWeek, &t.DueThisWeekTotal)
	list(beian.CaseFilter{Status: beian.StatusRectifying, Limit: dashboardListLimit}, &t.Rectifying, nil)
	y, m, d := now.In(Shanghai).Date()
	tonight := time.Date(y, m, d+1, 0, 0, 0, 0, Shanghai)
	g.Go(func() (err error) {
		t.TasksDue, t.TasksDueTotal, err = s.Store.OpenTasksDue(gctx, tonight, dashboardListLimit)
		return err
	})
	g.Go(func() error {
		due, unmatched, err := s.Store.UnansweredMail(gctx, tonight)
		if err != nil {
			return err
		}
		t.MailDueTotal, t.MailUnmatched = due, unmatched
		ms, err := s.Store.ListInbound(gctx, beian.InboundMatched, "", 200)
		if err != nil {
			return err
		}
		t.MailDue = dueBy(ms, tonight, dashboardListLimit)
		return nil
	})
	var none []beian.Case
	list(beian.CaseFilter{Step: beian.StepSMSPending, Limit: 1}, &none, &t.SMSPending)
	var none2 []beian.Case
	list(beian.CaseFilter{Step: beian.StepPublicSecurityOverdue, Limit: 1}, &none2, &t.PublicSecurityOverdue)
	g.Go(func() (err error) {
		t.PendingAccess, t.PendingAccessTotal, err = s.Store.PendingAccessActions(gctx, dashboardListLimit)
		return err
	})
	g.Go(func() (err error) { t.Calendar, err = s.Calendar(gctx); return err })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	t.ByStatus, t.Provinces, t.OpenTotal = tally(counts)
	return t, nil
}

// PendingAccessActions are the access actions tech must carry out (R-AC-1).
func (s *Service) PendingAccessActions(ctx context.Context, who Actor) ([]beian.AccessAction, error) {
	if err := who.Require(beian.RoleTech, beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, err
	}
	return s.Store.ListAccessActions(ctx, beian.AccessPending)
}

// EndOfWeek is Monday 00:00 Asia/Shanghai after t's week: a deadline before
// it is "due this week".
func EndOfWeek(t time.Time) time.Time { return weekStart(t).AddDate(0, 0, 7) }

// BureauOverdue reports whether the bureau is past its 20 working days on
// a case it has (R-BR-4): flagged by the workflow's timer, or past the
// deadline in the moments before the timer fires.
func BureauOverdue(c *beian.Case, now time.Time) bool {
	if c.Status != beian.StatusBureauReview {
		return false
	}
	return c.Overdue || (c.Deadlines.BureauDueAt != nil && c.Deadlines.BureauDueAt.Before(now))
}

// dueBy are the mails due by before, soonest first, at most n (R-RV-6).
func dueBy(ms []beian.InboundMail, before time.Time, n int) []beian.InboundMail {
	var out []beian.InboundMail
	for _, m := range ms {
		if m.ReplyDueAt != nil && !m.ReplyDueAt.After(before) {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ReplyDueAt.Before(*out[j].ReplyDueAt) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
