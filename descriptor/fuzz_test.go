package descriptor_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datamesh/datamesh/descriptor"
)

// FuzzParse checks that no input makes Parse panic, and that every problem
// has a place: a line, or none only for a problem with the whole file.
func FuzzParse(f *testing.F) {
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml") {
			return err
		}
		data, err := os.ReadFile(path)
		f.Add(data)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("x: &a [*a]\ninputs: &b [*b]\noutput: {schema: &c [{examples: *c}]}\n"))
	f.Add([]byte("<<: {name: x}\n? [a]\n: b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, probs := descriptor.Parse("fuzz.yaml", data)
		for _, pr := range probs {
			if pr.Pos.File != "fuzz.yaml" || pr.Pos.Line < 0 || pr.Pos.Column < 0 {
				t.Fatalf("problem without a place: %#v", pr)
			}
			if pr.Pos.Line == 0 && pr.Path != "" {
				t.Fatalf("problem with a field but no line: %#v", pr)
			}
			if pr.Msg == "" {
				t.Fatalf("problem without a message: %#v", pr)
			}
		}
		_ = probs.Error()
		if p == nil {
			if !probs.HasErrors() {
				t.Fatal("no product and no error")
			}
			return
		}
		for path, pos := range p.Positions {
			if pos.Line < 1 || pos.Column < 1 {
				t.Fatalf("position of %s: %v", path, pos)
			}
		}
		if !probs.HasErrors() {
			// A valid product is complete.
			if p.Name == "" || p.Domain == "" || p.Description == "" || p.Owner.Team == "" ||
				len(p.Inputs) == 0 || p.Transform.SQL == "" || len(p.Output.Schema) == 0 || p.Serving.Mode == "" {
				t.Fatalf("valid but incomplete: %+v", p)
			}
			if _, err := descriptor.ParseVersion(p.Version); err != nil {
				t.Fatal(err)
			}
			for _, in := range p.Inputs {
				if in.Kind == "" || in.Options == nil || in.Node == nil {
					t.Fatalf("valid but incomplete input: %+v", in)
				}
			}
			for _, c := range p.Output.Schema {
				if !c.LogicalType.Valid() {
					t.Fatalf("valid but column type %q", c.LogicalType)
				}
			}
			for _, k := range p.Output.PrimaryKey {
				if c, ok := p.Column(k); !ok || !c.PrimaryKey {
					t.Fatalf("primary key %q: %+v", k, c)
				}
			}
		}
	})
}
