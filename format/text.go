package format

import (
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"
)

// This file holds the allocation-free primitives that render one value into
// a byte buffer: JSON strings, CSV fields, numbers, decimals, dates, times
// and durations. They know nothing of Arrow.

// bytesOrString lets one primitive serve both Arrow's byte buffers and the
// strings returned by view arrays and ValueStr, without conversions.
type bytesOrString interface{ ~string | ~[]byte }

const hexDigits = "0123456789abcdef"

// jsonSafe[b] reports whether byte b may stand in a JSON string as it is.
// Bytes from 0x80 up are not "safe" so that the slow path checks UTF-8.
var jsonSafe [256]bool

// csvSafe[b] reports whether byte b may stand in an unquoted CSV field
// without a UTF-8 check.
var csvSafe [256]bool

func init() {
	for b := 0x20; b < 0x80; b++ {
		jsonSafe[b] = b != '"' && b != '\\'
		csvSafe[b] = b != '"' && b != ','
	}
	csvSafe['\t'] = true
	for b := 0; b < 0x20; b++ {
		if b != '\r' && b != '\n' {
			csvSafe[b] = true
		}
	}
}

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// load64 reads 8 bytes little-endian; the compiler merges the loads.
func load64[S bytesOrString](s S, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// hasByte reports (as a non-zero word) whether any byte of x equals b.
func hasByte(x uint64, b byte) uint64 {
	y := x ^ (lo8 * uint64(b))
	return (y - lo8) & ^y & hi8
}

// jsonPlainPrefix returns the length of the longest prefix of s that needs
// no escaping in a JSON string (ASCII, no control character, quote or
// backslash). It looks at 8 bytes at a time.
func jsonPlainPrefix[S bytesOrString](s S) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := load64(s, i)
		// bytes < 0x20, bytes >= 0x80, '"' and '\\'.
		if ((x-lo8*0x20)|x)&hi8|hasByte(x, '"')|hasByte(x, '\\') != 0 {
			break
		}
	}
	for i < len(s) && jsonSafe[s[i]] {
		i++
	}
	return i
}

// csvPlainPrefix is jsonPlainPrefix for CSV: it stops at a comma, quote, CR,
// LF or any byte >= 0x80.
func csvPlainPrefix[S bytesOrString](s S) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := load64(s, i)
		if x&hi8|hasByte(x, ',')|hasByte(x, '"')|hasByte(x, '\n')|hasByte(x, '\r') != 0 {
			break
		}
	}
	for i < len(s) && csvSafe[s[i]] {
		i++
	}
	return i
}

// appendJSONString appends s as a quoted JSON string. Control characters
// are escaped, invalid UTF-8 bytes become U+FFFD, and U+2028/U+2029 are
// escaped so that the output is also valid JavaScript.
func appendJSONString[S bytesOrString](dst []byte, s S) []byte {
	dst = append(dst, '"')
	i := jsonPlainPrefix(s)
	if i == len(s) {
		dst = append(dst, s...)
		return append(dst, '"')
	}
	dst = append(dst, s[:i]...)
	start := i
	for i < len(s) {
		b := s[i]
		if b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := decodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// decodeRune decodes the first rune of s like utf8.DecodeRune, returning
// (utf8.RuneError, 1) for an invalid or truncated sequence, for strings and
// byte slices alike without converting (and copying) either.
func decodeRune[S bytesOrString](s S) (rune, int) {
	if len(s) == 0 {
		return utf8.RuneError, 0
	}
	b0 := s[0]
	if b0 < utf8.RuneSelf {
		return rune(b0), 1
	}
	var need int
	var r, least rune
	switch {
	case b0&0xE0 == 0xC0:
		need, r, least = 2, rune(b0&0x1F), 0x80
	case b0&0xF0 == 0xE0:
		need, r, least = 3, rune(b0&0x0F), 0x800
	case b0&0xF8 == 0xF0:
		need, r, least = 4, rune(b0&0x07), 0x10000
	default:
		return utf8.RuneError, 1
	}
	if len(s) < need {
		return utf8.RuneError, 1
	}
	for k := 1; k < need; k++ {
		c := s[k]
		if c&0xC0 != 0x80 {
			return utf8.RuneError, 1
		}
		r = r<<6 | rune(c&0x3F)
	}
	if r < least || r > utf8.MaxRune || (r >= 0xD800 && r <= 0xDFFF) {
		return utf8.RuneError, 1
	}
	return r, need
}

// appendValidUTF8 appends s with each byte that is not part of valid UTF-8
// replaced by U+FFFD.
func appendValidUTF8[S bytesOrString](dst []byte, s S) []byte {
	start, i := 0, 0
	for i < len(s) {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := decodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// appendCSVField appends s as one RFC 4180 field: quoted when it holds a
// comma, a quote, CR or LF, or when it is empty (so that an empty string
// differs from NULL, which is written as nothing). Invalid UTF-8 bytes
// become U+FFFD.
func appendCSVField[S bytesOrString](dst []byte, s S) []byte {
	i := csvPlainPrefix(s)
	if i == len(s) {
		if len(s) == 0 {
			return append(dst, '"', '"')
		}
		return append(dst, s...)
	}
	quote := false
	for j := i; j < len(s); j++ {
		if c := s[j]; c == ',' || c == '"' || c == '\r' || c == '\n' {
			quote = true
			break
		}
	}
	if !quote {
		return appendValidUTF8(dst, s)
	}
	dst = append(dst, '"')
	start := 0
	for j := i; j < len(s); j++ {
		if s[j] == '"' {
			dst = appendValidUTF8(dst, s[start:j+1])
			start = j // the quote is written twice
		}
	}
	dst = appendValidUTF8(dst, s[start:])
	return append(dst, '"')
}

// appendFloat appends f in the shortest text that reads back as the same
// float of the given bit size, in the style of encoding/json (and
// JavaScript): plain decimal between 1e-6 and 1e21, exponent form outside.
// NaN and infinities are written as NaN, Infinity and -Infinity; JSON
// callers turn them into null before calling.
func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	abs := math.Abs(f)
	fmt := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			fmt = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, fmt, -1, bits)
	if fmt == 'e' {
		// 1e-07 -> 1e-7, as JavaScript writes it.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// appendScaled appends the decimal whose unscaled absolute value has the
// given digits, with scale digits after the point (trailing zeros kept: a
// DECIMAL(10,2) 1.5 is written 1.50). A negative scale appends zeros.
func appendScaled(dst []byte, neg bool, digits []byte, scale int32) []byte {
	zero := len(digits) == 1 && digits[0] == '0'
	if neg && !zero {
		dst = append(dst, '-')
	}
	if scale <= 0 {
		dst = append(dst, digits...)
		if !zero {
			for k := int32(0); k < -scale; k++ {
				dst = append(dst, '0')
			}
		}
		return dst
	}
	s := int(scale)
	if len(digits) <= s {
		dst = append(dst, '0', '.')
		for k := len(digits); k < s; k++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	at := len(digits) - s
	dst = append(dst, digits[:at]...)
	dst = append(dst, '.')
	return append(dst, digits[at:]...)
}

// appendDecimalInt appends an unscaled value that fits in int64.
func appendDecimalInt(dst []byte, v int64, scale int32) []byte {
	var tmp [24]byte
	neg := v < 0
	u := uint64(v)
	if neg {
		u = -u
	}
	return appendScaled(dst, neg, strconv.AppendUint(tmp[:0], u, 10), scale)
}

// appendDecimalMag appends a decimal given its sign and 64-bit magnitude.
func appendDecimalMag(dst []byte, neg bool, u uint64, scale int32) []byte {
	var tmp [24]byte
	return appendScaled(dst, neg, strconv.AppendUint(tmp[:0], u, 10), scale)
}

// appendDecimalBig appends an unscaled value of any size.
func appendDecimalBig(dst []byte, b *big.Int, scale int32) []byte {
	var tmp [80]byte
	neg := b.Sign() < 0
	b.Abs(b)
	return appendScaled(dst, neg, b.Append(tmp[:0], 10), scale)
}

// floorDivMod returns q, r with a = q*b + r and 0 <= r < b (b > 0).
func floorDivMod(a, b int64) (int64, int64) {
	q, r := a/b, a%b
	if r < 0 {
		q--
		r += b
	}
	return q, r
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil, inverted).
func civil(days int64) (y int64, m, d int) {
	z := days + 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// append2 appends v (0..99) as two digits, larger values in full.
func append2(dst []byte, v int64) []byte {
	if v >= 0 && v < 100 {
		return append(dst, digitPairs[2*v], digitPairs[2*v+1])
	}
	return strconv.AppendInt(dst, v, 10)
}

// appendDate appends the date days after 1970-01-01 as YYYY-MM-DD. Years
// outside 0000..9999 are written as ISO 8601 expanded years with a sign
// and six digits (+010000-01-01, -000001-01-01), as JavaScript does.
func appendDate(dst []byte, days int64) []byte {
	y, m, d := civil(days)
	if y >= 0 && y <= 9999 {
		dst = append2(dst, y/100)
		dst = append2(dst, y%100)
	} else {
		u := uint64(y)
		if y < 0 {
			dst = append(dst, '-')
			u = -u
		} else {
			dst = append(dst, '+')
		}
		var tmp [24]byte
		digits := strconv.AppendUint(tmp[:0], u, 10)
		for k := len(digits); k < 6; k++ {
			dst = append(dst, '0')
		}
		dst = append(dst, digits...)
	}
	dst = append(dst, '-')
	dst = append2(dst, int64(m))
	dst = append(dst, '-')
	return append2(dst, int64(d))
}

// appendFrac appends "." and frac as a width-digit fraction with trailing
// zeros removed; nothing when frac is zero.
func appendFrac(dst []byte, frac int64, width int) []byte {
	if frac == 0 || width == 0 {
		return dst
	}
	for width > 0 && frac%10 == 0 {
		frac /= 10
		width--
	}
	dst = append(dst, '.')
	n := len(dst)
	for k := 0; k < width; k++ {
		dst = append(dst, '0')
	}
	for k := n + width - 1; k >= n; k-- {
		dst[k] = byte('0' + frac%10)
		frac /= 10
	}
	return dst
}

// appendClock appends HH:MM:SS[.fff] for sec seconds after midnight.
func appendClock(dst []byte, sec, frac int64, width int) []byte {
	dst = append2(dst, sec/3600)
	dst = append(dst, ':')
	dst = append2(dst, sec/60%60)
	dst = append(dst, ':')
	dst = append2(dst, sec%60)
	return appendFrac(dst, frac, width)
}

// appendDuration appends an ISO 8601 duration: P[nY][nM][nD][T[nH][nM][n.fS]],
// PT0S when all parts are zero. Parts keep their own sign, as PostgreSQL's
// iso_8601 interval style does (P-1M3D, PT-1M-30S): an interval's months,
// days and time are independent quantities. sec and frac (in units of
// width digits) must have the same sign.
func appendDuration(dst []byte, months, days, sec, frac int64, width int) []byte {
	dst = append(dst, 'P')
	if months == 0 && days == 0 && sec == 0 && frac == 0 {
		return append(dst, 'T', '0', 'S')
	}
	if y := months / 12; y != 0 {
		dst = strconv.AppendInt(dst, y, 10)
		dst = append(dst, 'Y')
	}
	if m := months % 12; m != 0 {
		dst = strconv.AppendInt(dst, m, 10)
		dst = append(dst, 'M')
	}
	if days != 0 {
		dst = strconv.AppendInt(dst, days, 10)
		dst = append(dst, 'D')
	}
	if sec == 0 && frac == 0 {
		return dst
	}
	dst = append(dst, 'T')
	if h := sec / 3600; h != 0 {
		dst = strconv.AppendInt(dst, h, 10)
		dst = append(dst, 'H')
	}
	if m := sec / 60 % 60; m != 0 {
		dst = strconv.AppendInt(dst, m, 10)
		dst = append(dst, 'M')
	}
	if s := sec % 60; s != 0 || frac != 0 {
		if s < 0 || frac < 0 {
			dst = append(dst, '-')
		}
		dst = strconv.AppendUint(dst, uint64(absInt(s)), 10)
		dst = appendFrac(dst, absInt(frac), width)
		dst = append(dst, 'S')
	}
	return dst
}

func absInt(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
