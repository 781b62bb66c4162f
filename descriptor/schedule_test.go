package descriptor_test

import (
	"testing"
	"time"

	"github.com/datamesh/datamesh/descriptor"
)

func TestScheduleNext(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		expr, from, want string
	}{
		{"15m", "2024-05-01 10:07", "2024-05-01 10:22"},
		{"1d", "2024-05-01 10:07", "2024-05-02 10:07"},
		{"*/15 * * * *", "2024-05-01 10:07", "2024-05-01 10:15"},
		{"*/15 * * * *", "2024-05-01 10:15", "2024-05-01 10:30"},
		{"0 */6 * * *", "2024-05-01 23:59", "2024-05-02 00:00"},
		{"30 2 * * *", "2024-05-01 02:30", "2024-05-02 02:30"},
		{"0 0 1 * *", "2024-01-31 12:00", "2024-02-01 00:00"},
		{"0 9 * * mon-fri", "2024-05-03 10:00", "2024-05-06 09:00"}, // Friday -> Monday
		{"0 0 * * 7", "2024-05-01 00:00", "2024-05-05 00:00"},       // 7 is Sunday
		{"0 0 29 2 *", "2024-03-01 00:00", "2028-02-29 00:00"},      // leap days only
		{"0 0 13 * 5", "2024-09-01 00:00", "2024-09-06 00:00"},      // day 13 or any Friday
		{"5,10-12/2 1 * jan *", "2024-02-01 00:00", "2025-01-01 01:05"},
		{"@daily", "2024-05-01 10:00", "2024-05-02 00:00"},
		{"@hourly", "2024-05-01 10:00", "2024-05-01 11:00"},
	}
	for _, c := range cases {
		s, err := descriptor.ParseSchedule(c.expr)
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		if got := s.Next(at(c.from)); !got.Equal(at(c.want)) {
			t.Errorf("%q from %s: next %s, want %s", c.expr, c.from, got.Format("2006-01-02 15:04 Mon"), c.want)
		}
	}
	s, _ := descriptor.ParseSchedule("5,10-12/2 1 * jan *")
	from := at("2025-01-01 01:05")
	var got []int
	for range 3 {
		from = s.Next(from)
		got = append(got, from.Minute())
	}
	if got[0] != 10 || got[1] != 12 || got[2] != 5 {
		t.Errorf("minutes %v, want [10 12 5]", got)
	}
	if every, _ := descriptor.ParseSchedule("15m"); every.Interval() != 15*time.Minute {
		t.Errorf("Interval = %v", every.Interval())
	}
	if !(descriptor.Schedule{}).IsZero() || !(descriptor.Schedule{}).Next(from).IsZero() {
		t.Error("the zero schedule fires")
	}
}

func TestScheduleErrors(t *testing.T) {
	cases := map[string]string{
		"every hour":   `"every hour" is neither an interval (a duration: 15m, 1h, 1d) nor a cron expression of 5 fields (minute hour day-of-month month day-of-week, e.g. "0 */6 * * *")`,
		"500ms":        `"500ms" is too short: the shortest interval is 1s`,
		"0 25 * * *":   `"0 25 * * *" is not a valid cron expression: hour "25" is out of range 0-23`,
		"x * * * *":    `"x * * * *" is not a valid cron expression: minute "x" is not a number`,
		"*/0 * * * *":  `"*/0 * * * *" is not a valid cron expression: minute step "0" is not a positive number`,
		"0 0 * 9-3 *":  `"0 0 * 9-3 *" is not a valid cron expression: month range "9-3" runs backwards`,
		"0 0 30 2 *":   `"0 0 30 2 *" is not a valid cron expression: it names no day that exists`,
		"@often":       `"@often" is not a schedule: the macros are @hourly, @daily, @weekly, @monthly, @yearly`,
		"0 0 * * * *":  `"0 0 * * * *" is neither an interval (a duration: 15m, 1h, 1d) nor a cron expression of 5 fields (minute hour day-of-month month day-of-week, e.g. "0 */6 * * *")`,
		"0 0 32 * *":   `"0 0 32 * *" is not a valid cron expression: day-of-month "32" is out of range 1-31`,
		"0 0 * * -1":   `"0 0 * * -1" is not a valid cron expression: day-of-week "" is not a number`,
		"0 0 * * mond": `"0 0 * * mond" is not a valid cron expression: day-of-week "mond" is not a number`,
	}
	for expr, want := range cases {
		_, err := descriptor.ParseSchedule(expr)
		if err == nil || err.Error() != want {
			t.Errorf("%q: error %v\nwant %s", expr, err, want)
		}
	}
}
