package descriptor

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is when a materialized product is rebuilt (serving.refresh):
// every interval, or at the minutes a cron expression names, in UTC. The
// zero Schedule means no schedule.
type Schedule struct {
	text  string
	every time.Duration
	cron  *cron
}

// MinRefresh is the shortest refresh interval.
const MinRefresh = time.Second

// ParseSchedule reads an interval (a duration: 15m, 1h, 1d) or a cron
// expression of five fields (minute hour day-of-month month day-of-week),
// or one of @hourly, @daily, @weekly, @monthly, @yearly.
func ParseSchedule(s string) (Schedule, error) {
	s = strings.TrimSpace(s)
	if d, err := ParseDuration(s); err == nil {
		if time.Duration(d) < MinRefresh {
			return Schedule{}, fmt.Errorf("%q is too short: the shortest interval is %s", s, MinRefresh)
		}
		return Schedule{text: s, every: time.Duration(d)}, nil
	}
	expr := s
	if macro, ok := cronMacros[s]; ok {
		expr = macro
	}
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		if strings.HasPrefix(s, "@") {
			return Schedule{}, fmt.Errorf("%q is not a schedule: the macros are @hourly, @daily, @weekly, @monthly, @yearly", s)
		}
		return Schedule{}, fmt.Errorf("%q is neither an interval (a duration: 15m, 1h, 1d) nor a cron expression of 5 fields (minute hour day-of-month month day-of-week, e.g. \"0 */6 * * *\")", s)
	}
	c := &cron{}
	for i, f := range fields {
		spec := cronFields[i]
		set, err := parseCronField(f, spec)
		if err != nil {
			return Schedule{}, fmt.Errorf("%q is not a valid cron expression: %s %s", s, spec.name, err)
		}
		c.sets[i] = set
	}
	c.domAny, c.dowAny = fields[2] == "*", fields[4] == "*"
	// Sunday is 0 and 7.
	if c.sets[4]&(1<<7) != 0 {
		c.sets[4] |= 1
	}
	sched := Schedule{text: s, cron: c}
	// A day that never comes (February 30) would never refresh.
	if sched.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return Schedule{}, fmt.Errorf("%q is not a valid cron expression: it names no day that exists", s)
	}
	return sched, nil
}

// IsZero reports whether s is no schedule.
func (s Schedule) IsZero() bool { return s.every == 0 && s.cron == nil }

// String is the schedule as written.
func (s Schedule) String() string { return s.text }

// MarshalText writes the schedule as written.
func (s Schedule) MarshalText() ([]byte, error) { return []byte(s.text), nil }

// Interval is the interval of an interval schedule, 0 for cron.
func (s Schedule) Interval() time.Duration { return s.every }

// Next is the first time strictly after t when the schedule fires: t plus
// the interval, or the next minute the cron expression names. It is the
// zero time for no schedule.
func (s Schedule) Next(t time.Time) time.Time {
	switch {
	case s.every > 0:
		return t.Add(s.every)
	case s.cron != nil:
		return s.cron.next(t)
	}
	return time.Time{}
}

var cronMacros = map[string]string{
	"@hourly":   "0 * * * *",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@weekly":   "0 0 * * 0",
	"@monthly":  "0 0 1 * *",
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
}

type cronField struct {
	name     string
	min, max int
	names    []string // names of min, min+1, ... (jan, sun)
}

var cronFields = [5]cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{name: "day-of-week", min: 0, max: 7, names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// cron is a parsed expression: a bit set of allowed values per field.
type cron struct {
	sets           [5]uint64
	domAny, dowAny bool
}

func (f cronField) value(s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || s == "" || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%q is out of range %d-%d", s, f.min, f.max)
	}
	return n, nil
}

// parseCronField reads a list of *, n, a-b, each with an optional /step.
func parseCronField(s string, f cronField) (uint64, error) {
	var set uint64
	for _, part := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || stepText[0] == '+' {
				return 0, fmt.Errorf("step %q is not a positive number", stepText)
			}
			step = n
		}
		lo, hi := f.min, f.max
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return 0, err
			}
			if hi, err = f.value(b); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("range %q runs backwards", rng)
			}
		default:
			var err error
			if lo, err = f.value(rng); err != nil {
				return 0, err
			}
			if hasStep {
				hi = f.max // n/step: from n to the end
			} else {
				hi = lo
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

func (c *cron) has(field, v int) bool { return c.sets[field]&(1<<v) != 0 }

func (c *cron) dayMatches(t time.Time) bool {
	dom, dow := c.has(2, t.Day()), c.has(4, int(t.Weekday()))
	switch {
	case c.domAny && c.dowAny:
		return true
	case c.domAny:
		return dow
	case c.dowAny:
		return dom
	}
	return dom || dow // both restricted: either matches, as cron does
}

// next finds the first matching minute after t, searching five years.
func (c *cron) next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	end := t.AddDate(5, 0, 0)
	for t.Before(end) {
		switch {
		case !c.has(3, int(t.Month())):
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
		case !c.has(1, t.Hour()):
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, time.UTC)
		case !c.has(0, t.Minute()):
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}
