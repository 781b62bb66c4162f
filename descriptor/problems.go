package descriptor

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a problem stops a descriptor from being served.
type Severity int

// Severities. The zero value is Error, so that a Problem is an error unless
// it says otherwise.
const (
	Error   Severity = iota // the descriptor is invalid
	Warning                 // the descriptor works, but should be changed
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem is one thing wrong with a descriptor, with where it stands.
type Problem struct {
	Pos Pos
	// Path is the field at fault, such as inputs[1].file or
	// output.schema[2].logicalType; empty for the whole file.
	Path     string
	Severity Severity
	Msg      string
}

// String formats the problem as file:line:col: path: message, with
// "warning: " before the path of a warning.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Pos.String())
	b.WriteString(": ")
	if p.Severity == Warning {
		b.WriteString("warning: ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in one or more descriptors. It is an
// error; use Err to get a nil error when there is no error among them.
type Problems []Problem

// Error lists the problems one per line, sorted by file, line and column.
func (ps Problems) Error() string {
	s := make(Problems, len(ps))
	copy(s, ps)
	s.Sort()
	lines := make([]string, len(s))
	for i, p := range s {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Sort orders the problems by file, line and column, keeping the order in
// which they were found for problems at the same place.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Pos, ps[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// Errors returns the problems of severity Error.
func (ps Problems) Errors() Problems { return ps.filter(Error) }

// Warnings returns the problems of severity Warning.
func (ps Problems) Warnings() Problems { return ps.filter(Warning) }

// HasErrors reports whether any problem is an error.
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if p.Severity == Error {
			return true
		}
	}
	return false
}

// Err returns the errors among ps as an error, or nil when there are none
// (warnings alone are not an error).
func (ps Problems) Err() error {
	if errs := ps.Errors(); len(errs) > 0 {
		return errs
	}
	return nil
}

func (ps Problems) filter(s Severity) Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == s {
			out = append(out, p)
		}
	}
	return out
}

// Problem returns an error about the field at path (such as transform.sql
// or output.schema[2].logicalType), placed where that field stands in the
// descriptor, or where its closest enclosing field does.
func (p *Product) Problem(path, format string, args ...any) Problem {
	return Problem{Pos: p.Pos(path), Path: path, Severity: Error, Msg: fmt.Sprintf(format, args...)}
}

// Warning is Problem with severity Warning.
func (p *Product) Warning(path, format string, args ...any) Problem {
	w := p.Problem(path, format, args...)
	w.Severity = Warning
	return w
}
