package web

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/datamesh/datamesh/catalog"
)

// funcs are the template functions. Each returns plain strings: the
// templates' contexts escape them.
func (u *UI) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":      u.asset,
		"productURL": productURL,
		"lineageURL": lineageURL,
		"impactURL":  impactURL,
		"domainURL":  domainURL,
		"apiURL":     apiProductURL,
		"searchFor":  func(q string) string { return searchURL(q, 0) },
		"filterURL":  func(field, value string) string { return searchURL(filterText(field, value), 0) },
		// filters "domain" "x" "owner" "y" is domain:x owner:y.
		"filters": func(pairs ...string) string {
			var parts []string
			for i := 0; i+1 < len(pairs); i += 2 {
				parts = append(parts, filterText(pairs[i], pairs[i+1]))
			}
			return strings.Join(parts, " ")
		},
		"statusClass": func(s string) string {
			switch s {
			case catalog.StatusAvailable, "ok", "passed", "fresh":
				return "ok"
			case catalog.StatusUnavailable, "failed", "stale", "error":
				return "bad"
			}
			return "muted"
		},
		"join": func(sep string, s []string) string { return strings.Join(s, sep) },
		"num":  thousands,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"ago":    ago,
		"plural": func(n int, one, many string) string { return plural(n, one, many) },
		"ownerText": func(o catalog.Owner) string {
			if o.Team == "" {
				return o.Email
			}
			return o.Team
		},
		"mailto": func(email string) string { return "mailto:" + email },
		"ownerQuery": func(o catalog.Owner) string {
			if o.Team != "" {
				return filterText("owner", o.Team)
			}
			return filterText("owner", o.Email)
		},
	}
}

// thousands writes 10000 as 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return thousands(n) + " " + one
	}
	return thousands(n) + " " + many
}

// ago writes how long ago t was, roughly.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return plural(int(d.Seconds()), "second", "seconds") + " ago"
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute", "minutes") + " ago"
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour", "hours") + " ago"
	}
	return plural(int(d.Hours()/24), "day", "days") + " ago"
}
