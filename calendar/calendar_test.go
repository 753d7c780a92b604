package calendar_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
)

// sh is a wall-clock time in Asia/Shanghai.
func sh(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai)
	require.NoError(t, err)
	return v
}

// closeOf is 17:30 Shanghai on the date.
func closeOf(t *testing.T, date string) time.Time {
	t.Helper()
	return sh(t, date+" 17:30")
}

func TestShanghai(t *testing.T) {
	t.Parallel()
	require.Equal(t, "Asia/Shanghai", calendar.Shanghai.String())
	_, off := time.Date(2026, 9, 28, 12, 0, 0, 0, calendar.Shanghai).Zone()
	require.Equal(t, 8*60*60, off)
}

func TestHolidayDataLicense(t *testing.T) {
	t.Parallel()
	require.Contains(t, calendar.HolidayDataLicense, "MIT License")
	require.Contains(t, calendar.HolidayDataLicense, "Copyright (c) 2019 NateScarlet")
}

func TestKnownYears(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		overrides []beian.CalendarDay
		published []int
		want      []int
	}{
		{
			// 2027.json is in the data but empty: the schedule is not published yet.
			name: "embedded only",
			want: []int{2020, 2021, 2022, 2023, 2024, 2025, 2026},
		},
		{
			// One corrected day says nothing about the rest of the year (R-BR-1).
			name:      "an override alone does not make 2027 known",
			overrides: []beian.CalendarDay{{Date: "2027-01-01", Off: true, Name: "元旦"}},
			want:      []int{2020, 2021, 2022, 2023, 2024, 2025, 2026},
		},
		{
			name:      "publishing 2027 makes it known",
			overrides: []beian.CalendarDay{{Date: "2027-01-01", Off: true, Name: "元旦"}},
			published: []int{2027},
			want:      []int{2020, 2021, 2022, 2023, 2024, 2025, 2026, 2027},
		},
		{
			name:      "a published year needs no override",
			published: []int{2028, 2026},
			want:      []int{2020, 2021, 2022, 2023, 2024, 2025, 2026, 2028},
		},
		{
			name:      "a malformed override is ignored",
			overrides: []beian.CalendarDay{{Date: "2027-13-01", Off: true}, {Date: "", Off: true}},
			want:      []int{2020, 2021, 2022, 2023, 2024, 2025, 2026},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, calendar.New(tt.overrides, tt.published).KnownYears())
		})
	}
}

func TestDay(t *testing.T) {
	t.Parallel()
	cal := calendar.New([]beian.CalendarDay{
		{Date: "2026-03-10", Off: true, Name: "临时闭馆"},
		// An override beats the embedded data: staff reopen a holiday.
		{Date: "2026-10-07", Off: false, Name: "国庆节（管局上班）"},
		// An override in an unpublished year decides its date, but the year stays unknown.
		{Date: "2027-01-01", Off: true, Name: "元旦"},
	}, nil)
	tests := []struct {
		name string
		at   time.Time
		want calendar.DayInfo
	}{
		{
			name: "National Day is off",
			at:   sh(t, "2026-10-01 10:00"),
			want: calendar.DayInfo{Date: "2026-10-01", Working: false, Name: "国庆节", Known: true, Source: calendar.SourceHolidayCN},
		},
		{
			name: "make-up Sunday 2026-01-04 is a working day",
			at:   sh(t, "2026-01-04 10:00"),
			want: calendar.DayInfo{Date: "2026-01-04", Working: true, Name: "元旦", Known: true, Source: calendar.SourceHolidayCN},
		},
		{
			name: "make-up Saturday 2026-02-14 is a working day",
			at:   sh(t, "2026-02-14 10:00"),
			want: calendar.DayInfo{Date: "2026-02-14", Working: true, Name: "春节", Known: true, Source: calendar.SourceHolidayCN},
		},
		{
			name: "Spring Festival weekday is off",
			at:   sh(t, "2026-02-17 10:00"),
			want: calendar.DayInfo{Date: "2026-02-17", Working: false, Name: "春节", Known: true, Source: calendar.SourceHolidayCN},
		},
		{
			name: "ordinary Wednesday",
			at:   sh(t, "2026-03-11 10:00"),
			want: calendar.DayInfo{Date: "2026-03-11", Working: true, Known: true, Source: calendar.SourceWeekday},
		},
		{
			name: "ordinary Saturday",
			at:   sh(t, "2026-03-14 10:00"),
			want: calendar.DayInfo{Date: "2026-03-14", Working: false, Known: true, Source: calendar.SourceWeekday},
		},
		{
			name: "override adds a holiday",
			at:   sh(t, "2026-03-10 10:00"),
			want: calendar.DayInfo{Date: "2026-03-10", Working: false, Name: "临时闭馆", Known: true, Source: calendar.SourceOverride},
		},
		{
			name: "override beats embedded data",
			at:   sh(t, "2026-10-07 10:00"),
			want: calendar.DayInfo{Date: "2026-10-07", Working: true, Name: "国庆节（管局上班）", Known: true, Source: calendar.SourceOverride},
		},
		{
			name: "unknown year falls back to the weekday rule",
			at:   sh(t, "2027-03-01 10:00"),
			want: calendar.DayInfo{Date: "2027-03-01", Working: true, Known: false, Source: calendar.SourceWeekday},
		},
		{
			name: "override in an unpublished year: the date is off, the year unknown",
			at:   sh(t, "2027-01-01 10:00"),
			want: calendar.DayInfo{Date: "2027-01-01", Working: false, Name: "元旦", Known: false, Source: calendar.SourceOverride},
		},
		{
			// 2022-12-31 is listed in 2023.json, not in 2022.json.
			name: "December date from the next year's file",
			at:   sh(t, "2022-12-31 10:00"),
			want: calendar.DayInfo{Date: "2022-12-31", Working: false, Name: "元旦", Known: true, Source: calendar.SourceHolidayCN},
		},
		{
			// 2026-09-30 16:30 UTC is 2026-10-01 00:30 in Shanghai.
			name: "UTC instant is read in Shanghai",
			at:   time.Date(2026, 9, 30, 16, 30, 0, 0, time.UTC),
			want: calendar.DayInfo{Date: "2026-10-01", Working: false, Name: "国庆节", Known: true, Source: calendar.SourceHolidayCN},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, cal.Day(tt.at))
		})
	}
}

func TestBureauDue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		overrides        []beian.CalendarDay
		published        []int
		submitted        time.Time
		workingDays      int
		want             time.Time
		wantUnknownYears []int
		wantFirstDays    []string // the first working days counted, when it matters
	}{
		{
			// R-BR-1 across Mid-Autumn and National Day 2026 (2026.json):
			// 09-25..27 中秋节 off (before the submission, no effect), 10-01..07
			// 国庆节 off, 10-10 (Saturday) make-up working day; 09-20 (Sunday)
			// make-up is before the submission too.
			// Submitted Monday 09-28; the submission day does not count.
			//   09-29 Tue 1, 09-30 Wed 2, [10-01..10-07 off],
			//   10-08 Thu 3, 10-09 Fri 4, 10-10 Sat (make-up) 5, [10-11 Sun off],
			//   10-12..10-16 Mon–Fri 6–10, 10-19..10-23 11–15,
			//   10-26 Mon 16, 10-27 17, 10-28 18, 10-29 19, 10-30 Fri 20.
			// Due: Friday 2026-10-30 17:30.
			name:          "National Day and Mid-Autumn 2026",
			submitted:     sh(t, "2026-09-28 10:00"),
			workingDays:   20,
			want:          closeOf(t, "2026-10-30"),
			wantFirstDays: []string{"2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12"},
		},
		{
			// Submitted Friday 02-13. 02-14 Sat make-up 1, [02-15..02-23 off],
			// 02-24..02-27 Tue–Fri 2–5, 02-28 Sat make-up 6, [03-01 Sun],
			// 03-02..03-06 7–11, 03-09..03-13 12–16, 03-16..03-19 17–20.
			name:          "Spring Festival 2026 with both make-up Saturdays",
			submitted:     sh(t, "2026-02-13 15:00"),
			workingDays:   20,
			want:          closeOf(t, "2026-03-19"),
			wantFirstDays: []string{"2026-02-14", "2026-02-24", "2026-02-25", "2026-02-26", "2026-02-27", "2026-02-28", "2026-03-02"},
		},
		{
			// 12-31 Wed 1, [2026-01-01..03 off], 01-04 Sun make-up 2, 01-05 Mon 3.
			name:          "year boundary 2025 to 2026 with the make-up Sunday",
			submitted:     sh(t, "2025-12-30 11:00"),
			workingDays:   3,
			want:          closeOf(t, "2026-01-05"),
			wantFirstDays: []string{"2025-12-31", "2026-01-04", "2026-01-05"},
		},
		{
			// 12-23..26 1–4, 12-29..31 5–7, [01-01..03 off], 01-04 Sun 8,
			// 01-05..09 9–13, 01-12..16 14–18, 01-19 19, 01-20 20.
			name:        "20 working days from 2025-12-22 into 2026",
			submitted:   sh(t, "2025-12-22 09:00"),
			workingDays: 20,
			want:        closeOf(t, "2026-01-20"),
		},
		{
			name:          "Friday evening: Monday is the first working day",
			submitted:     sh(t, "2026-03-06 21:00"),
			workingDays:   1,
			want:          closeOf(t, "2026-03-09"),
			wantFirstDays: []string{"2026-03-09"},
		},
		{
			name:        "Saturday submission",
			submitted:   sh(t, "2026-03-07 10:00"),
			workingDays: 1,
			want:        closeOf(t, "2026-03-09"),
		},
		{
			// 10-08 Thu 1, 10-09 Fri 2, 10-10 Sat make-up 3.
			name:          "submission on a holiday",
			submitted:     sh(t, "2026-10-03 10:00"),
			workingDays:   3,
			want:          closeOf(t, "2026-10-10"),
			wantFirstDays: []string{"2026-10-08", "2026-10-09", "2026-10-10"},
		},
		{
			name:        "08:00 on a working day: the submission day never counts",
			submitted:   sh(t, "2026-03-09 08:00"),
			workingDays: 1,
			want:        closeOf(t, "2026-03-10"),
		},
		{
			// Sunday 2026-03-08 17:00 UTC is Monday 03-09 01:00 in Shanghai,
			// so the first working day is Tuesday, not Monday.
			name:        "UTC instant is dated in Shanghai",
			submitted:   time.Date(2026, 3, 8, 17, 0, 0, 0, time.UTC),
			workingDays: 1,
			want:        closeOf(t, "2026-03-10"),
		},
		{
			// 09-19 Sat off, 09-20 Sun make-up for National Day.
			name:        "make-up Sunday before National Day",
			submitted:   sh(t, "2026-09-18 16:00"),
			workingDays: 1,
			want:        closeOf(t, "2026-09-20"),
		},
		{
			// 12-16..18 1–3, 12-21..25 4–8, 12-28..31 9–12; 2027 by the weekday
			// rule: 01-01 Fri 13, 01-04..08 14–18, 01-11 19, 01-12 20.
			name:             "due date in unpublished 2027 is provisional",
			submitted:        sh(t, "2026-12-15 10:00"),
			workingDays:      20,
			want:             closeOf(t, "2027-01-12"),
			wantUnknownYears: []int{2027},
		},
		{
			// Staff enter 2027's New Year holiday only: 01-01 is off, so the
			// count ends one working day later, but 2027's Spring Festival is
			// still unknown and the deadline stays provisional (R-BR-1).
			name:             "an override alone leaves 2027 provisional",
			overrides:        []beian.CalendarDay{{Date: "2027-01-01", Off: true, Name: "元旦"}},
			submitted:        sh(t, "2026-12-15 10:00"),
			workingDays:      20,
			want:             closeOf(t, "2027-01-13"),
			wantUnknownYears: []int{2027},
		},
		{
			// Staff enter 2027's schedule and mark the year published.
			name:        "publishing 2027 removes provisional",
			overrides:   []beian.CalendarDay{{Date: "2027-01-01", Off: true, Name: "元旦"}},
			published:   []int{2027},
			submitted:   sh(t, "2026-12-15 10:00"),
			workingDays: 20,
			want:        closeOf(t, "2027-01-13"),
		},
		{
			// 2027-01-15 Fri + 20 working days by the weekday rule ends
			// 2027-02-12 Fri, right across where the Spring Festival falls
			// (2027-02-06): without 2027 published that cannot be trusted.
			name:             "a 2027 deadline across the unpublished Spring Festival is provisional",
			overrides:        []beian.CalendarDay{{Date: "2027-10-01", Off: true, Name: "国庆节"}},
			submitted:        sh(t, "2027-01-15 10:00"),
			workingDays:      20,
			want:             closeOf(t, "2027-02-12"),
			wantUnknownYears: []int{2027},
		},
		{
			// 03-03..06 1–4, 03-09..13 5–9, 03-16..20 10–14, 03-23..27 15–19, 03-30 20.
			name:        "plain 20 working days",
			submitted:   sh(t, "2026-03-02 10:00"),
			workingDays: 20,
			want:        closeOf(t, "2026-03-30"),
		},
		{
			name:        "override holiday shifts the due date by one working day",
			overrides:   []beian.CalendarDay{{Date: "2026-03-10", Off: true, Name: "临时"}},
			submitted:   sh(t, "2026-03-02 10:00"),
			workingDays: 20,
			want:        closeOf(t, "2026-03-31"),
		},
		{
			name:        "override make-up Saturday pulls the due date in by one working day",
			overrides:   []beian.CalendarDay{{Date: "2026-03-07", Off: false, Name: "调休"}},
			submitted:   sh(t, "2026-03-02 10:00"),
			workingDays: 20,
			want:        closeOf(t, "2026-03-27"),
		},
		{
			// 12-23..27 1–5: 2019 has no data, so the answer is a guess.
			name:             "year before the data is provisional",
			submitted:        sh(t, "2019-12-20 10:00"),
			workingDays:      5,
			want:             closeOf(t, "2019-12-27"),
			wantUnknownYears: []int{2019},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := calendar.New(tt.overrides, tt.published).BureauDue(tt.submitted, tt.workingDays)
			require.NoError(t, err)
			require.True(t, tt.want.Equal(got.At), "due %s, want %s", got.At, tt.want)
			require.Equal(t, calendar.Shanghai, got.At.Location())
			require.Equal(t, tt.wantUnknownYears, got.UnknownYears)
			require.Equal(t, len(tt.wantUnknownYears) > 0, got.Provisional)
			require.Len(t, got.Days, tt.workingDays)
			require.Equal(t, tt.want.Format(calendar.DateLayout), got.Days[len(got.Days)-1])
			if tt.wantFirstDays != nil {
				require.Equal(t, tt.wantFirstDays, got.Days[:len(tt.wantFirstDays)])
			}
		})
	}
}

func TestAddWorkingDays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		{name: "keeps the clock time across National Day", from: sh(t, "2026-09-28 10:15"), n: 3, want: sh(t, "2026-10-08 10:15")},
		{name: "Friday to Monday", from: sh(t, "2026-03-06 09:00"), n: 1, want: sh(t, "2026-03-09 09:00")},
	}
	cal := calendar.New(nil, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := cal.AddWorkingDays(tt.from, tt.n)
			require.NoError(t, err)
			require.True(t, tt.want.Equal(got.At), "got %s, want %s", got.At, tt.want)
			require.False(t, got.Provisional)
		})
	}
}

func TestCountRejectsBadN(t *testing.T) {
	t.Parallel()
	cal := calendar.New(nil, nil)
	for _, n := range []int{0, -1, calendar.MaxWorkingDays + 1} {
		_, err := cal.BureauDue(sh(t, "2026-03-02 10:00"), n)
		var e *beian.Error
		require.True(t, errors.As(err, &e), "n=%d: %v", n, err)
		require.Equal(t, beian.CodeInvalid, e.Code)

		_, err = cal.AddWorkingDays(sh(t, "2026-03-02 10:00"), n)
		require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err))
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		wantOK bool
	}{
		{"2026-10-01", true},
		{"2026-02-30", false},
		{"2026-1-1", false},
		{"", false},
		{"2026/10/01", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := calendar.ParseDate(tt.in)
			if !tt.wantOK {
				require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.in, got.Format(calendar.DateLayout))
			require.Equal(t, calendar.Shanghai, got.Location())
		})
	}
}

// FuzzBureauDue: for any submission time and count, BureauDue does not
// panic, and the deadline is 17:30 Shanghai on a working day after the
// submission date, with exactly n working days listed.
func FuzzBureauDue(f *testing.F) {
	f.Add(int64(1790560800), 20) // 2026-09-28 10:00 Shanghai
	f.Add(int64(1797000000), 20) // December 2026, into 2027
	f.Add(int64(0), 1)
	f.Add(int64(-1), -5)
	cal := calendar.New([]beian.CalendarDay{{Date: "2026-03-10", Off: true}, {Date: "2026-03-07", Off: false}, {Date: "2027-10-08", Off: true}}, []int{2030})
	const lo, span = 631152000, 3786912000 - 631152000 // 1990 to 2090
	f.Fuzz(func(t *testing.T, sec int64, n int) {
		submitted := time.Unix(lo+((sec%span)+span)%span, 0)
		n = 1 + ((n%60)+60)%60
		due, err := cal.BureauDue(submitted, n)
		require.NoError(t, err)
		at := due.At
		require.Equal(t, calendar.Shanghai, at.Location())
		require.Equal(t, 17, at.Hour())
		require.Equal(t, 30, at.Minute())
		require.Zero(t, at.Second())
		require.True(t, cal.Day(at).Working, "due %s is not a working day", at)
		require.True(t, at.After(submitted))
		subDate := submitted.In(calendar.Shanghai).Format(calendar.DateLayout)
		require.Greater(t, at.Format(calendar.DateLayout), subDate)
		require.Len(t, due.Days, n)
		prev := subDate
		for _, d := range due.Days {
			require.Greater(t, d, prev)
			day, err := calendar.ParseDate(d)
			require.NoError(t, err)
			require.True(t, cal.Day(day).Working)
			prev = d
		}
		require.Equal(t, at.Format(calendar.DateLayout), prev)
		require.Equal(t, due.Provisional, len(due.UnknownYears) > 0)
		for _, y := range due.UnknownYears {
			require.NotContains(t, cal.KnownYears(), y)
			require.GreaterOrEqual(t, y, submitted.In(calendar.Shanghai).Year())
		}
	})
}

// TestWorkingDaysBetween: the working days the bureau used or has left
// (R-BR-1), across National Day 2026 and its make-up working days.
func TestWorkingDaysBetween(t *testing.T) {
	t.Parallel()
	cal := calendar.New(nil, nil)
	at := func(s string) time.Time {
		d, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tc := range []struct {
		from, to string
		want     int
	}{
		{"2026-09-28 10:00", "2026-09-28 17:00", 0},  // same day
		{"2026-09-28 10:00", "2026-09-29 09:00", 1},  // next working day
		{"2026-09-25 10:00", "2026-09-28 09:00", 1},  // Friday to Monday: the weekend does not count
		{"2026-09-28 10:00", "2026-10-30 17:30", 20}, // the 20 working days of the National Day example
		{"2026-10-30 17:30", "2026-09-28 10:00", -20},
	} {
		if got := cal.WorkingDaysBetween(at(tc.from), at(tc.to)); got != tc.want {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tc.from, tc.to, got, tc.want)
		}
	}
	// The count agrees with BureauDue: the due date is the 20th working day.
	from := at("2026-09-28 10:00")
	due, err := cal.BureauDue(from, 20)
	if err != nil {
		t.Fatal(err)
	}
	if got := cal.WorkingDaysBetween(from, due.At); got != 20 {
		t.Fatalf("BureauDue is %s but WorkingDaysBetween counts %d working days to it", due.At, got)
	}
}

// TestAddWorkingMinutes: minutes count in working hours only (R-RV-6).
func TestAddWorkingMinutes(t *testing.T) {
	t.Parallel()
	cal := calendar.New(nil, nil)
	at := func(s string) time.Time {
		d, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tc := range []struct{ from, want string }{
		{"2026-09-28 10:00", "2026-09-28 10:30"}, // within the morning
		{"2026-09-28 11:15", "2026-09-28 13:15"}, // across lunch
		{"2026-09-28 12:10", "2026-09-28 13:30"}, // from lunch
		{"2026-11-27 17:15", "2026-11-30 08:45"}, // Friday evening to Monday
		{"2026-09-24 17:20", "2026-09-28 08:50"}, // across Mid-Autumn Day (09-25) and the weekend
		{"2026-09-30 17:20", "2026-10-08 08:50"}, // across National Day
		{"2026-10-09 22:00", "2026-10-10 09:00"}, // to the make-up Saturday
	} {
		if got := cal.AddWorkingMinutes(at(tc.from), 30); !got.Equal(at(tc.want)) {
			t.Errorf("AddWorkingMinutes(%s, 30) = %s, want %s", tc.from, got.Format("2006-01-02 15:04"), tc.want)
		}
	}
}

// TestReplyDue (R-RV-6): a mail is answered the working day it arrives; one
// after 17:30 or on a day off the next working day, make-up days counting.
func TestReplyDue(t *testing.T) {
	cal := calendar.New(nil, nil)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for in, want := range map[string]string{
		"2026-11-30 09:00": "2026-11-30 17:30", // Monday morning
		"2026-11-30 17:29": "2026-11-30 17:30",
		"2026-11-30 17:30": "2026-12-01 17:30", // at the close: tomorrow
		"2026-12-04 18:00": "2026-12-07 17:30", // Friday evening → Monday
		"2026-12-05 10:00": "2026-12-07 17:30", // Saturday
		"2026-09-30 20:00": "2026-10-08 17:30", // National Day: 10-01…10-07 off
		"2026-10-09 18:00": "2026-10-10 17:30", // the make-up Saturday is a working day
	} {
		if got := cal.ReplyDue(at(in)).Format("2006-01-02 15:04"); got != want {
			t.Errorf("ReplyDue(%s) = %s, want %s", in, got, want)
		}
	}
}
