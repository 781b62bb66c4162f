package catalog

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search limits.
const (
	MaxQueryLen   = 1024 // bytes of q
	MaxQueryTerms = 32   // terms and filters in q
	DefaultLimit  = 20
	MaxLimit      = 200
)

// Fields are the filters q accepts, as field:value.
var Fields = []string{"domain", "owner", "tag", "status"}

// QueryError is a search query that cannot be read; the API answers it
// with 400.
type QueryError struct {
	Param string // the request parameter at fault
	Msg   string
}

func (e *QueryError) Error() string { return e.Param + ": " + e.Msg }

// ParseQuery reads the search syntax: free text, "quoted phrases", and
// field filters such as domain:aviation tag:delays owner:"team x"
// status:available. Text that is not a filter is searched for as words
// (punctuation separates words and is otherwise ignored). It never
// panics; it returns a *QueryError for an unknown field, an empty or
// invalid filter value, or a query too long.
func ParseQuery(q string) (Query, error) {
	var out Query
	if len(q) > MaxQueryLen {
		return out, &QueryError{"q", fmt.Sprintf("is %d bytes long; the most is %d", len(q), MaxQueryLen)}
	}
	if err := checkText("q", q); err != nil {
		return out, err
	}
	count := 0
	for i := 0; i < len(q); {
		r, size := utf8.DecodeRuneInString(q[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		count++
		if count > MaxQueryTerms {
			return out, &QueryError{"q", fmt.Sprintf("has more than %d terms and filters", MaxQueryTerms)}
		}
		if r == '"' {
			phrase, next := quoted(q, i)
			i = next
			if len(Words(phrase)) > 0 {
				out.Terms = append(out.Terms, phrase)
			}
			continue
		}
		// A bare token runs to the next space, a quoted value included
		// (owner:"team x").
		start := i
		field, value, isFilter := "", "", false
		for i < len(q) {
			r, size := utf8.DecodeRuneInString(q[i:])
			if unicode.IsSpace(r) {
				break
			}
			if r == ':' && !isFilter && isFieldName(q[start:i]) {
				field, isFilter = q[start:i], true
				i += size
				if i < len(q) && q[i] == '"' {
					value, i = quoted(q, i)
					break
				}
				vstart := i
				for i < len(q) {
					r, size := utf8.DecodeRuneInString(q[i:])
					if unicode.IsSpace(r) {
						break
					}
					i += size
				}
				value = q[vstart:i]
				break
			}
			i += size
		}
		if !isFilter {
			if term := q[start:i]; len(Words(term)) > 0 {
				out.Terms = append(out.Terms, term)
			}
			continue
		}
		if err := out.addFilter("q", field, value); err != nil {
			return Query{}, err
		}
	}
	return out, nil
}

// quoted reads a "..." string starting at q[i] == '"'; an unterminated one
// runs to the end. It returns the text inside and the index after it.
func quoted(q string, i int) (string, int) {
	end := strings.IndexByte(q[i+1:], '"')
	if end < 0 {
		return q[i+1:], len(q)
	}
	return q[i+1 : i+1+end], i + 1 + end + 1
}

func isFieldName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

// AddFilter adds a filter as a request parameter gives it (domain=,
// owner=, tag=, status=); param names the parameter in errors.
func (q *Query) AddFilter(param, field, value string) error {
	return q.addFilter(param, field, value)
}

func (q *Query) addFilter(param, field, value string) error {
	lf := strings.ToLower(field)
	value = strings.TrimSpace(value)
	if !slices.Contains(Fields, lf) {
		return &QueryError{param, fmt.Sprintf("unknown field %q: filter with %s; to search for the text, quote it: \"%s:%s\"",
			field, fieldList(), field, value)}
	}
	if value == "" {
		return &QueryError{param, fmt.Sprintf("%s: needs a value, such as %s", lf, example(lf))}
	}
	if err := checkText(param, value); err != nil {
		return err
	}
	if len(value) > 200 {
		return &QueryError{param, fmt.Sprintf("the %s value is longer than 200 bytes", lf)}
	}
	switch lf {
	case "domain":
		q.Domains = appendNew(q.Domains, strings.ToLower(value))
	case "owner":
		q.Owners = appendNew(q.Owners, strings.ToLower(value))
	case "tag":
		q.Tags = appendNew(q.Tags, strings.ToLower(value))
	case "status":
		v := strings.ToLower(value)
		if !slices.Contains(Statuses, v) {
			return &QueryError{param, fmt.Sprintf("status %q is not one of %s", value, strings.Join(Statuses, ", "))}
		}
		q.Statuses = appendNew(q.Statuses, v)
	}
	return nil
}

func fieldList() string {
	parts := make([]string, len(Fields))
	for i, f := range Fields {
		parts[i] = f + ":"
	}
	return strings.Join(parts, " ")
}

func example(field string) string {
	switch field {
	case "domain":
		return "domain:aviation"
	case "owner":
		return "owner:aviation-analytics"
	case "tag":
		return "tag:delays"
	}
	return "status:available"
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// checkText refuses what no store can take as text: invalid UTF-8 and NUL.
func checkText(param, s string) error {
	if !utf8.ValidString(s) {
		return &QueryError{param, "is not valid UTF-8"}
	}
	if strings.IndexByte(s, 0) >= 0 {
		return &QueryError{param, "holds a NUL character"}
	}
	return nil
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}
