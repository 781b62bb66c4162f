//go:build duckdb_arrow

package postgres_test

import (
	"os"
	"strings"
	"testing"

	"github.com/datamesh/datamesh/connector"
	_ "github.com/datamesh/datamesh/connector/all"
)

// TestDocs checks that docs/connectors.md has a section for every
// registered connector, with a row for each of its options. (It lives here
// because this package's tests import every connector already.)
func TestDocs(t *testing.T) {
	data, err := os.ReadFile("../../docs/connectors.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, kind := range connector.Kinds() {
		_, section, ok := strings.Cut(doc, "\n## "+kind+"\n")
		if !ok {
			t.Errorf("docs/connectors.md has no section \"## %s\"", kind)
			continue
		}
		section, _, _ = strings.Cut(section, "\n## ")
		spec, _ := connector.Lookup(kind)
		for _, o := range spec.Options {
			if !strings.Contains(section, "| `"+o.Name+"` |") {
				t.Errorf("docs/connectors.md, section %s: no row for option %s", kind, o.Name)
			}
		}
	}
}
