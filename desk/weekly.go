package desk

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/xlsx"
)

// WeeklyReport is the weekly management report: what the desk did in one
// ISO week (Monday to Sunday, Asia/Shanghai).
type WeeklyReport struct {
	Week     string // "2026-W48"
	From, To time.Time
	// Flow: cases opened, submitted to the bureau, approved, returned and
	// purged in the week; overdue alerts raised in it and overdue now.
	Opened, Submitted, Approved, Returned, Purged, OverdueAlerts, OverdueNow int
	ReturnReasons                                                            []Count
	// Turnaround is the bureau's time in working days per bureau province
	// for the decisions of the week (R-BR-1).
	Turnaround []ProvinceTurnaround
	// Calls are the verification calls completed in the week by outcome.
	Calls      []Count
	CallsTotal int
	// Access are the access actions requested in the week, by kind, and
	// how long tech took to confirm them (R-AC-1).
	Access []AccessFigure
}

// ProvinceTurnaround is the bureau's time of one province's decisions.
type ProvinceTurnaround struct {
	Province      string
	Decisions     int
	Median, Worst int // working days
}

// AccessFigure is one kind of access action in the week.
type AccessFigure struct {
	Kind, Title          string
	Requested, Confirmed int
	// MedianHours and WorstHours are the time from request to tech's
	// confirmation, over the confirmed ones.
	MedianHours, WorstHours float64
}

// callOutcomeTitles name the outcomes of a verification call.
var callOutcomeTitles = map[string]string{
	"match": "核对一致", "mismatch": "核对不一致", "no_answer": "无人接听", "callback": "约定回拨",
	"false_info": "信息虚假", "uncooperative": "不配合", "answered": "已接听",
}

// ParseISOWeek is the Monday 00:00 Asia/Shanghai of "2026-W48"; "" is the
// current week.
func ParseISOWeek(s string, now time.Time) (time.Time, string, error) {
	if s == "" {
		y, w := now.In(Shanghai).ISOWeek()
		s = fmt.Sprintf("%d-W%02d", y, w)
	}
	var year, week int
	if n, err := fmt.Sscanf(s, "%d-W%d", &year, &week); err != nil || n != 2 || year < 2000 || year > 2100 || week < 1 || week > 53 {
		return time.Time{}, "", beian.Errorf(beian.CodeInvalid, "week 应为 ISO 周，如 2026-W48")
	}
	jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, Shanghai)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+(week-1)*7)
	if y, w := monday.ISOWeek(); y != year || w != week {
		return time.Time{}, "", beian.Errorf(beian.CodeInvalid, "%d 年没有第 %d 周", year, week)
	}
	return monday, fmt.Sprintf("%d-W%02d", year, week), nil
}

// Weekly computes the weekly management report of an ISO week.
func (s *Service) Weekly(ctx context.Context, who Actor, week string) (*WeeklyReport, error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, err
	}
	from, name, err := ParseISOWeek(week, s.now())
	if err != nil {
		return nil, err
	}
	to := from.AddDate(0, 0, 7)
	act, err := s.Store.WeekActivity(ctx, from, to)
	if err != nil {
		return nil, err
	}
	r := &WeeklyReport{Week: name, From: from, To: to, Opened: act.Opened, OverdueNow: act.OverdueNow,
		Submitted: act.Events["submitted"], Approved: act.Events["bureau_approved"], Returned: act.Events["bureau_returned"],
		Purged: act.Events["purged"], OverdueAlerts: act.Events["bureau_overdue"]}
	r.ReturnReasons = sortedCounts(act.ReturnReasons)
	r.Calls = sortedCounts(act.CallOutcomes)
	for i := range r.Calls {
		if t, ok := callOutcomeTitles[r.Calls[i].Key]; ok {
			r.Calls[i].Label = t
		}
	}
	for _, c := range r.Calls {
		r.CallsTotal += c.N
	}

	outcomes, err := s.Store.BureauOutcomes(ctx, from)
	if err != nil {
		return nil, err
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	days := map[string][]int{}
	for _, o := range outcomes {
		if o.SubmittedAt == nil || !o.At.Before(to) {
			continue
		}
		days[o.BureauProvince] = append(days[o.BureauProvince], max(cal.WorkingDaysBetween(*o.SubmittedAt, o.At), 0))
	}
	for p, ds := range days {
		slices.Sort(ds)
		r.Turnaround = append(r.Turnaround, ProvinceTurnaround{Province: p, Decisions: len(ds), Median: ds[len(ds)/2], Worst: ds[len(ds)-1]})
	}
	sort.Slice(r.Turnaround, func(i, j int) bool { return r.Turnaround[i].Decisions > r.Turnaround[j].Decisions })

	byKind := map[string]*AccessFigure{}
	hours := map[string][]float64{}
	for _, a := range act.Access {
		f := byKind[a.Kind]
		if f == nil {
			f = &AccessFigure{Kind: a.Kind, Title: beian.AccessKindTitle(a.Kind)}
			byKind[a.Kind] = f
		}
		f.Requested++
		if a.ConfirmedAt != nil {
			f.Confirmed++
			hours[a.Kind] = append(hours[a.Kind], a.ConfirmedAt.Sub(a.RequestedAt).Hours())
		}
	}
	for _, k := range []string{beian.AccessOpen, beian.AccessCancel, beian.AccessRestore} {
		if f := byKind[k]; f != nil {
			if hs := hours[k]; len(hs) > 0 {
				slices.Sort(hs)
				f.MedianHours, f.WorstHours = hs[len(hs)/2], hs[len(hs)-1]
			}
			r.Access = append(r.Access, *f)
		}
	}
	return r, nil
}

// ExportWeekly writes the weekly management report as .xlsx, stamped and
// audited with who exported it.
func (s *Service) ExportWeekly(ctx context.Context, who Actor, week string, w io.Writer) error {
	r, err := s.Weekly(ctx, who, week)
	if err != nil {
		return err
	}
	if err := s.Store.Audit(ctx, beian.AuditEntry{Actor: who.Name, Action: "export_weekly_report", Target: r.Week}); err != nil {
		return err
	}
	fig := xlsx.WeeklyFigures{Week: r.Week, From: r.From, To: r.To, Flow: [][2]any{
		{"新受理", r.Opened}, {"提交管局", r.Submitted}, {"管局审核通过", r.Approved}, {"管局退回", r.Returned},
		{"超期删除（一个月未收到材料）", r.Purged}, {"本周新增管局超期", r.OverdueAlerts}, {"当前管局超期未结", r.OverdueNow},
	}}
	for _, c := range r.ReturnReasons {
		fig.ReturnReasons = append(fig.ReturnReasons, [2]any{c.Label, c.N})
	}
	for _, t := range r.Turnaround {
		fig.Turnaround = append(fig.Turnaround, [4]any{t.Province, t.Decisions, t.Median, t.Worst})
	}
	for _, c := range r.Calls {
		fig.Calls = append(fig.Calls, [2]any{c.Label, c.N})
	}
	for _, a := range r.Access {
		fig.Access = append(fig.Access, [5]any{a.Title, a.Requested, a.Confirmed, round1(a.MedianHours), round1(a.WorstHours)})
	}
	return xlsx.WriteWeeklyReport(w, xlsx.ExportMeta{By: who.Name, At: s.now()}, fig)
}

func round1(h float64) float64 { return float64(int(h*10+0.5)) / 10 }
