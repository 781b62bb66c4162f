// Package format writes streams of Arrow record batches in the output
// formats of protocol v1 (JSON, NDJSON, CSV, Arrow IPC stream; Parquet is
// written by DuckDB) and picks the format of a request from its format=
// parameter and Accept header.
//
// # Values
//
// JSON is an array of row objects keyed by column name, in column order,
// one row per line ("[\n{...},\n{...}\n]\n"; "[]\n" when there is no
// row). NDJSON is one row object per line, each ended by "\n". CSV (RFC
// 4180, UTF-8, no byte order mark) has a header row of the column names,
// then one record per row; lines end with "\n" (not RFC 4180's CRLF, as
// DuckDB and most tools write it); a field is quoted when it holds a comma,
// a double quote, CR or LF, or is empty, with quotes doubled. Each Arrow
// type is written as follows (CSV writes the text shown, without JSON's
// quotes):
//
//	NULL                   JSON null; CSV an empty field (an empty string is "")
//	bool                   true, false
//	int8..int64, uint8..uint64
//	                       decimal digits (JSON numbers, even above 2^53)
//	float16/32/64          shortest text that reads back as the same value,
//	                       plain between 1e-6 and 1e21, exponent outside
//	                       (1e+21, 1e-7), as JavaScript and encoding/json
//	                       write them; NaN and ±Inf are null in JSON and
//	                       NaN, Infinity, -Infinity in CSV
//	decimal32..256         exact digits with the type's scale, trailing
//	                       zeros kept (DECIMAL(10,2) 1.5 -> 1.50), as JSON
//	                       numbers; HUGEINT (decimal(38,0)) likewise
//	utf8, large_utf8, utf8_view
//	                       JSON strings; control characters escaped (\n, \t,
//	                       \u0001, ...), U+2028/2029 escaped, invalid UTF-8
//	                       bytes replaced by U+FFFD (in CSV too)
//	binary (all kinds)     base64, standard alphabet, padded
//	date32, date64         "2024-01-31"
//	timestamp (s..ns)      RFC 3339, "2024-01-31T08:05:09", fraction only
//	                       when not zero and without trailing zeros
//	                       ("...T08:05:09.12"), "Z" appended when the type
//	                       has a time zone (the instant in UTC), no offset
//	                       when it has none (a local date-time)
//	time32, time64         "08:05:09", "08:05:09.5"
//	duration, interval     ISO 8601 durations: "P1Y2M3DT4H5M6.5S", "PT0S";
//	                       each part keeps its sign (P-1M3D), as PostgreSQL
//	                       writes them: months, days and time are separate;
//	                       a duration has no days ("PT26H3M4.005S")
//	list, large_list, fixed_size_list, list views
//	                       JSON arrays; CSV holds the JSON text
//	struct                 JSON objects keyed by field name; CSV: JSON text
//	map                    JSON objects, keys written as text; CSV: JSON text
//	dictionary             the value the index points to
//	union                  the value of the member in use
//	run-end encoded        the run's value
//	others (extensions)    the array's ValueStr, as a string
//
// Years outside 0000..9999 are written with a sign and six digits
// (+010000-01-01), as JavaScript does. What DuckDB sends through Arrow:
// BIGINT int64, INTEGER int32, DOUBLE float64, VARCHAR and UUID utf8, DATE
// date32, TIMESTAMP timestamp[us], TIMESTAMPTZ timestamp[us, Etc/UTC], DECIMAL
// and HUGEINT decimal128, INTERVAL month_day_nano_interval, TIME and TIMETZ
// time64[us] (the offset is lost), BLOB and BIT binary, ENUM dictionary,
// LIST list, ARRAY fixed_size_list, STRUCT struct, MAP map, UNION a sparse
// union.
package format

import (
	"mime"
	"net/http"
	"strings"

	"github.com/datamesh/datamesh/problem"
)

// Format is an output format of the data endpoints.
type Format struct {
	// Name is the value of the format= parameter: json, ndjson, csv, arrow
	// or parquet.
	Name string
	// MediaType is the media type that names the format in Accept.
	MediaType string
	// ContentType is the Content-Type header of a response.
	ContentType string
	// Ext is the file name extension, with its dot.
	Ext string
}

// The served formats.
var (
	JSON    = Format{Name: "json", MediaType: "application/json", ContentType: "application/json", Ext: ".json"}
	NDJSON  = Format{Name: "ndjson", MediaType: "application/x-ndjson", ContentType: "application/x-ndjson", Ext: ".ndjson"}
	CSV     = Format{Name: "csv", MediaType: "text/csv", ContentType: "text/csv; charset=utf-8; header=present", Ext: ".csv"}
	Arrow   = Format{Name: "arrow", MediaType: "application/vnd.apache.arrow.stream", ContentType: "application/vnd.apache.arrow.stream", Ext: ".arrows"}
	Parquet = Format{Name: "parquet", MediaType: "application/vnd.apache.parquet", ContentType: "application/vnd.apache.parquet", Ext: ".parquet"}
)

// Formats lists the served formats in the server's order of preference,
// the order that breaks ties in Negotiate.
var Formats = []Format{JSON, NDJSON, CSV, Arrow, Parquet}

// aliases are other media types accepted for a format, in Accept and in
// format=.
var aliases = map[string]Format{
	"application/ndjson":    NDJSON,
	"application/jsonl":     NDJSON,
	"application/x-parquet": Parquet,
}

// String returns the format's name.
func (f Format) String() string { return f.Name }

// byMediaType finds the format of a media type (lower case, no parameters).
func byMediaType(mt string) (Format, bool) {
	for _, f := range Formats {
		if f.MediaType == mt {
			return f, true
		}
	}
	f, ok := aliases[mt]
	return f, ok
}

// ByName returns the format named by a format= value: a name (json, ndjson,
// csv, arrow, parquet) or a media type, in any case, with or without
// parameters.
func ByName(v string) (Format, bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	for _, f := range Formats {
		if f.Name == v {
			return f, true
		}
	}
	if mt, _, err := mime.ParseMediaType(v); err == nil {
		return byMediaType(mt)
	}
	return Format{}, false
}

func servedMediaTypes() string {
	names := make([]string, len(Formats))
	for k, f := range Formats {
		names[k] = f.MediaType
	}
	return strings.Join(names, ", ")
}

func servedNames() string {
	names := make([]string, len(Formats))
	for k, f := range Formats {
		names[k] = f.Name
	}
	return strings.Join(names, ", ")
}

// Negotiate picks the format of a response. A non-empty formatParam (the
// format= query parameter) wins over accept; an unknown value is a 400
// problem blaming the format parameter. Otherwise accept is read as an
// Accept header (RFC 9110 §12.5.1): each served media type gets the q of
// the most specific range that matches it (type/subtype over type/* over
// */*), and the highest q wins; ties go to a range named explicitly, then to
// the range listed first, then to the order of Formats (JSON first). An
// absent or unreadable Accept means JSON. When no served type has q > 0,
// the answer is a 406 problem (problem.NotAcceptable) listing the served
// media types.
func Negotiate(accept string, formatParam string) (Format, error) {
	if formatParam != "" {
		if f, ok := ByName(formatParam); ok {
			return f, nil
		}
		return Format{}, problem.Param("format", servedNames()+", or one of their media types",
			"unknown format %q", formatParam)
	}
	ranges := parseAccept(accept)
	if len(ranges) == 0 {
		return JSON, nil
	}
	best, bestQ, bestSpec, bestPos := -1, 0, 0, 0
	for k, f := range Formats {
		q, spec, pos := match(ranges, f)
		if q <= 0 {
			continue
		}
		if best < 0 || q > bestQ || q == bestQ && (spec > bestSpec || spec == bestSpec && pos < bestPos) {
			best, bestQ, bestSpec, bestPos = k, q, spec, pos
		}
	}
	if best < 0 {
		p := problem.New(http.StatusNotAcceptable, problem.NotAcceptable,
			"no acceptable format in Accept %q; this endpoint serves %s (or format=%s)",
			truncate(accept, 200), servedMediaTypes(), strings.ReplaceAll(servedNames(), ", ", "|"))
		p.Allowed = servedMediaTypes()
		return Format{}, p
	}
	return Formats[best], nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// mediaRange is one element of an Accept header.
type mediaRange struct {
	typ, sub string // lower case; "*" for wildcards
	q        int    // in thousandths, 0..1000
}

// match returns the q of format f under the most specific range that
// matches it (0 when none does), that range's specificity (3 for
// type/subtype, 2 for type/*, 1 for */*) and position.
func match(ranges []mediaRange, f Format) (q, spec, pos int) {
	q, spec, pos = 0, 0, -1
	for k, r := range ranges {
		var s int
		switch {
		case r.typ == "*":
			s = 1
		case r.sub == "*":
			if !strings.HasPrefix(f.MediaType, r.typ+"/") {
				continue
			}
			s = 2
		default:
			g, ok := byMediaType(r.typ + "/" + r.sub)
			if !ok || g.Name != f.Name {
				continue
			}
			s = 3
		}
		// Of equally specific ranges (application/json and an alias, or a
		// repeat), the first one counts.
		if s > spec {
			q, spec, pos = r.q, s, k
		}
	}
	return q, spec, pos
}

// parseAccept reads an Accept header, skipping malformed elements. A lone
// "*" (sent by some old clients) counts as */*.
func parseAccept(accept string) []mediaRange {
	var ranges []mediaRange
	for len(accept) > 0 {
		var elem string
		elem, accept = splitElement(accept)
		params := strings.Split(elem, ";")
		mt := strings.ToLower(strings.TrimSpace(params[0]))
		if mt == "" {
			continue
		}
		if mt == "*" {
			mt = "*/*"
		}
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok || !isToken(typ) || !isToken(sub) || typ == "*" && sub != "*" {
			continue
		}
		r := mediaRange{typ: typ, sub: sub, q: 1000}
		valid := true
		for _, p := range params[1:] {
			name, value, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(name), "q") {
				q, ok := parseQ(strings.TrimSpace(value))
				if !ok {
					valid = false
				}
				r.q = q
				break // parameters after q are accept-ext
			}
		}
		if valid {
			ranges = append(ranges, r)
		}
	}
	return ranges
}

// splitElement cuts the first comma-separated element off s, leaving
// commas inside quoted parameter values alone.
func splitElement(s string) (elem, rest string) {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// parseQ parses a qvalue: 0, 1, 0.xyz, 1.000 (RFC 9110 §12.4.2), in
// thousandths. ".2", which Java's HttpURLConnection sends, counts as 0.2.
func parseQ(s string) (int, bool) {
	if strings.HasPrefix(s, ".") {
		s = "0" + s
	}
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	whole := int(s[0] - '0')
	if len(s) == 1 {
		return whole * 1000, true
	}
	if s[1] != '.' {
		return 0, false
	}
	frac := s[2:]
	n := 0
	for k := 0; k < 3; k++ {
		n *= 10
		if k < len(frac) {
			c := frac[k]
			if c < '0' || c > '9' {
				return 0, false
			}
			n += int(c - '0')
		}
	}
	if whole == 1 && n != 0 {
		return 0, false
	}
	return whole*1000 + n, true
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}
