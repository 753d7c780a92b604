// Package calendar is China's working-day calendar (工作日 / 调休): which
// dates are statutory holidays, which weekend dates are make-up working days,
// and the bureau's decision deadline counted in working days (R-BR-1).
//
// The holiday schedule comes from the State Council notices as published by
// github.com/NateScarlet/holiday-cn (MIT, see holidaydata/LICENSE), embedded
// at build time, plus the overrides staff enter through the API. Every answer
// says whether the year it falls in is known (the embedded data lists it, or
// staff have marked it published); a deadline that crosses an unknown year is
// computed by the plain weekday rule and marked provisional, never guessed
// silently.
package calendar

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"time"
	_ "time/tzdata" // Asia/Shanghai must load even on hosts without zoneinfo.

	"github.com/beian/beian"
)

// Sources of a day's status, as reported in DayInfo.Source.
const (
	SourceHolidayCN = "holiday-cn" // the embedded holiday-cn schedule
	SourceOverride  = "override"   // a staff override (beian.CalendarDay)
	SourceWeekday   = "weekday"    // not listed anywhere: Mon–Fri work, Sat–Sun rest
)

// DateLayout is the layout of calendar dates ("2006-01-02"), as used in
// beian.CalendarDay.Date, DayInfo.Date and Due.Days.
const DateLayout = "2006-01-02"

// MaxWorkingDays bounds the n of BureauDue and AddWorkingDays; no rule of the
// desk counts further than this, and an absurd n would only burn CPU.
const MaxWorkingDays = 1000

// BureauCloseHour and BureauCloseMinute are the end of the bureau's working
// day (17:30 Asia/Shanghai, the close of the desk's hours in R-RV-6): a
// deadline on a working day runs until then.
const (
	BureauCloseHour   = 17
	BureauCloseMinute = 30
)

// Shanghai is the Asia/Shanghai time zone (China Standard Time) in which
// every calendar date is interpreted. If the zone database cannot be loaded
// it is a fixed +08:00 zone of the same name; the embedded time/tzdata makes
// that fallback unreachable in practice.
var Shanghai = loadShanghai()

func loadShanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("Asia/Shanghai", 8*60*60)
	}
	return loc
}

//go:embed holidaydata/*.json
var holidayFiles embed.FS

//go:embed holidaydata/LICENSE
var holidayLicense string

// HolidayDataLicense is the MIT licence notice of the embedded holiday-cn
// data; show it wherever the software's notices are shown.
var HolidayDataLicense = holidayLicense

// DayInfo is what the calendar says about one date.
type DayInfo struct {
	// Date is the date in Asia/Shanghai, "2006-01-02".
	Date string
	// Working is true on a working day (工作日), including a make-up working
	// day on a weekend (调休上班).
	Working bool
	// Name is the holiday the date belongs to ("春节", "国庆节"), for both its
	// days off and its make-up working days; empty for an ordinary day.
	Name string
	// Known is true when the date's year is known (see New); when false the
	// answer is the plain weekday rule (or a staff override of the date) and
	// may be wrong.
	Known bool
	// Source is SourceHolidayCN, SourceOverride or SourceWeekday.
	Source string
}

// Due is a deadline counted in working days.
type Due struct {
	// At is the deadline in Asia/Shanghai.
	At time.Time
	// Provisional is true when a day the count had to decide on lies in a
	// year whose schedule is not known; the weekday rule was used for it.
	Provisional bool
	// UnknownYears lists those years, ascending; empty when not provisional.
	UnknownYears []int
	// Days are the working days counted, "2006-01-02", in order; the last
	// one is the date of At. They let staff see why the deadline is where it is.
	Days []string
}

type listedDay struct {
	off    bool
	name   string
	source string
}

// Calendar is the working-day calendar: the embedded holiday-cn schedule
// with staff overrides on top. It is immutable and safe for concurrent use;
// build a new one when the overrides change.
type Calendar struct {
	days  map[string]listedDay
	known map[int]bool
}

// embeddedDays and embeddedKnown are the parsed holiday-cn schedule; the data is part of the build,
// so a parse failure is a build defect and panics at start-up (and in tests).
var embeddedDays, embeddedKnown = mustLoadEmbedded()

type holidayFile struct {
	Year int `json:"year"`
	Days []struct {
		Name     string `json:"name"`
		Date     string `json:"date"`
		IsOffDay bool   `json:"isOffDay"`
	} `json:"days"`
}

func mustLoadEmbedded() (map[string]listedDay, map[int]bool) {
	days, known, err := loadEmbedded()
	if err != nil {
		panic(fmt.Sprintf("calendar: embedded holiday data: %v", err))
	}
	return days, known
}

func loadEmbedded() (map[string]listedDay, map[int]bool, error) {
	// Files load in ascending year order, so a date listed in two files
	// (a December date in the next year's file) takes the later file's word.
	names, err := holidayFileNames()
	if err != nil {
		return nil, nil, err
	}
	days := map[string]listedDay{}
	known := map[int]bool{}
	for _, name := range names {
		raw, err := holidayFiles.ReadFile(name)
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", name, err)
		}
		var f holidayFile
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, nil, fmt.Errorf("parse %s: %w", name, err)
		}
		if f.Year == 0 {
			return nil, nil, fmt.Errorf("parse %s: no year", name)
		}
		for _, d := range f.Days {
			if _, err := time.Parse(DateLayout, d.Date); err != nil {
				return nil, nil, fmt.Errorf("parse %s: date %q: %w", name, d.Date, err)
			}
			days[d.Date] = listedDay{off: d.IsOffDay, name: d.Name, source: SourceHolidayCN}
		}
		// A file with no days (2027.json before the State Council publishes
		// the schedule) does not make its year known.
		if len(f.Days) > 0 {
			known[f.Year] = true
		}
	}
	return days, known, nil
}

func holidayFileNames() ([]string, error) {
	entries, err := holidayFiles.ReadDir("holidaydata")
	if err != nil {
		return nil, fmt.Errorf("list holidaydata: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && path.Ext(e.Name()) == ".json" {
			names = append(names, path.Join("holidaydata", e.Name()))
		}
	}
	slices.Sort(names)
	return names, nil
}

// New returns the calendar of the embedded holiday-cn schedule with the
// staff overrides on top: an override decides its date, whatever the
// embedded data says, and of two overrides of one date the later in the
// slice wins. An override whose Date is not a valid "2006-01-02" date is
// ignored; validate dates with ParseDate before storing them.
//
// A year is known when the embedded data has at least one day listed for it
// (by the year of the file that lists it) or it is among published: the
// years staff have marked as published once they have entered that year's
// whole schedule, as soon as the State Council publishes it (R-BR-1). An
// override alone does not make its year known: one corrected day says
// nothing about the rest of the year, and a deadline in a year whose Spring
// Festival nobody has entered must stay provisional.
func New(overrides []beian.CalendarDay, published []int) *Calendar {
	c := &Calendar{
		days:  make(map[string]listedDay, len(embeddedDays)+len(overrides)),
		known: make(map[int]bool, len(embeddedKnown)+len(published)),
	}
	for k, v := range embeddedDays {
		c.days[k] = v
	}
	for y := range embeddedKnown {
		c.known[y] = true
	}
	for _, y := range published {
		c.known[y] = true
	}
	for _, o := range overrides {
		t, err := time.Parse(DateLayout, o.Date)
		if err != nil {
			continue
		}
		// Normalise so that "2027-1-1"-style input cannot slip past the map key.
		c.days[t.Format(DateLayout)] = listedDay{off: o.Off, name: o.Name, source: SourceOverride}
	}
	return c
}

// ParseDate parses a calendar date "2006-01-02" as the start of that day in
// Asia/Shanghai. A malformed date is a *beian.Error with beian.CodeInvalid.
func ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation(DateLayout, s, Shanghai)
	if err != nil {
		return time.Time{}, beian.Errorf(beian.CodeInvalid, "日期格式应为 YYYY-MM-DD：%q", s)
	}
	return t, nil
}

// KnownYears returns the known years (see New), ascending.
func (c *Calendar) KnownYears() []int {
	years := make([]int, 0, len(c.known))
	for y := range c.known {
		years = append(years, y)
	}
	slices.Sort(years)
	return years
}

// Day reports whether d's date, taken in Asia/Shanghai, is a working day,
// and why.
func (c *Calendar) Day(d time.Time) DayInfo {
	d = d.In(Shanghai)
	info := DayInfo{Date: d.Format(DateLayout), Known: c.known[d.Year()]}
	if l, ok := c.days[info.Date]; ok {
		info.Working = !l.off
		info.Name = l.name
		info.Source = l.source
		return info
	}
	wd := d.Weekday()
	info.Working = wd != time.Saturday && wd != time.Sunday
	info.Source = SourceWeekday
	return info
}

// BureauDue is the bureau's decision deadline (R-BR-1): the bureau decides
// within workingDays working days of receiving the materials, so the
// deadline is 17:30 Asia/Shanghai on the workingDays-th working day counted
// from the first working day after the submission date. The submission day
// itself never counts, even when the materials arrived at 08:00 on a working
// day. Make-up working days count; weekends and statutory holidays do not.
//
// When a day the count had to decide on lies in an unknown year, the
// deadline is still computed, by the weekday rule for that year, and Due is
// marked Provisional with the years listed. workingDays below 1 or above
// MaxWorkingDays is a *beian.Error with beian.CodeInvalid.
func (c *Calendar) BureauDue(submitted time.Time, workingDays int) (Due, error) {
	due, err := c.count(submitted, workingDays)
	if err != nil {
		return Due{}, err
	}
	y, m, d := due.At.Date()
	due.At = time.Date(y, m, d, BureauCloseHour, BureauCloseMinute, 0, 0, Shanghai)
	return due, nil
}

// AddWorkingDays returns the n-th working day after from's date (from's own
// date never counts), at from's Asia/Shanghai clock time. Due is as in
// BureauDue, including Provisional; n below 1 or above MaxWorkingDays is a
// *beian.Error with beian.CodeInvalid.
func (c *Calendar) AddWorkingDays(from time.Time, n int) (Due, error) {
	return c.count(from, n)
}

// count walks forward from the day after from's Shanghai date until it has
// seen n working days. Due.At is the last working day at from's clock time.
func (c *Calendar) count(from time.Time, n int) (Due, error) {
	if n < 1 || n > MaxWorkingDays {
		return Due{}, beian.Errorf(beian.CodeInvalid, "工作日数应在 1 到 %d 之间，收到 %d", MaxWorkingDays, n)
	}
	from = from.In(Shanghai)
	y, m, d := from.Date()
	due := Due{Days: make([]string, 0, n)}
	unknown := map[int]bool{}
	var last time.Time
	// Step by calendar date at noon, so that no clock change can make a
	// date repeat or vanish.
	for i := 1; len(due.Days) < n; i++ {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, Shanghai)
		info := c.Day(day)
		if !info.Known {
			unknown[day.Year()] = true
		}
		if info.Working {
			due.Days = append(due.Days, info.Date)
			last = day
		}
	}
	ly, lm, ld := last.Date()
	due.At = time.Date(ly, lm, ld, from.Hour(), from.Minute(), from.Second(), from.Nanosecond(), Shanghai)
	if len(unknown) > 0 {
		due.Provisional = true
		for yr := range unknown {
			due.UnknownYears = append(due.UnknownYears, yr)
		}
		slices.Sort(due.UnknownYears)
	}
	return due, nil
}

// WorkingDaysBetween counts the working days after from's Asia/Shanghai date
// up to and including to's date: how many working days the bureau has used
// from a submission (R-BR-1) to a decision, or how many are left from today
// to a deadline. A to on or before from's date gives 0 or a negative count
// (the working days from to's date up to from's, negated). It counts at most
// MaxWorkingDays days either way.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	from, to = from.In(Shanghai), to.In(Shanghai)
	fy, fm, fd := from.Date()
	ty, tm, td := to.Date()
	a := time.Date(fy, fm, fd, 12, 0, 0, 0, Shanghai)
	b := time.Date(ty, tm, td, 12, 0, 0, 0, Shanghai)
	sign := 1
	if b.Before(a) {
		a, b, sign = b, a, -1
	}
	n := 0
	y, m, d := a.Date()
	for i := 1; i <= 3*MaxWorkingDays; i++ {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, Shanghai)
		if day.After(b) {
			break
		}
		if c.Day(day).Working {
			n++
		}
	}
	return sign * n
}

// Working hours of the desk (R-RV-6): 08:30–11:30 and 13:00–17:30 on working days.
var workingPeriods = [][2]int{{8*60 + 30, 11*60 + 30}, {13 * 60, 17*60 + 30}}

// AddWorkingMinutes is t plus n minutes counted in working hours only
// (R-RV-6: 08:30–11:30 and 13:00–17:30 on working days): 30 working
// minutes after 17:15 on a Friday is 08:45 on Monday.
func (c *Calendar) AddWorkingMinutes(t time.Time, n int) time.Time {
	t = t.In(Shanghai)
	for day := 0; day < 3*MaxWorkingDays && n >= 0; day++ {
		y, m, d := t.Date()
		if c.Day(t).Working {
			for _, p := range workingPeriods {
				start := time.Date(y, m, d, p[0]/60, p[0]%60, 0, 0, Shanghai)
				end := time.Date(y, m, d, p[1]/60, p[1]%60, 0, 0, Shanghai)
				from := t
				if from.Before(start) {
					from = start
				}
				if !from.Before(end) {
					continue
				}
				if left := int(end.Sub(from).Minutes()); n <= left {
					return from.Add(time.Duration(n) * time.Minute)
				} else {
					n -= left
				}
			}
		}
		t = time.Date(y, m, d+1, 0, 0, 0, 0, Shanghai)
	}
	return t
}

// ReplyDue is when a mail received at t must be answered (R-RV-6: the same
// working day): 17:30 Asia/Shanghai that day when it is a working day and t
// is before 17:30, else 17:30 of the next working day.
func (c *Calendar) ReplyDue(t time.Time) time.Time {
	t = t.In(Shanghai)
	y, m, d := t.Date()
	close := time.Date(y, m, d, BureauCloseHour, BureauCloseMinute, 0, 0, Shanghai)
	if c.Day(t).Working && t.Before(close) {
		return close
	}
	for day := close.AddDate(0, 0, 1); ; day = day.AddDate(0, 0, 1) {
		if c.Day(day).Working {
			return day
		}
	}
}
