package descriptor_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/datamesh/datamesh/connector/file"
	_ "github.com/datamesh/datamesh/connector/product"
	"github.com/datamesh/datamesh/descriptor"
)

const design = "testdata/good/aviation/delays-by-airport.yaml"

// mustLoad loads a descriptor that must have no problem at all.
func mustLoad(tb testing.TB, path string) *descriptor.Product {
	tb.Helper()
	p, probs := descriptor.LoadFile(path)
	if len(probs) > 0 {
		tb.Fatalf("LoadFile(%s):\n%v", path, probs)
	}
	return p
}

func TestDesignExample(t *testing.T) {
	p := mustLoad(t, design)

	if got, want := p.ID(), "aviation/delays-by-airport@1.0.0"; got != want {
		t.Errorf("ID = %q, want %q", got, want)
	}
	if p.Major() != 1 {
		t.Errorf("Major = %d, want 1", p.Major())
	}
	wantDir, _ := filepath.Abs("testdata/good/aviation")
	if p.File != design || p.Dir != wantDir {
		t.Errorf("File, Dir = %q, %q, want %q, %q", p.File, p.Dir, design, wantDir)
	}
	if p.Title != "Monthly flight delays by origin airport" ||
		p.Description != "Mean and 95th percentile departure delay per origin airport and month." {
		t.Errorf("Title, Description = %q, %q", p.Title, p.Description)
	}
	if p.Owner != (descriptor.Owner{Team: "aviation-analytics", Email: "aviation@example.com"}) {
		t.Errorf("Owner = %+v", p.Owner)
	}
	if !slices.Equal(p.Tags, []string{"flights", "delays"}) {
		t.Errorf("Tags = %q", p.Tags)
	}
	if len(p.Inputs) != 2 {
		t.Fatalf("Inputs = %+v", p.Inputs)
	}
	in := p.Inputs[0]
	if in.Name != "flights" || in.Kind != "file" || !reflect.DeepEqual(in.Options, map[string]any{"path": "data/flights.parquet"}) {
		t.Errorf("Inputs[0] = %+v", in)
	}
	if in.Node == nil || in.Node.Value != "data/flights.parquet" || in.Node.Line != 15 {
		t.Errorf("Inputs[0].Node = %+v", in.Node)
	}
	in = p.Inputs[1]
	if in.Name != "airports" || in.Kind != "product" || !reflect.DeepEqual(in.Options, map[string]any{"ref": "geo/airports@^1"}) {
		t.Errorf("Inputs[1] = %+v", in)
	}
	if !strings.HasPrefix(p.Transform.SQL, "select f.origin as airport,") || !strings.HasSuffix(p.Transform.SQL, "group by all\n") {
		t.Errorf("Transform.SQL = %q", p.Transform.SQL)
	}
	if !slices.Equal(p.Output.PrimaryKey, []string{"airport", "month"}) {
		t.Errorf("PrimaryKey = %q", p.Output.PrimaryKey)
	}
	want := []descriptor.Column{
		{Name: "airport", LogicalType: descriptor.String, Required: true, PrimaryKey: true, Description: "IATA code of the origin airport"},
		{Name: "state", LogicalType: descriptor.String},
		{Name: "month", LogicalType: descriptor.Date, Required: true, PrimaryKey: true},
		{Name: "avg_delay", LogicalType: descriptor.Number, Description: "Mean departure delay in minutes"},
		{Name: "p95_delay", LogicalType: descriptor.Number},
		{Name: "flights", LogicalType: descriptor.Integer},
	}
	if !reflect.DeepEqual(p.Output.Schema, want) {
		t.Errorf("Schema =\n%+v\nwant\n%+v", p.Output.Schema, want)
	}
	if c, ok := p.Column("month"); !ok || c.LogicalType != descriptor.Date {
		t.Errorf("Column(month) = %+v, %v", c, ok)
	}
	if _, ok := p.Column("nope"); ok {
		t.Error("Column(nope) found")
	}
	if p.Serving.Mode != descriptor.ModeLive {
		t.Errorf("Mode = %q", p.Serving.Mode)
	}
	if p.SLA.LatencyP99 != descriptor.Duration(200*time.Millisecond) || p.SLA.Freshness != descriptor.Duration(24*time.Hour) {
		t.Errorf("SLA = %+v", p.SLA)
	}
}

// TestPositions checks that every field and item of the DESIGN example has
// its position recorded, and where some of them stand.
func TestPositions(t *testing.T) {
	p := mustLoad(t, design)
	paths := []string{
		"apiVersion", "kind", "name", "domain", "version", "title", "description",
		"owner", "owner.team", "owner.email", "tags", "tags[0]", "tags[1]",
		"inputs", "inputs[0]", "inputs[0].name", "inputs[0].file", "inputs[0].file.path",
		"inputs[1]", "inputs[1].name", "inputs[1].product", "inputs[1].product.ref",
		"transform", "transform.sql",
		"output", "output.primaryKey", "output.primaryKey[0]", "output.primaryKey[1]", "output.schema",
		"serving", "serving.mode", "sla", "sla.latencyP99", "sla.freshness",
	}
	fields := map[int][]string{
		0: {"name", "logicalType", "required", "description"},
		1: {"name", "logicalType"},
		2: {"name", "logicalType", "required"},
		3: {"name", "logicalType", "description"},
		4: {"name", "logicalType"},
		5: {"name", "logicalType"},
	}
	for i := range len(fields) {
		c := "output.schema[" + string(rune('0'+i)) + "]"
		paths = append(paths, c)
		for _, f := range fields[i] {
			paths = append(paths, c+"."+f)
		}
	}
	var got []string
	for path := range p.Positions {
		got = append(got, path)
	}
	slices.Sort(got)
	slices.Sort(paths)
	if !slices.Equal(got, paths) {
		t.Errorf("positions of\n%q\nwant\n%q", got, paths)
	}

	for path, want := range map[string]string{
		"apiVersion":                   "2:13",
		"owner":                        "9:1",  // a mapping: its key
		"owner.team":                   "10:9", // a scalar: its value
		"tags":                         "12:1",
		"tags[1]":                      "12:17",
		"inputs[0]":                    "14:5",
		"inputs[0].file":               "15:11",
		"inputs[0].file.path":          "15:11", // shorthand: the scalar
		"inputs[1].product.ref":        "17:14",
		"transform.sql":                "19:8", // the | of the block
		"output.primaryKey[1]":         "26:25",
		"output.schema[3]":             "37:7",
		"output.schema[3].name":        "37:13",
		"output.schema[5].logicalType": "43:20",
		"sla.freshness":                "48:14",
		// Paths not in the file fall back to the closest enclosing one.
		"output.schema[5].unique": "42:7",
		"inputs[0].file.format":   "15:11",
		"no.such.field":           "1:1",
	} {
		pos := p.Pos(path)
		if got := strings.TrimPrefix(pos.String(), design+":"); got != want {
			t.Errorf("Pos(%q) = %s, want %s", path, got, want)
		}
	}
}

// TestFull loads a descriptor giving every field once.
func TestFull(t *testing.T) {
	p := mustLoad(t, "testdata/good/geo/airports.yaml")
	if p.Version != "1.2.0-rc.1+build.5" || p.Major() != 1 {
		t.Errorf("Version = %q, Major = %d", p.Version, p.Major())
	}
	if p.Description != "Airports of the world with their IATA code, state and position.\n" {
		t.Errorf("Description = %q", p.Description)
	}
	wantOpts := []map[string]any{
		{"path": "data/airports.csv", "format": "csv", "delimiter": ";", "header": true},
		{"ref": "geo/countries@>=1.1 <2", "url": "http://127.0.0.1:8081"},
		{"ref": "geo/regions@~1.2"},
	}
	for i, in := range p.Inputs {
		if !reflect.DeepEqual(in.Options, wantOpts[i]) {
			t.Errorf("Inputs[%d].Options = %#v, want %#v", i, in.Options, wantOpts[i])
		}
	}
	// The key comes from the columns marked primaryKey (ODCS style).
	if !slices.Equal(p.Output.PrimaryKey, []string{"iata"}) {
		t.Errorf("PrimaryKey = %q", p.Output.PrimaryKey)
	}
	iata := descriptor.Column{Name: "iata", LogicalType: descriptor.String, Description: "IATA code",
		Required: true, Unique: true, PrimaryKey: true, Classification: "public", Examples: []any{"SFO", "JFK"}}
	if !reflect.DeepEqual(p.Output.Schema[0], iata) {
		t.Errorf("Schema[0] = %#v", p.Output.Schema[0])
	}
	if c, _ := p.Column("lat"); !reflect.DeepEqual(c.Examples, []any{37.62}) {
		t.Errorf("lat examples = %#v", c.Examples)
	}
	if p.Serving.Mode != descriptor.ModeMaterialized {
		t.Errorf("Mode = %q", p.Serving.Mode)
	}
	if got := p.Serving.Refresh.String(); got != "0 */6 * * *" {
		t.Errorf("Refresh = %q", got)
	}
	if next := p.Serving.Refresh.Next(time.Date(2024, 5, 1, 6, 0, 0, 0, time.UTC)); !next.Equal(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("Refresh.Next = %v", next)
	}
	if p.Serving.Timeout != descriptor.Duration(5*time.Minute) {
		t.Errorf("Timeout = %v", p.Serving.Timeout)
	}
	want := descriptor.SLA{LatencyP99: descriptor.Duration(50 * time.Millisecond),
		Freshness: descriptor.Duration(7 * 24 * time.Hour), Availability: "99.95%"}
	if p.SLA != want {
		t.Errorf("SLA = %+v, want %+v", p.SLA, want)
	}
}

// TestBad pins the exact problems of each bad fixture.
func TestBad(t *testing.T) {
	cases := map[string][]string{
		"bad-api-version":      {`2:13: apiVersion: "datamesh/v2" is not supported: write datamesh/v1`},
		"bad-availability":     {`22:17: sla.availability: "99.9" is not a percentage: write it like 99.9%`},
		"bad-column-name":      {`19:13: output.schema[1].name: "avg delay" is not a valid column name: use letters, digits and underscores, starting with a letter or underscore`},
		"bad-domain":           {`5:9: domain: "-aviation" is not a valid name: use lowercase letters, digits and single dashes, starting with a letter (e.g. delays-by-airport)`},
		"bad-duration":         {`22:15: sla.latencyP99: "200 millis" is not a duration (use a number with a unit: 200ms, 30s, 24h, 7d)`},
		"bad-email":            {`10:10: owner.email: "aviation-at-example.com" is not an email address`},
		"bad-enum":             {`14:15: inputs[0].file.format: "xlsx" is not one of csv, parquet, json, ndjson`},
		"bad-file-format":      {`12:11: inputs[0].file.path: cannot tell the format of "flights.dat" from its extension ".dat": name it with format: (one of csv, parquet, json, ndjson)`},
		"bad-input-name":       {`11:11: inputs[0].name: "Flights-2024" is not a valid input name: use lowercase letters, digits and underscores, starting with a letter or underscore (the transform reads the input by this name)`},
		"bad-kind":             {`3:7: kind: "DataContract" is not supported: write DataProduct`},
		"bad-logical-type":     {`20:20: output.schema[1].logicalType: "int" is not a logical type; did you mean "integer"?`},
		"bad-mode":             {`22:9: serving.mode: "materialised" is not a serving mode (live, materialized, async); did you mean "materialized"?`},
		"bad-cron":             {`23:12: serving.refresh: "0 25 * * *" is not a valid cron expression: hour "25" is out of range 0-23`},
		"bad-refresh":          {`23:12: serving.refresh: "every hour" is neither an interval (a duration: 15m, 1h, 1d) nor a cron expression of 5 fields (minute hour day-of-month month day-of-week, e.g. "0 */6 * * *")`},
		"bad-timeout":          {`24:12: serving.timeout: "0s" is zero: give a positive duration, or leave timeout out for the node's default`},
		"refresh-live":         {`22:12: serving.refresh: only materialized products are refreshed, and this one is live: set serving.mode: materialized, or remove refresh`},
		"bad-name":             {`4:7: name: "Delays_By_Airport" is not a valid name: use lowercase letters, digits and single dashes, starting with a letter (e.g. delays-by-airport)`},
		"bad-option-type":      {`14:15: inputs[0].file.header: must be a boolean (true or false), not the string "yes"`},
		"bad-product-ref":      {`12:14: inputs[0].product.ref: "geo/flights" has no version range: write domain/name@range, e.g. geo/airports@^1`},
		"bad-product-url":      {`14:12: inputs[0].product.url: must be an http:// or https:// URL of a node`},
		"bad-semver":           {`6:10: version: "1.0" is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)`},
		"duplicate-columns":    {`19:13: output.schema[1].name: duplicate column name "Origin" (first at line 17)`},
		"duplicate-field":      {`7:1: version: given twice (first at line 6)`},
		"duplicate-inputs":     {`13:11: inputs[1].name: duplicate input name "flights" (first at line 11)`},
		"empty-description":    {`7:14: description: must not be empty: say what the product holds`},
		"empty-inputs":         {`10:9: inputs: must list at least one input`},
		"empty-schema":         {`16:11: output.schema: must list at least one column`},
		"empty-sql":            {`14:8: transform.sql: must not be empty: write the SELECT that computes the product`},
		"empty":                {`the file is empty: a descriptor is a mapping of fields (apiVersion, kind, name, ...)`},
		"input-not-mapping":    {`11:5: inputs[0]: must be a mapping with a name and one connector key (file, product), not the string "data/flights.csv"`},
		"missing-logical-type": {`19:7: output.schema[1].logicalType: required field is missing`},
		"missing-option":       {`13:7: inputs[0].file.path: required option is missing`},
		"missing-owner":        {`2:1: owner: required field is missing`},
		"missing-sql": {
			`14:3: transform.query: unknown field "query"; expected one of: sql`,
			`14:3: transform.sql: required field is missing`,
		},
		"missing-team":         {`9:3: owner.team: required field is missing`},
		"no-connector":         {`11:5: inputs[0]: names no connector: add one key of file, product`},
		"not-mapping":          {`2:1: a descriptor must be a mapping of fields (apiVersion, kind, name, ...), not a list`},
		"null-connector":       {`12:5: inputs[0].file: needs a value: a path, or a mapping of options (path, format, delimiter, header)`},
		"primary-key-disagree": {`22:19: output.schema[1].primaryKey: is true, but output.primaryKey [origin] does not list "delay"`},
		"primary-key-unknown":  {`16:16: output.primaryKey[0]: "orign" is not a column of output.schema; did you mean "origin"?`},
		"syntax":               {`10: YAML syntax: mapping values are not allowed in this context`},
		"two-connectors":       {`13:5: inputs[0].product: a second connector ("product" after "file"): an input reads exactly one source`},
		"two-documents":        {`22:1: a second YAML document: a descriptor file holds one product (remove this document or the --- before it)`},
		"unknown-connector":    {`12:5: inputs[0].fiel: unknown connector "fiel"; did you mean "file"?`},
		"unknown-field-nested": {`21:7: output.schema[1].requred: unknown field "requred"; did you mean "required"?`},
		"unknown-field": {
			`2:1: description: required field is missing`,
			`7:1: descripton: unknown field "descripton"; did you mean "description"?`,
		},
		"unknown-option":     {`14:7: inputs[0].file.fromat: unknown option "fromat" of file; did you mean "format"?`},
		"wrong-type-bool":    {`19:17: output.schema[0].required: must be a boolean (true or false), not the string "yes"`},
		"wrong-type-list":    {`8:7: tags: must be a list of strings, not the string "flights"`},
		"wrong-type-mapping": {`8:8: owner: must be a mapping of fields (team, email), not the string "aviation-analytics"`},
	}
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		if _, ok := cases[name]; !ok {
			t.Errorf("%s has no expected problems in this table", file)
		}
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			file := "testdata/bad/" + name + ".yaml"
			_, probs := descriptor.LoadFile(file)
			var got []string
			for _, p := range probs {
				s := p.String()
				if rest, ok := strings.CutPrefix(s, file+": "); ok {
					s = rest // a whole-file problem
				} else {
					s = strings.TrimPrefix(s, file+":")
				}
				got = append(got, s)
			}
			if !slices.Equal(got, want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if !probs.HasErrors() || probs.Err() == nil {
				t.Error("no error")
			}
		})
	}
}

// TestAllProblems checks that a descriptor with many problems reports all of
// them at once, in file order.
func TestAllProblems(t *testing.T) {
	data := `apiVersion: datamesh/v1
kind: DataProduct
name: Bad Name
domain: aviation
version: v1
description: ""
owner: {team: a, emial: a@example.com}
tags: [ok, {no: 1}]
inputs:
  - name: flights
    file: {path: data/flights.csv, format: xls}
  - name: flights
    sqlit: x.db
  - name: airports
transform:
  sql: select 1
output:
  primaryKey: [id]
  schema:
    - name: origin
      logicalType: String
      required: yes
    - {name: origin, logicalType: string}
serving: {mode: now}
sla: {freshness: 1 day}
`
	p, probs := descriptor.Parse("many.yaml", []byte(data))
	if p == nil {
		t.Fatal("no product")
	}
	want := []string{
		`many.yaml:3:7: name: "Bad Name" is not a valid name: use lowercase letters, digits and single dashes, starting with a letter (e.g. delays-by-airport)`,
		`many.yaml:5:10: version: "v1" is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)`,
		`many.yaml:6:14: description: must not be empty: say what the product holds`,
		`many.yaml:7:18: owner.emial: unknown field "emial"; did you mean "email"?`,
		`many.yaml:8:12: tags[1]: must be a string, not a mapping`,
		`many.yaml:11:44: inputs[0].file.format: "xls" is not one of csv, parquet, json, ndjson`,
		`many.yaml:12:11: inputs[1].name: duplicate input name "flights" (first at line 10)`,
		`many.yaml:13:5: inputs[1].sqlit: unknown connector "sqlit"; expected one of: file, product`,
		`many.yaml:14:5: inputs[2]: names no connector: add one key of file, product`,
		`many.yaml:18:16: output.primaryKey[0]: "id" is not a column of output.schema; expected one of: origin`,
		`many.yaml:21:20: output.schema[0].logicalType: "String" is not a logical type (string, integer, number, boolean, date, timestamp, time, object, array); did you mean "string"?`,
		`many.yaml:22:17: output.schema[0].required: must be a boolean (true or false), not the string "yes"`,
		`many.yaml:23:14: output.schema[1].name: duplicate column name "origin" (first at line 20)`,
		`many.yaml:24:17: serving.mode: "now" is not a serving mode (live, materialized, async)`,
		`many.yaml:25:18: sla.freshness: "1 day" is not a duration (use a number with a unit: 200ms, 30s, 24h, 7d)`,
	}
	if got := probs.Error(); got != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	// What could be read is there, so that tools can show it.
	if p.Domain != "aviation" || len(p.Inputs) != 3 || len(p.Output.Schema) != 2 || p.Transform.SQL != "select 1" {
		t.Errorf("product = %+v", p)
	}
}

func TestLoadDir(t *testing.T) {
	products, probs := descriptor.LoadDir("testdata/good")
	if len(probs) > 0 {
		t.Fatalf("problems:\n%v", probs)
	}
	var ids []string
	for _, p := range products {
		ids = append(ids, p.ID())
	}
	// In path order; notes.yaml is not a descriptor and _drafts is skipped.
	want := []string{"aviation/delays-by-airport@1.0.0", "geo/airports@1.2.0-rc.1+build.5", "geo/regions@1.2.3"}
	if !slices.Equal(ids, want) {
		t.Errorf("products %q, want %q", ids, want)
	}
}

func TestLoadDirProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	desc := func(domain, name, version string) string {
		return "apiVersion: datamesh/v1\nkind: DataProduct\nname: " + name + "\ndomain: " + domain + "\nversion: " + version +
			"\ndescription: d\nowner: {team: t}\ninputs: [{name: x, file: x.csv}]\ntransform: {sql: select * from x}\n" +
			"output: {schema: [{name: a, logicalType: string}]}\n"
	}
	write("a/one.yaml", desc("sales", "orders", "1.0.0"))
	write("b/two.yml", desc("sales", "orders", "1.3.0"))         // same major: a duplicate
	write("b/three.yaml", desc("sales", "orders", "2.0.0"))      // another major
	write("c/four.yaml", desc("billing", "orders", "1.0.0"))     // another domain
	write("c/five.yaml", desc("sales", "orders", "1.0.1"))       // a second duplicate
	write("d/broken.yaml", "kind: DataProduct\nname: [\n")       // a broken descriptor
	write("d/other.yaml", "just: [broken\n")                     // broken, but not a descriptor
	write("d/config.yaml", "kind: Deployment\napiVersion: v1\n") // another kind of file
	write(".git/x.yaml", desc("sales", "orders", "1.0.0"))       // hidden folder
	write("_old/x.yaml", desc("sales", "orders", "1.0.0"))       // skipped folder
	write("e/.x.yaml", desc("sales", "orders", "1.0.0"))         // hidden file
	write("e/README.md", "kind: DataProduct\n")                  // not YAML

	products, probs := descriptor.LoadDir(dir)
	if len(products) != 5 {
		t.Errorf("%d products, want 5", len(products))
	}
	got := strings.ReplaceAll(probs.Error(), dir+string(filepath.Separator), "")
	want := strings.Join([]string{
		"b/two.yml:3:7: name: product sales/orders major version 1 is already declared in " + filepath.Join(dir, "a/one.yaml") + ":3:7",
		"c/five.yaml:3:7: name: product sales/orders major version 1 is already declared in " + filepath.Join(dir, "a/one.yaml") + ":3:7",
		"d/broken.yaml:2: YAML syntax: did not find expected node content",
	}, "\n")
	want = strings.ReplaceAll(want, dir+string(filepath.Separator), "")
	if got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}

	if _, probs := descriptor.LoadDir(filepath.Join(dir, "nope")); !probs.HasErrors() {
		t.Error("LoadDir of a missing folder: no problem")
	}
}

func TestLoadFileMissing(t *testing.T) {
	p, probs := descriptor.LoadFile("testdata/nope.yaml")
	if p != nil || len(probs) != 1 || probs[0].Pos.Line != 0 ||
		probs[0].String() != "testdata/nope.yaml: open: no such file or directory" {
		t.Errorf("LoadFile = %v, %q", p, probs.Error())
	}
}

// TestRenamed checks the mechanism that keeps a renamed field working.
func TestRenamed(t *testing.T) {
	defer descriptor.Rename("owner.name", "team")()
	base := "apiVersion: datamesh/v1\nkind: DataProduct\nname: n\ndomain: d\nversion: 1.0.0\ndescription: d\n" +
		"inputs: [{name: x, file: x.csv}]\ntransform: {sql: select * from x}\n" +
		"output: {schema: [{name: a, logicalType: string}]}\n"

	p, probs := descriptor.Parse("r.yaml", []byte(base+"owner:\n  name: ops\n"))
	if p.Owner.Team != "ops" {
		t.Errorf("Team = %q, want the old field's value", p.Owner.Team)
	}
	if got, want := probs.Error(), `r.yaml:11:3: warning: owner.name: deprecated: "name" was renamed "team"`; got != want {
		t.Errorf("problems %q, want %q", got, want)
	}
	if probs.HasErrors() || probs.Err() != nil || len(probs.Warnings()) != 1 {
		t.Errorf("a deprecation is a warning only: %v", probs)
	}
	if got, want := p.Pos("owner.team").String(), "r.yaml:11:9"; got != want {
		t.Errorf("Pos(owner.team) = %s, want %s", got, want)
	}

	_, probs = descriptor.Parse("r.yaml", []byte(base+"owner:\n  team: ops\n  name: dev\n"))
	want := `r.yaml:12:3: warning: owner.name: deprecated: "name" was renamed "team"` + "\n" +
		`r.yaml:12:3: owner.team: given twice, as "team" (line 11) and as "name"`
	if got := probs.Error(); got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}

func TestProblems(t *testing.T) {
	p := &descriptor.Product{File: "p.yaml", Positions: map[string]descriptor.Pos{
		"transform.sql":    {File: "p.yaml", Line: 19, Column: 8},
		"output.schema[2]": {File: "p.yaml", Line: 30, Column: 7},
	}}
	probs := descriptor.Problems{
		p.Problem("output.schema[2].logicalType", "declared %s, but the SQL gives %s", "integer", "VARCHAR"),
		p.Warning("transform.sql", "input %q is never read", "airports"),
		{Pos: descriptor.Pos{File: "a.yaml"}, Msg: "whole file"},
		p.Problem("sla", "at the start"),
		{Pos: descriptor.Pos{File: "p.yaml", Line: 19}, Msg: "a line"},
	}
	want := strings.Join([]string{
		"a.yaml: whole file",
		"p.yaml:1:1: sla: at the start",
		"p.yaml:19: a line",
		`p.yaml:19:8: warning: transform.sql: input "airports" is never read`,
		"p.yaml:30:7: output.schema[2].logicalType: declared integer, but the SQL gives VARCHAR",
	}, "\n")
	if got := probs.Error(); got != want {
		t.Errorf("Error():\n%s\nwant:\n%s", got, want)
	}
	if probs[0].Path != "output.schema[2].logicalType" {
		t.Error("Error() sorted the problems in place")
	}
	if !probs.HasErrors() || len(probs.Errors()) != 4 || len(probs.Warnings()) != 1 || probs.Warnings()[0].Severity != descriptor.Warning {
		t.Errorf("Errors, Warnings = %v, %v", probs.Errors(), probs.Warnings())
	}
	warnings := probs.Warnings()
	if warnings.HasErrors() || warnings.Err() != nil || probs.Err() == nil {
		t.Error("warnings alone are not an error")
	}
	if descriptor.Error.String() != "error" || descriptor.Warning.String() != "warning" {
		t.Error("Severity.String")
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"200ms": 200 * time.Millisecond, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour,
		"1.5d": 36 * time.Hour, "1h30m": 90 * time.Minute, "0": 0,
	} {
		if d, err := descriptor.ParseDuration(in); err != nil || time.Duration(d) != want {
			t.Errorf("ParseDuration(%q) = %v, %v, want %v", in, d, err, want)
		}
	}
	for _, in := range []string{"", "d", "1xd", "-1d", "-5s", "1 d", "1e400d", "Infd", "NaNd", "1dd", "200"} {
		if d, err := descriptor.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
}

// TestAliasBomb checks that aliases cannot expand a small file into an
// enormous value.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i <= 9; i++ {
		prev := "*x" + string(rune('0'+i-1))
		b.WriteString("x" + string(rune('0'+i)) + ": &x" + string(rune('0'+i)) + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	doc := "apiVersion: datamesh/v1\nkind: DataProduct\nname: n\ndomain: d\nversion: 1.0.0\ndescription: d\n" +
		"owner: {team: t}\ninputs: [{name: x, file: x.csv}]\ntransform: {sql: select * from x}\n" +
		"output: {schema: [{name: a, logicalType: string, examples: *x9}]}\n"
	_, probs := descriptor.Parse("bomb.yaml", []byte("anchors:\n"+indent(b.String())+doc))
	if got := probs.Error(); !strings.Contains(got, "expands to too many values") {
		t.Errorf("problems:\n%s", got)
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}
