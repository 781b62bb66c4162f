package catalog

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/datamesh/datamesh/descriptor"

	// Descriptor validation checks each input's options with its
	// connector's spec. These are pure Go (no cgo, no engine).
	_ "github.com/datamesh/datamesh/connector/file"
	_ "github.com/datamesh/datamesh/connector/product"
	_ "github.com/datamesh/datamesh/connector/sqlite"
)

// File is one descriptor offered for publishing: its path in the domain's
// repository (used in problems and to tell files apart) and its YAML.
type File struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// PublishRequest is the JSON body of POST /api/publish.
type PublishRequest struct {
	Files []File `json:"files"`
}

// PublishResult is the answer to a publish.
type PublishResult struct {
	// Status is "published" when anything was recorded, "unchanged" when
	// every version was already published with the same content.
	Status   string      `json:"status"`
	Products []Outcome   `json:"products"`
	Warnings []ProblemAt `json:"warnings,omitempty"`
}

// ProblemAt is a descriptor problem as the API reports it.
type ProblemAt struct {
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Path     string `json:"path,omitempty"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	// Text is the whole problem as one line: file:line:col: path: message.
	Text string `json:"text"`
}

func problemsAt(ps descriptor.Problems) []ProblemAt {
	out := make([]ProblemAt, 0, len(ps))
	for _, p := range ps {
		out = append(out, ProblemAt{File: p.Pos.File, Line: p.Pos.Line, Column: p.Pos.Column, Path: p.Path,
			Severity: p.Severity.String(), Message: p.Msg, Text: p.String()})
	}
	return out
}

// InvalidError lists every problem that stops a publish (or a
// registration): the API answers it with 422.
type InvalidError struct {
	What     string // "descriptor", "registration"
	Problems descriptor.Problems
}

func (e *InvalidError) Error() string {
	errs := e.Problems.Errors()
	return fmt.Sprintf("%d %s problem%s:\n%s", len(errs), e.What, plural(len(errs)), errs.Error())
}

// CycleError is a publish whose product inputs would form a loop.
type CycleError struct {
	Cycles   [][]string // each a path of versions, first == last
	Problems descriptor.Problems
}

func (e *CycleError) Error() string {
	var lines []string
	for _, c := range e.Cycles {
		lines = append(lines, strings.Join(c, " -> "))
	}
	return "dependency cycle: " + strings.Join(lines, "; ")
}

// PublishConflictError is a publish of versions already published with
// other content; a published version is immutable.
type PublishConflictError struct {
	Changes []Changes
}

func (e *PublishConflictError) Error() string {
	var parts []string
	for _, c := range e.Changes {
		parts = append(parts, fmt.Sprintf("%s is already published with other content (%s)", c.ID, c.String()))
	}
	return strings.Join(parts, "; ") + ": a published version never changes; publish the change as a new version (a new major for a breaking change)"
}

// Publish validates descriptors and records them, all or none. It returns
// an *InvalidError listing every problem of every file, a
// *PublishConflictError when a version was published before with other
// content, or a *CycleError when product inputs would form a loop.
func (s *Server) Publish(ctx context.Context, files []File) (*PublishResult, error) {
	batch, descs, warnings, err := parseFiles(files)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, p := range batch {
		p.PublishedAt = now
	}
	outcomes, err := s.store.Publish(ctx, batch, func(g *Graph) error {
		return checkCycles(g, batch, descs)
	})
	var conflict *ConflictError
	if errors.As(err, &conflict) {
		pe := &PublishConflictError{}
		for _, c := range conflict.Conflicts {
			pe.Changes = append(pe.Changes, Diff(c.Existing, c.New))
		}
		return nil, pe
	}
	if err != nil {
		return nil, err
	}
	res := &PublishResult{Status: "unchanged", Products: outcomes, Warnings: problemsAt(warnings)}
	for _, o := range outcomes {
		if o.Status != OutcomeUnchanged {
			res.Status = "published"
		}
	}
	for _, o := range outcomes {
		if o.Status != OutcomeUnchanged {
			s.log.Info("published", "id", o.ID, "file", o.File, "outcome", o.Status)
		}
	}
	return res, nil
}

// parseFiles parses and validates every file, and checks that one batch
// does not hold one version twice with different content.
func parseFiles(files []File) ([]*Product, map[string]*descriptor.Product, descriptor.Problems, error) {
	var probs descriptor.Problems
	if len(files) == 0 {
		probs = append(probs, descriptor.Problem{Msg: "no descriptor given: send {\"files\": [{\"path\": \"...\", \"content\": \"<yaml>\"}]} or one YAML descriptor"})
		return nil, nil, nil, &InvalidError{What: "descriptor", Problems: probs}
	}
	var (
		batch []*Product
		descs = map[string]*descriptor.Product{}
		paths = map[string]bool{}
		first = map[string]*Product{}
	)
	for i, f := range files {
		name := cleanPath(f.Path, i)
		if paths[name] {
			probs = append(probs, descriptor.Problem{Pos: descriptor.Pos{File: name}, Msg: "this path is given twice in one publish"})
			continue
		}
		paths[name] = true
		d, ps := descriptor.Parse(name, []byte(f.Content))
		probs = append(probs, ps...)
		if d == nil || ps.HasErrors() {
			continue
		}
		p := FromDescriptor(d, []byte(f.Content))
		if prev, dup := first[p.ID()]; dup {
			if prev.ContentHash != p.ContentHash {
				probs = append(probs, d.Problem("version", "%s is also in %s with other content (%s)",
					p.ID(), prev.File, Diff(prev, p).String()))
			}
			continue
		}
		first[p.ID()] = p
		descs[p.ID()] = d
		batch = append(batch, p)
	}
	probs.Sort()
	if probs.HasErrors() {
		return nil, nil, nil, &InvalidError{What: "descriptor", Problems: probs.Errors()}
	}
	return batch, descs, probs.Warnings(), nil
}

// cleanPath names a published file: its path, slash-separated and
// cleaned, or file[i] when none is given.
func cleanPath(p string, i int) string {
	p = strings.TrimSpace(strings.ReplaceAll(p, "\\", "/"))
	if p == "" {
		return "file[" + strconv.Itoa(i) + "]"
	}
	return path.Clean(p)
}

// checkCycles refuses a batch whose product inputs close a loop through
// any of its versions. A version depends on every recorded version that
// its input's range matches, so that a later version cannot close a loop
// either.
func checkCycles(g *Graph, batch []*Product, descs map[string]*descriptor.Product) error {
	for _, p := range batch {
		var deps []Dep
		for _, in := range p.Inputs {
			if in.Kind != "product" {
				continue
			}
			if ref, err := descriptor.ParseRef(in.Ref); err == nil {
				deps = append(deps, Dep{Input: in.Name, To: Key{ref.Domain, ref.Name}, Range: ref.Range})
			}
		}
		id := p.ID()
		delete(g.Deps, id) // a record from a node is replaced
		g.Add(p.Key(), p.Version, deps)
	}
	w := &walker{g: g, refs: map[string]descriptor.Ref{}}
	cerr := &CycleError{}
	for _, p := range batch {
		start := p.ID()
		path := w.loop(start)
		if path == nil {
			continue
		}
		cerr.Cycles = append(cerr.Cycles, path)
		if d := descs[start]; d != nil {
			input := w.firstInput[start]
			at := "inputs"
			for i, in := range d.Inputs {
				if in.Name == input {
					at = fmt.Sprintf("inputs[%d].product", i)
				}
			}
			cerr.Problems = append(cerr.Problems, d.Problem(at, "dependency cycle: %s; a product cannot depend on itself, directly or through others",
				strings.Join(path, " -> ")))
		}
	}
	if len(cerr.Cycles) == 0 {
		return nil
	}
	return cerr
}

// walker finds loops in a Graph.
type walker struct {
	g          *Graph
	refs       map[string]descriptor.Ref
	firstInput map[string]string // start id -> the input its loop leaves by
}

// next returns the versions id depends on, with the input leading there.
func (w *walker) next(id string) []struct{ id, input string } {
	var out []struct{ id, input string }
	for _, d := range w.g.Deps[id] {
		s := d.To.String() + "@" + d.Range
		ref, ok := w.refs[s]
		if !ok {
			ref, _ = descriptor.ParseRef(s)
			w.refs[s] = ref
		}
		for _, v := range w.g.Versions[d.To] {
			if ref.Matches(v) {
				out = append(out, struct{ id, input string }{d.To.String() + "@" + v, d.Input})
			}
		}
	}
	return out
}

// loop returns a path from start back to start, or nil.
func (w *walker) loop(start string) []string {
	if w.firstInput == nil {
		w.firstInput = map[string]string{}
	}
	seen := map[string]bool{}
	var path []string
	var visit func(id string) bool
	visit = func(id string) bool {
		for _, n := range w.next(id) {
			if n.id == start {
				if len(path) == 1 {
					w.firstInput[start] = n.input
				}
				path = append(path, n.id)
				return true
			}
			if seen[n.id] {
				continue
			}
			seen[n.id] = true
			if len(path) == 1 {
				w.firstInput[start] = n.input
			}
			path = append(path, n.id)
			if visit(n.id) {
				return true
			}
			path = path[:len(path)-1]
		}
		return false
	}
	path = append(path, start)
	if visit(start) {
		return path
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
