package descriptor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/datamesh/datamesh/descriptor"
)

func product(t *testing.T, domain, name string, refs ...string) *descriptor.Product {
	t.Helper()
	inputs := "  - name: local\n    file: local.csv\n"
	for i, r := range refs {
		inputs += fmt.Sprintf("  - name: in%d\n    product: %s\n", i, r)
	}
	src := fmt.Sprintf(`apiVersion: datamesh/v1
kind: DataProduct
name: %s
domain: %s
version: 1.0.0
description: Test.
owner: {team: t}
inputs:
%stransform:
  sql: select 1 as x
output:
  schema:
    - {name: x, logicalType: integer}
`, name, domain, inputs)
	p, problems := descriptor.Parse(domain+"/"+name+".yaml", []byte(src))
	if problems.HasErrors() {
		t.Fatal(problems)
	}
	return p
}

func TestCycles(t *testing.T) {
	a := product(t, "sales", "a", "finance/b@^1")
	b := product(t, "finance", "b", "hr/c@^1", "geo/elsewhere@^1")
	c := product(t, "hr", "c", "sales/a@^1")
	d := product(t, "hr", "d", "hr/d@^1")
	ok := product(t, "hr", "e", "finance/b@^1")

	problems := descriptor.Cycles([]*descriptor.Product{a, b, c, d})
	if len(problems) != 2 {
		t.Fatalf("problems = %v, want two cycles", problems)
	}
	got := problems.Error()
	for _, want := range []string{
		"finance/b -> hr/c -> sales/a -> finance/b",
		"hr/d.yaml:12:14: inputs[1].product: dependency cycle: hr/d -> hr/d",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if p := descriptor.Cycles([]*descriptor.Product{b, ok}); len(p) != 0 {
		t.Errorf("no cycle, but: %v", p)
	}
}
