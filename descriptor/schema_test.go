package descriptor_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/descriptor"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(descriptor.JSONSchema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("descriptor.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("descriptor.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// instance reads a YAML file as the JSON value an editor validates.
func instance(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestSchemaGood(t *testing.T) {
	s := compileSchema(t)
	for _, file := range []string{
		"testdata/good/aviation/delays-by-airport.yaml",
		"testdata/good/geo/airports.yaml",
		"testdata/good/geo/regions.yml",
	} {
		if err := s.Validate(instance(t, file)); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}

// TestSchemaBad checks that the schema rejects the bad fixtures it can tell
// (it cannot see duplicates, cross-field rules or a connector's own checks).
func TestSchemaBad(t *testing.T) {
	s := compileSchema(t)
	for _, name := range []string{
		"unknown-field", "unknown-field-nested", "wrong-type-list", "wrong-type-bool", "wrong-type-mapping",
		"bad-semver", "bad-name", "bad-domain", "bad-api-version", "bad-kind", "missing-owner", "missing-team",
		"bad-email", "two-connectors", "no-connector", "unknown-connector", "unknown-option", "missing-option",
		"bad-enum", "bad-option-type", "null-connector", "bad-input-name", "empty-inputs", "input-not-mapping",
		"empty-sql", "missing-sql", "bad-column-name", "bad-logical-type", "missing-logical-type", "empty-schema",
		"bad-mode", "bad-duration", "bad-availability", "not-mapping",
	} {
		if err := s.Validate(instance(t, "testdata/bad/"+name+".yaml")); err == nil {
			t.Errorf("%s: valid by the schema", name)
		}
	}
}

// TestSchemaFields checks that the schema's properties are exactly the
// fields the loader knows, so that the two cannot drift apart.
func TestSchemaFields(t *testing.T) {
	var doc struct {
		Defs map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(descriptor.JSONSchema(), &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]json.RawMessage) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	sorted := func(s []string) []string {
		s = slices.Clone(s)
		sort.Strings(s)
		return s
	}
	for obj, f := range descriptor.Fields() {
		def, ok := doc.Defs[obj]
		if !ok {
			t.Errorf("schema has no $defs/%s", obj)
			continue
		}
		if got, want := keys(def.Properties), sorted(f[0]); !slices.Equal(got, want) {
			t.Errorf("$defs/%s properties %q, loader fields %q", obj, got, want)
		}
		if got, want := sorted(def.Required), sorted(f[1]); !slices.Equal(got, want) {
			t.Errorf("$defs/%s required %q, loader requires %q", obj, got, want)
		}
	}
	kinds := connector.Kinds()
	if len(kinds) < 2 {
		t.Fatalf("connectors registered: %q", kinds)
	}
	if got, want := keys(doc.Defs["input"].Properties), sorted(append([]string{"name"}, kinds...)); !slices.Equal(got, want) {
		t.Errorf("$defs/input properties %q, want %q", got, want)
	}
	for _, kind := range kinds {
		spec, _ := connector.Lookup(kind)
		var names, required []string
		for _, o := range spec.Options {
			names = append(names, o.Name)
			if o.Required {
				required = append(required, o.Name)
			}
		}
		def := doc.Defs["connector-"+kind]
		if got := keys(def.Properties); !slices.Equal(got, sorted(names)) {
			t.Errorf("$defs/connector-%s properties %q, want %q", kind, got, sorted(names))
		}
		if got := sorted(def.Required); !slices.Equal(got, sorted(required)) {
			t.Errorf("$defs/connector-%s required %q, want %q", kind, got, sorted(required))
		}
	}
}

// TestDocs checks that the reference shows the DESIGN example verbatim.
func TestDocs(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "descriptor.md"))
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("testdata/good/aviation/delays-by-airport.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, append([]byte("```yaml\n"), example...)) {
		t.Error("docs/descriptor.md does not show testdata/good/aviation/delays-by-airport.yaml verbatim")
	}
	for obj, f := range descriptor.Fields() {
		for _, field := range f[0] {
			if !bytes.Contains(doc, []byte("`"+field+"`")) {
				t.Errorf("docs/descriptor.md does not document %s.%s", obj, field)
			}
		}
	}
}
