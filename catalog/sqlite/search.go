package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/datamesh/datamesh/catalog"
)

// ftsQuery writes terms as an FTS5 query: every term must match, a term of
// several words as a phrase, its last word as a prefix. Words hold only
// letters, digits and marks, and each phrase is double-quoted, so that no
// user text is ever read as FTS5 syntax.
func ftsQuery(terms []string) string {
	var parts []string
	for _, ws := range catalog.TermWords(terms) {
		parts = append(parts, `"`+strings.ReplaceAll(strings.Join(ws, " "), `"`, `""`)+`"*`)
	}
	return strings.Join(parts, " AND ")
}

// bm25 weighs the columns of product_fts: domain, name, title,
// description, tags, owner, columns.
const bm25 = "bm25(product_fts, 3.0, 10.0, 6.0, 1.5, 3.0, 2.0, 0.5)"

// filter is a search's conditions on versions v, with their arguments,
// and the full-text query (empty without terms).
type filter struct {
	where string
	args  []any
	fts   string
}

// where builds the conditions of q on the latest versions (alias v), each
// filter as a set of ids the planner can start from. The full-text
// condition is left to each statement, which puts it where it is cheapest.
func where(q catalog.Query) filter {
	conds := []string{"v.is_latest = 1"}
	var args []any
	in := func(expr string, values []string) {
		if len(values) == 0 {
			return
		}
		conds = append(conds, expr+" IN ("+placeholders(len(values))+")")
		for _, v := range values {
			args = append(args, v)
		}
	}
	in("v.domain", q.Domains)
	in("v.status", q.Statuses)
	if len(q.Owners) > 0 {
		ph := placeholders(len(q.Owners))
		conds = append(conds, "v.id IN (SELECT id FROM versions WHERE lower(owner_team) IN ("+ph+
			") UNION ALL SELECT id FROM versions WHERE lower(owner_email) IN ("+ph+"))")
		for range 2 {
			for _, o := range q.Owners {
				args = append(args, strings.ToLower(o))
			}
		}
	}
	for _, t := range q.Tags {
		conds = append(conds, "v.id IN (SELECT version_id FROM latest_tags WHERE tag = ?)")
		args = append(args, strings.ToLower(t))
	}
	return filter{where: strings.Join(conds, " AND "), args: args, fts: ftsQuery(q.Terms)}
}

// Search finds products: see catalog.Store. Three statements run at once
// on their own connections: counts by domain, owner and status in one
// group (read from the versions_facets index), counts by tag, and the
// page.
func (s *Store) Search(ctx context.Context, q catalog.Query) (*catalog.Results, error) {
	f := where(q)
	cond, args := f.where, f.args
	if f.fts != "" {
		cond += " AND v.id IN (SELECT rowid FROM product_fts WHERE product_fts MATCH ?)"
		args = append(append([]any(nil), args...), f.fts)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = catalog.DefaultLimit
	}
	res := &catalog.Results{Items: []catalog.Summary{}}
	var (
		wg                      sync.WaitGroup
		facetErr, tagErr, pgErr error
		tags                    []catalog.FacetValue
		items                   []catalog.Summary
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		tags, tagErr = s.tagFacet(ctx, f, cond, args)
	}()
	go func() {
		defer wg.Done()
		items, pgErr = s.page(ctx, f, limit, q.Offset)
	}()
	facetErr = s.facets(ctx, cond, args, res)
	wg.Wait()
	if err := errors.Join(facetErr, tagErr, pgErr); err != nil {
		return nil, fmt.Errorf("catalog sqlite: search: %w", err)
	}
	res.Facets.Tag = tags
	if items != nil {
		res.Items = items
	}
	return res, nil
}

// facets counts the matches by domain, owner and status, and in all.
func (s *Store) facets(ctx context.Context, cond string, args []any, res *catalog.Results) error {
	rows, err := s.r.QueryContext(ctx, "SELECT v.domain, v.owner_team, v.status, count(*) FROM versions v WHERE "+cond+
		" GROUP BY v.domain, v.owner_team, v.status", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	domains, owners, statuses := map[string]int{}, map[string]int{}, map[string]int{}
	for rows.Next() {
		var d, o, st string
		var n int
		if err := rows.Scan(&d, &o, &st, &n); err != nil {
			return err
		}
		domains[d] += n
		owners[o] += n
		statuses[st] += n
		res.Total += n
	}
	res.Facets.Domain, res.Facets.Owner, res.Facets.Status = catalog.Facet(domains), catalog.Facet(owners), catalog.Facet(statuses)
	return rows.Err()
}

// tagFacet counts the matches by tag.
func (s *Store) tagFacet(ctx context.Context, f filter, cond string, args []any) ([]catalog.FacetValue, error) {
	var q string
	switch {
	case f.where == "v.is_latest = 1" && f.fts == "":
		q, args = "SELECT tag, count(*) FROM latest_tags GROUP BY tag", nil
	case f.where == "v.is_latest = 1":
		// The full-text index holds only latest versions.
		q, args = "SELECT tag, count(*) FROM latest_tags WHERE version_id IN (SELECT rowid FROM product_fts WHERE product_fts MATCH ?) GROUP BY tag", []any{f.fts}
	default:
		q = "SELECT tag, count(*) FROM latest_tags WHERE version_id IN (SELECT v.id FROM versions v WHERE " + cond + ") GROUP BY tag"
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return catalog.ScanFacet(rows)
}

// page returns one page of matches: by relevance (ties by age) with terms,
// by domain and name without.
func (s *Store) page(ctx context.Context, f filter, limit, offset int) ([]catalog.Summary, error) {
	var (
		q    string
		args []any
	)
	switch {
	case f.fts == "":
		q = "SELECT " + summaryColumns + " FROM versions v WHERE " + f.where + " ORDER BY v.domain, v.name LIMIT ? OFFSET ?"
		args = append(append(args, f.args...), limit, offset)
	case f.where == "v.is_latest = 1":
		// The full-text index holds only latest versions: rank there,
		// then read the page's rows.
		q = "WITH p AS (SELECT rowid AS id, " + bm25 + " AS score FROM product_fts WHERE product_fts MATCH ? ORDER BY score, rowid LIMIT ? OFFSET ?) " +
			"SELECT " + summaryColumns + " FROM p JOIN versions v ON v.id = p.id ORDER BY p.score, p.id"
		args = []any{f.fts, limit, offset}
	default:
		q = "SELECT " + summaryColumns + " FROM product_fts JOIN versions v ON v.id = product_fts.rowid WHERE product_fts MATCH ? AND " +
			f.where + " ORDER BY " + bm25 + ", v.id LIMIT ? OFFSET ?"
		args = append(append([]any{f.fts}, f.args...), limit, offset)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	ids, items, err := scanSummaries(rows)
	if err != nil {
		return nil, err
	}
	if err := addServing(ctx, s.r, ids, items); err != nil {
		return nil, err
	}
	return items, nil
}

const summaryColumns = `v.id, v.domain, v.name, v.version, v.major, v.title, v.description, v.owner_team, v.owner_email,
	v.tags, v.serving_mode, v.status`

func scanSummaries(rows *sql.Rows) ([]int64, []catalog.Summary, error) {
	defer rows.Close()
	return catalog.ScanSummaries(rows)
}

// addServing sets the URL and node links of each summary from the best
// node serving its version: available first, then the freshest.
func addServing(ctx context.Context, q querier, ids []int64, items []catalog.Summary) error {
	if len(ids) == 0 {
		return nil
	}
	at := map[int64]int{}
	args := make([]any, len(ids))
	for i, id := range ids {
		at[id] = i
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, `SELECT v.id, np.url, np.links FROM versions v
		JOIN node_products np ON np.domain = v.domain AND np.name = v.name AND np.version = v.version
		JOIN nodes n ON n.name = np.node
		WHERE v.id IN (`+placeholders(len(ids))+`)
		ORDER BY v.id, n.available DESC, n.last_heartbeat DESC, n.name`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	done := map[int64]bool{}
	for rows.Next() {
		var (
			id         int64
			url, links string
		)
		if err := rows.Scan(&id, &url, &links); err != nil {
			return err
		}
		if done[id] {
			continue
		}
		done[id] = true
		it := &items[at[id]]
		it.URL = url
		var l map[string]string
		_ = json.Unmarshal([]byte(links), &l)
		for k, v := range l {
			it.Links[k] = v
		}
	}
	return rows.Err()
}

// keyValues writes keys as a CTE k(d, n) and its arguments. Statements
// read k with CROSS JOIN, which SQLite takes as the order of the loops:
// for each key, an index search (otherwise, with many keys, the planner
// may scan versions and k for each row).
func keyValues(keys []catalog.Key) (string, []any) {
	args := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, k.Domain, k.Name)
	}
	return "WITH k(d, n) AS (VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?), ", len(keys)), ", ") + ") ", args
}

// chunk is how many keys one statement takes.
const chunk = 400

// Summaries returns the latest version of each product in keys.
func (s *Store) Summaries(ctx context.Context, keys []catalog.Key) (map[catalog.Key]catalog.Summary, error) {
	out := map[catalog.Key]catalog.Summary{}
	for len(keys) > 0 {
		part := keys[:min(chunk, len(keys))]
		keys = keys[len(part):]
		cte, args := keyValues(part)
		rows, err := s.r.QueryContext(ctx, cte+`SELECT `+summaryColumns+` FROM k
			CROSS JOIN versions v ON v.domain = k.d AND v.name = k.n WHERE v.is_latest = 1`, args...)
		if err != nil {
			return nil, err
		}
		ids, items, err := scanSummaries(rows)
		if err != nil {
			return nil, err
		}
		if err := addServing(ctx, s.r, ids, items); err != nil {
			return nil, err
		}
		for _, it := range items {
			out[catalog.Key{Domain: it.Domain, Name: it.Name}] = it
		}
	}
	return out, nil
}

// Edges returns inputs up or down from keys: see catalog.Store.
func (s *Store) Edges(ctx context.Context, keys []catalog.Key, dir catalog.Direction) ([]catalog.Edge, error) {
	var out []catalog.Edge
	for len(keys) > 0 {
		part := keys[:min(chunk, len(keys))]
		keys = keys[len(part):]
		cte, args := keyValues(part)
		q := cte + `SELECT v.domain, v.name, v.version, e.input, e.kind, e.to_domain, e.to_name, e.to_range, e.source
			FROM k CROSS JOIN versions v ON v.domain = k.d AND v.name = k.n CROSS JOIN edges e ON e.version_id = v.id`
		if dir == catalog.Downstream {
			q = cte + `SELECT v.domain, v.name, v.version, e.input, e.kind, e.to_domain, e.to_name, e.to_range, e.source
				FROM k CROSS JOIN edges e ON e.to_domain = k.d AND e.to_name = k.n CROSS JOIN versions v ON v.id = e.version_id
				WHERE e.kind = 'product'`
		}
		rows, err := s.r.QueryContext(ctx, q+" ORDER BY v.domain, v.name, v.version, e.input", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var e catalog.Edge
			if err := rows.Scan(&e.From.Domain, &e.From.Name, &e.FromVersion, &e.Input, &e.Kind,
				&e.To.Domain, &e.To.Name, &e.Range, &e.Source); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Domains lists the domains of the latest versions.
func (s *Store) Domains(ctx context.Context) ([]catalog.Domain, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT domain, owner_team, count(*) FROM versions WHERE is_latest = 1
		GROUP BY domain, owner_team ORDER BY domain, owner_team`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return catalog.ScanDomains(rows)
}

// Check verifies the invariants: see catalog.Store.
func (s *Store) Check(ctx context.Context) error {
	var problems []string
	var res string
	// On the writer: it sees the latest commit, and FTS5 checks its index
	// against what this connection reads.
	if err := s.w.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		problems = append(problems, "integrity_check: "+res)
	}
	rows, err := s.r.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	if rows.Next() {
		problems = append(problems, "foreign_key_check found dangling references")
	}
	rows.Close()
	if _, err := s.w.ExecContext(ctx, "INSERT INTO product_fts (product_fts) VALUES ('integrity-check')"); err != nil {
		problems = append(problems, "full-text index: "+err.Error())
	}
	counts := []struct {
		what, q string
	}{
		{"products without exactly one latest version", `SELECT count(*) FROM (SELECT domain, name FROM versions
			GROUP BY domain, name HAVING sum(is_latest) <> 1)`},
		{"latest versions missing from the search index", `SELECT count(*) FROM versions v WHERE v.is_latest = 1
			AND NOT EXISTS (SELECT 1 FROM product_fts f WHERE f.rowid = v.id)`},
		{"search index rows that are not a latest version", `SELECT count(*) FROM product_fts f
			WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = f.rowid AND v.is_latest = 1)`},
		{"versions whose status is not derived from the nodes", `SELECT count(*) FROM versions WHERE status <> ` + statusOf},
		{"latest versions whose tags are not indexed", `SELECT count(*) FROM versions v WHERE v.is_latest = 1
			AND json_array_length(v.tags) > 0 AND NOT EXISTS (SELECT 1 FROM latest_tags t WHERE t.version_id = v.id)`},
		{"tags indexed for versions that are not the latest", `SELECT count(*) FROM latest_tags t
			WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = t.version_id AND v.is_latest = 1)`},
	}
	for _, c := range counts {
		var n int
		if err := s.r.QueryRowContext(ctx, c.q).Scan(&n); err != nil {
			return fmt.Errorf("catalog sqlite: check %s: %w", c.what, err)
		}
		if n > 0 {
			problems = append(problems, fmt.Sprintf("%d %s", n, c.what))
		}
	}
	rows, err = s.r.QueryContext(ctx, "SELECT domain, name, version, is_latest FROM versions ORDER BY domain, name")
	if err != nil {
		return err
	}
	latest := map[catalog.Key]string{}
	versions := map[catalog.Key][]string{}
	for rows.Next() {
		var k catalog.Key
		var v string
		var l int
		if err := rows.Scan(&k.Domain, &k.Name, &v, &l); err != nil {
			rows.Close()
			return err
		}
		versions[k] = append(versions[k], v)
		if l == 1 {
			latest[k] = v
		}
	}
	rows.Close()
	for k, vs := range versions {
		if want := catalog.LatestVersion(vs); latest[k] != want {
			problems = append(problems, fmt.Sprintf("%s: latest is %q, should be %q", k, latest[k], want))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("catalog sqlite %s: inconsistent: %s", s.path, strings.Join(problems, "; "))
	}
	return nil
}
