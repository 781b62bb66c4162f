//go:build duckdb_arrow

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String() + errOut.String(), err
}

func exitCode(err error) int {
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		return 1
	}
}

func TestValidateExample(t *testing.T) {
	for _, dir := range []string{"../../examples/acme/hr", "../../examples/acme/sales"} {
		out, err := runCLI(t, "validate", dir)
		if err != nil {
			t.Fatalf("%s: %v\n%s", dir, err, out)
		}
		if !strings.Contains(out, "product(s) valid") {
			t.Errorf("%s: %s", dir, out)
		}
	}
}

func TestInitThenValidate(t *testing.T) {
	mesh := t.TempDir()
	out, err := runCLI(t, "init", "geo/airports", "--dir", mesh)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// The scaffold validates once its data exists.
	data := filepath.Join(mesh, "geo", "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "airports.csv"), []byte("id\n1\n2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, "validate", filepath.Join(mesh, "geo")); err != nil {
		t.Fatalf("scaffold does not validate: %v\n%s", err, out)
	}
	// A second init does not overwrite.
	if out, err := runCLI(t, "init", "geo/airports", "--dir", mesh); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("second init: %v %s", err, out)
	}
	if _, err := runCLI(t, "init", "Geo/Air Ports", "--dir", mesh); err == nil {
		t.Fatal("init accepted a bad name")
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.csv"), []byte("a,b\n1,2\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "x.yaml"), []byte(`apiVersion: datamesh/v1
kind: DataProduct
name: x
domain: test
version: 1.0
description: Broken twice.
owner: {team: t}
inputs:
  - name: x
    file: x.csv
transform:
  sql: select a, b from x
output:
  schema:
    - {name: a, logicalType: integer}
    - {name: b, logicalTyp: integer}
`), 0o644)
	out, err := runCLI(t, "validate", dir)
	if exitCode(err) != 1 {
		t.Fatalf("exit %d, want 1: %s", exitCode(err), out)
	}
	for _, want := range []string{"x.yaml:5:", "version", "x.yaml:16:", `did you mean "logicalType"`, "3 error(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSchemaIsJSON(t *testing.T) {
	out, err := runCLI(t, "schema")
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	defs, _ := s["$defs"].(map[string]any)
	product, _ := defs["product"].(map[string]any)
	props, _ := product["properties"].(map[string]any)
	if s["$ref"] != "#/$defs/product" || props["inputs"] == nil || defs["connector-sqlite"] == nil {
		t.Errorf("schema lacks the product's inputs or the sqlite connector: %v", s)
	}
}

func TestUsage(t *testing.T) {
	out, err := runCLI(t, "help")
	if err != nil || !strings.Contains(out, "serve") || !strings.Contains(out, "validate") {
		t.Fatalf("help: %v %s", err, out)
	}
	if _, err := runCLI(t, "nope"); err == nil {
		t.Fatal("unknown command accepted")
	}
	for _, cmd := range []string{"serve", "validate", "init", "schema"} {
		out, err := runCLI(t, cmd, "--help")
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out, "Usage: datamesh "+cmd) {
			t.Errorf("%s --help: %v %s", cmd, err, out)
		}
	}
}

// The DESIGN example must always validate, unchanged.
func TestDesignExampleValidates(t *testing.T) {
	ours, err := os.ReadFile("testdata/aviation/delays-by-airport.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := os.ReadFile("../../descriptor/testdata/good/aviation/delays-by-airport.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, pinned) {
		t.Fatal("testdata/aviation/delays-by-airport.yaml differs from the pinned DESIGN example")
	}
	out, err := runCLI(t, "validate", "testdata/aviation")
	if err != nil || !strings.Contains(out, "1 product(s) valid") {
		t.Fatalf("%v\n%s", err, out)
	}
}
