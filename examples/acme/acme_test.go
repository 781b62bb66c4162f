//go:build duckdb_arrow

// Package acme_test checks the demo company: every domain validates as a
// node would see it, the mesh keeps the shape the demo relies on (products
// that compose other domains' products, two levels deep, all of them
// self-describing), and the committed data is what the generator writes.
// Serving the whole mesh with its catalog is tested with `datamesh up`.
package acme_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/datamesh/datamesh/connector/file"
	_ "github.com/datamesh/datamesh/connector/nats"
	_ "github.com/datamesh/datamesh/connector/product"
	_ "github.com/datamesh/datamesh/connector/sqlite"
	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine"
)

var domains = []string{"finance", "hr", "inventory", "legal", "marketing", "sales", "shipping"}

// TestDomainsValidate checks each domain folder as `datamesh validate`
// does. The only warnings allowed are product inputs that cannot be read
// without a catalog, and stream inputs without the embedded NATS server
// `datamesh up` runs.
func TestDomainsValidate(t *testing.T) {
	ctx := context.Background()
	for _, d := range domains {
		t.Run(d, func(t *testing.T) {
			descs, problems := descriptor.LoadDir(d)
			if problems.HasErrors() {
				t.Fatalf("%s", problems)
			}
			if len(descs) == 0 {
				t.Fatal("no descriptors")
			}
			e, err := engine.Open(ctx, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			_, more := e.Build(ctx, descs)
			for _, p := range append(problems, more...) {
				if p.Severity == descriptor.Error || !strings.Contains(p.Msg, "no url given and no catalog") &&
					!strings.Contains(p.Msg, "no embedded NATS server") {
					t.Errorf("%s", p)
				}
			}
		})
	}
}

// TestMeshShape checks what the demo promises: at least 12 products, each
// fully described; products reading other domains' products through the
// catalog (no url in a descriptor); and a product built from a product that
// is itself built from others.
func TestMeshShape(t *testing.T) {
	descs, problems := descriptor.LoadDir(".")
	if problems.HasErrors() {
		t.Fatalf("%s", problems)
	}
	if len(descs) < 12 {
		t.Errorf("%d products, want at least 12", len(descs))
	}
	byRef := map[string]*descriptor.Product{}
	for _, d := range descs {
		byRef[d.Domain+"/"+d.Name] = d
		if filepath.Dir(d.File) != d.Domain {
			t.Errorf("%s: in folder %s, want %s", d.ID(), filepath.Dir(d.File), d.Domain)
		}
	}
	upstreams := func(d *descriptor.Product) []*descriptor.Product {
		var ups []*descriptor.Product
		for _, in := range d.Inputs {
			if in.Kind != "product" {
				continue
			}
			if _, ok := in.Options["url"]; ok {
				t.Errorf("%s: input %s names a url; the catalog resolves products", d.ID(), in.Name)
			}
			s, _ := in.Options["ref"].(string)
			ref, err := descriptor.ParseRef(s)
			if err != nil {
				t.Errorf("%s: %v", d.ID(), err)
				continue
			}
			up := byRef[ref.Domain+"/"+ref.Name]
			if up == nil || !ref.Matches(up.Version) {
				t.Errorf("%s: input %s: no product of the mesh matches %s", d.ID(), in.Name, s)
				continue
			}
			ups = append(ups, up)
		}
		return ups
	}
	var depth func(d *descriptor.Product) int
	depth = func(d *descriptor.Product) int {
		n := 0
		for _, up := range upstreams(d) {
			n = max(n, 1+depth(up))
		}
		return n
	}
	crossDomain, deepest := 0, 0
	for _, d := range descs {
		if d.Description == "" || d.Owner.Team == "" || d.Owner.Email == "" || len(d.Tags) == 0 ||
			len(d.Output.PrimaryKey) == 0 || (d.SLA.LatencyP99 == 0 && d.SLA.Freshness == 0) {
			t.Errorf("%s: lacks a description, owner team or email, tags, primary key or SLA", d.ID())
		}
		for _, c := range d.Output.Schema {
			if c.Description == "" {
				t.Errorf("%s: column %s has no description", d.ID(), c.Name)
			}
		}
		if slices.ContainsFunc(upstreams(d), func(up *descriptor.Product) bool { return up.Domain != d.Domain }) {
			crossDomain++
		}
		deepest = max(deepest, depth(d))
	}
	if crossDomain < 3 {
		t.Errorf("%d products read other domains' products, want at least 3", crossDomain)
	}
	if deepest < 2 {
		t.Errorf("the deepest composition is %d level(s), want at least 2", deepest)
	}
}

// TestDataIsGenerated runs the generator into a temporary folder and
// compares every file with the committed data, byte for byte: the data is
// deterministic, and nobody edited it by hand.
func TestDataIsGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the generator")
	}
	out := t.TempDir()
	cmd := exec.Command("go", "run", "./gen", "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./gen: %v\n%s", err, b)
	}
	var generated []string
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, path)
		generated = append(generated, rel)
		want, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(rel)
		if err != nil {
			t.Errorf("%s is generated but not committed: %v", rel, err)
			return nil
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the generator writes: run go run ./examples/acme/gen", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range domains {
		files, _ := filepath.Glob(filepath.Join(d, "data", "*"))
		more, _ := filepath.Glob(filepath.Join(d, "data", "*", "*"))
		for _, f := range append(files, more...) {
			if fi, err := os.Stat(f); err == nil && !fi.IsDir() && !slices.Contains(generated, f) {
				t.Errorf("%s is committed but the generator does not write it", f)
			}
		}
	}
}
