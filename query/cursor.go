package query

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/datamesh/datamesh/problem"
)

// A cursor is base64url (no padding) of
//
//	version   1 byte (cursorVersion)
//	scope     scopeSize bytes: SHA-256 of Options.Scope
//	query     fingerprintSize bytes: SHA-256 of the filters and key order
//	dup       uvarint
//	key       uvarint count, then per value 0 (NULL) or 1, uvarint length, text
//	tag       tagSize bytes: HMAC-SHA256 of all the above under Options.Secret
//
// Key values are canonical text per logical type (see keyText), so any byte
// string, NULL, sub-second timestamps and exact decimals survive.
const (
	cursorVersion   = 1
	fingerprintSize = 8
	scopeSize       = 8
	tagSize         = 16
	// MaxCursor is the longest cursor, in characters, that Parse reads and
	// NextCursor writes.
	MaxCursor = 4096
)

// Cursor is where a page starts: after the rows up to Key, skipping the Dup
// rows whose key equals Key that were already sent.
type Cursor struct {
	// Key holds one value per KeyColumns entry, as bound: nil for NULL,
	// int64 or string (integers), string (numbers, dates, times, strings),
	// bool or time.Time (timestamps, UTC).
	Key []any
	// Dup is the number of rows with key Key already sent (at least 1).
	Dup int64

	text []string // canonical texts of Key, to compare keys
}

const allowedCursor = `the cursor of a previous answer's Link rel="next", with the same filters and order`

func cursorProblem(format string, args ...any) error {
	return problem.Param(ParamCursor, allowedCursor, format, args...)
}

// NextCursor returns the cursor of the page after the one whose last row
// had the key values lastRow (one per KeyColumns entry, as read from the
// driver: nil, integers, floats, strings, []byte, bool, time.Time, or a
// fmt.Stringer such as a DuckDB decimal) and ended with dup rows sharing
// that key. It is meant for a full page (Limit rows); the next page may then
// be empty. Page does this bookkeeping from the rows.
func (r *Request) NextCursor(lastRow []any, dup int) (string, error) {
	if !r.paged {
		return "", errors.New("query: NextCursor on a request that is not paged")
	}
	if len(lastRow) != len(r.key) {
		return "", fmt.Errorf("query: NextCursor needs %d key values, got %d", len(r.key), len(lastRow))
	}
	if dup < 1 {
		return "", fmt.Errorf("query: NextCursor with dup %d: the last row counts", dup)
	}
	texts, nulls := make([]string, len(r.key)), make([]bool, len(r.key))
	for i, k := range r.key {
		t, null, err := keyText(r.types[k.Column], lastRow[i])
		if err != nil {
			return "", fmt.Errorf("%w (column %q)", err, k.Column)
		}
		texts[i], nulls[i] = t, null
	}
	return r.encodeCursor(texts, nulls, int64(dup))
}

func (r *Request) encodeCursor(texts []string, nulls []bool, dup int64) (string, error) {
	// A page made only of rows tying with the previous cursor's key
	// continues that run: the rows to skip add up.
	if c := r.After; c != nil && sameKey(c, texts, nulls) {
		dup += c.Dup
	}
	b := make([]byte, 0, 64)
	b = append(b, cursorVersion)
	scope := sha256.Sum256([]byte(r.opts.Scope))
	b = append(b, scope[:scopeSize]...)
	b = append(b, r.fp[:]...)
	b = binary.AppendUvarint(b, uint64(dup))
	b = binary.AppendUvarint(b, uint64(len(texts)))
	for i, t := range texts {
		if nulls[i] {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
	}
	b = append(b, r.tag(b)...)
	s := base64.RawURLEncoding.EncodeToString(b)
	if len(s) > MaxCursor {
		return "", fmt.Errorf("query: the cursor would be %d characters, more than %d: key values too long", len(s), MaxCursor)
	}
	return s, nil
}

func sameKey(c *Cursor, texts []string, nulls []bool) bool {
	if len(c.Key) != len(texts) {
		return false
	}
	for i := range texts {
		if (c.Key[i] == nil) != nulls[i] || (!nulls[i] && c.text[i] != texts[i]) {
			return false
		}
	}
	return true
}

func (r *Request) tag(payload []byte) []byte {
	m := hmac.New(sha256.New, r.opts.Secret)
	m.Write(payload)
	return m.Sum(nil)[:tagSize]
}

func (r *Request) decodeCursor(s string) (*Cursor, error) {
	const malformed = "cursor is malformed: use the cursor of a previous answer's Link header as it was given"
	if len(s) > MaxCursor {
		return nil, cursorProblem("cursor is longer than %d characters", MaxCursor)
	}
	if s == "" {
		return nil, cursorProblem("cursor is empty")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 1+tagSize {
		return nil, cursorProblem(malformed)
	}
	if b[0] != cursorVersion {
		return nil, cursorProblem("cursor version %d is not supported: start again from the first page", b[0])
	}
	payload, tag := b[:len(b)-tagSize], b[len(b)-tagSize:]
	if !hmac.Equal(tag, r.tag(payload)) {
		return nil, cursorProblem("cursor is not valid: it was altered, or issued by another node or before a key change; start again from the first page")
	}
	d := decoder{b: payload[1:]}
	scope := d.next(scopeSize)
	fp := d.next(fingerprintSize)
	dup := d.uvarint()
	n := d.uvarint()
	if d.err || n > uint64(len(d.b)) {
		return nil, cursorProblem(malformed)
	}
	texts, nulls := make([]string, 0, n), make([]bool, 0, n)
	for range n {
		switch flag := d.next(1); {
		case d.err:
		case flag[0] == 0:
			texts, nulls = append(texts, ""), append(nulls, true)
		case flag[0] == 1:
			texts, nulls = append(texts, string(d.bytes())), append(nulls, false)
		default:
			d.err = true
		}
	}
	if d.err || len(d.b) != 0 || dup < 1 || dup > math.MaxInt64/2 {
		return nil, cursorProblem(malformed)
	}
	if want := sha256.Sum256([]byte(r.opts.Scope)); !slices.Equal(scope, want[:scopeSize]) {
		return nil, cursorProblem("cursor was issued for another product or major version")
	}
	if !slices.Equal(fp, r.fp[:]) {
		return nil, cursorProblem("cursor does not belong to this query: it was issued for other filters or order")
	}
	if len(texts) != len(r.key) {
		return nil, cursorProblem("cursor holds %d key values where this query's key has %d", len(texts), len(r.key))
	}
	c := &Cursor{Key: make([]any, n), text: texts}
	for i, k := range r.key {
		if nulls[i] {
			continue
		}
		v, err := keyValue(r.types[k.Column], texts[i])
		if err != nil {
			return nil, cursorProblem("cursor value for column %q: %s", k.Column, err.Error())
		}
		c.Key[i] = v
	}
	c.Dup = int64(dup)
	return c, nil
}

// decoder reads the cursor payload; err is set at the first short read.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) next(n int) []byte {
	if d.err || n < 0 || n > len(d.b) {
		d.err = true
		return make([]byte, max(n, 0))
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = true
		return nil
	}
	return d.next(int(n))
}

// fingerprint hashes what defines the sequence of rows a cursor walks: the
// filters (in a canonical order) and the key with its directions and types.
// Select and limit are left out: a client may change them between pages.
func (r *Request) fingerprint() [fingerprintSize]byte {
	var fp [fingerprintSize]byte
	if !r.paged {
		return fp
	}
	h := sha256.New()
	var buf []byte
	str := func(s string) {
		buf = binary.AppendUvarint(buf[:0], uint64(len(s)))
		h.Write(buf)
		h.Write([]byte(s))
	}
	str("datamesh query v1")
	for _, k := range r.key {
		str(k.Column)
		str(string(r.types[k.Column]))
		str(strconv.FormatBool(k.Desc) + strconv.FormatBool(k.NullsFirst))
	}
	fs := make([]string, len(r.Filters))
	for i, f := range r.Filters {
		fs[i] = canonicalFilter(f)
	}
	slices.Sort(fs)
	str(strconv.Itoa(len(fs)))
	for _, f := range fs {
		str(f)
	}
	copy(fp[:], h.Sum(nil))
	return fp
}

func canonicalFilter(f Filter) string {
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(f.Column)
	str(string(f.Op))
	str(strconv.FormatBool(f.Not))
	for _, v := range f.Values {
		switch x := v.(type) {
		case nil:
			str("n")
		case int64:
			str("i" + strconv.FormatInt(x, 10))
		case float64:
			str("f" + strconv.FormatFloat(x, 'g', -1, 64))
		case bool:
			str("b" + strconv.FormatBool(x))
		case time.Time:
			str("t" + x.UTC().Format(time.RFC3339Nano))
		case string:
			str("s" + x)
		default:
			str(fmt.Sprintf("?%T%v", x, x))
		}
	}
	return string(b)
}

// Page counts the rows of a page as the caller reads them, to build the
// next cursor. Feed it every row the statement returns, in order.
type Page struct {
	r     *Request
	idx   []int // positions of the key columns in a result row
	n     int
	texts []string
	nulls []bool
	dup   int64
}

// Page starts the bookkeeping of one page of r.
func (r *Request) Page() *Page {
	cols := r.Columns()
	p := &Page{r: r, idx: make([]int, len(r.key)), texts: make([]string, len(r.key)), nulls: make([]bool, len(r.key))}
	for i, k := range r.key {
		p.idx[i] = slices.Index(cols, k.Column)
	}
	return p
}

// Add records one result row, whose values are in Columns() order.
func (p *Page) Add(row []any) error {
	if !p.r.paged {
		p.n++
		return nil
	}
	if len(row) != len(p.r.Columns()) {
		return fmt.Errorf("query: a row of %d values where the statement has %d columns", len(row), len(p.r.Columns()))
	}
	same := p.n > 0
	for i, k := range p.r.key {
		t, null, err := keyText(p.r.types[k.Column], row[p.idx[i]])
		if err != nil {
			return fmt.Errorf("%w (column %q)", err, k.Column)
		}
		if same && (null != p.nulls[i] || t != p.texts[i]) {
			same = false
		}
		p.texts[i], p.nulls[i] = t, null
	}
	p.n++
	if same {
		p.dup++
	} else {
		p.dup = 1
	}
	return nil
}

// Rows is the number of rows added.
func (p *Page) Rows() int { return p.n }

// Next returns the cursor of the next page, or "" when this page was the
// last: the request is not limited, or the page has fewer than Limit rows.
// A full page always has a next one, which may be empty.
func (p *Page) Next() (string, error) {
	if !p.r.paged || p.r.Limit == 0 || p.n < p.r.Limit {
		return "", nil
	}
	return p.r.encodeCursor(p.texts, p.nulls, p.dup)
}
