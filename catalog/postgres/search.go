package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/datamesh/datamesh/catalog"
	"github.com/jackc/pgx/v5"
)

// tsQuery writes terms as a tsquery: every term must match (&), a term of
// several words as a phrase (<->), the last word of each as a prefix (:*).
// Words hold only letters, digits and marks, and each is quoted as a
// lexeme, so that no user text is ever read as tsquery syntax.
func tsQuery(terms []string) string {
	var parts []string
	for _, ws := range catalog.TermWords(terms) {
		lex := make([]string, len(ws))
		for i, w := range ws {
			lex[i] = "'" + strings.NewReplacer(`'`, `''`, `\`, `\\`).Replace(w) + "'"
		}
		lex[len(lex)-1] += ":*"
		part := strings.Join(lex, " <-> ")
		if len(lex) > 1 {
			part = "(" + part + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " & ")
}

// args numbers query arguments.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// filter is a search's conditions on versions v, with their arguments
// ($1 is the full-text query when there are terms).
type filter struct {
	where string
	args  args
	fts   bool
}

// where builds the conditions of q on the latest versions (alias v).
func where(q catalog.Query) filter {
	var a args
	conds := []string{"v.is_latest"}
	fts := tsQuery(q.Terms)
	if fts != "" {
		conds = append(conds, "v.search @@ to_tsquery('simple', "+a.add(fts)+")")
	}
	if len(q.Domains) > 0 {
		conds = append(conds, "v.domain = ANY("+a.add(q.Domains)+")")
	}
	if len(q.Statuses) > 0 {
		conds = append(conds, "v.status = ANY("+a.add(q.Statuses)+")")
	}
	if len(q.Owners) > 0 {
		lower := make([]string, len(q.Owners))
		for i, o := range q.Owners {
			lower[i] = strings.ToLower(o)
		}
		p := a.add(lower)
		conds = append(conds, "(lower(v.owner_team) = ANY("+p+") OR lower(v.owner_email) = ANY("+p+"))")
	}
	for _, t := range q.Tags {
		conds = append(conds, "v.id IN (SELECT version_id FROM latest_tags WHERE tag = "+a.add(strings.ToLower(t))+")")
	}
	return filter{where: strings.Join(conds, " AND "), args: a, fts: fts != ""}
}

// Search finds products: see catalog.Store. Three statements run at once
// on their own connections: counts by domain, owner and status in one
// group, counts by tag, and the page.
func (s *Store) Search(ctx context.Context, q catalog.Query) (*catalog.Results, error) {
	f := where(q)
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
		tags, tagErr = s.tagFacet(ctx, f)
	}()
	go func() {
		defer wg.Done()
		items, pgErr = s.page(ctx, f, limit, q.Offset)
	}()
	facetErr = s.facets(ctx, f, res)
	wg.Wait()
	if err := errors.Join(facetErr, tagErr, pgErr); err != nil {
		return nil, fmt.Errorf("catalog postgres: search: %w", err)
	}
	res.Facets.Tag = tags
	if items != nil {
		res.Items = items
	}
	return res, nil
}

func (s *Store) facets(ctx context.Context, f filter, res *catalog.Results) error {
	rows, err := s.pool.Query(ctx, "SELECT v.domain, v.owner_team, v.status, count(*) FROM versions v WHERE "+f.where+
		" GROUP BY v.domain, v.owner_team, v.status", f.args...)
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

func (s *Store) tagFacet(ctx context.Context, f filter) ([]catalog.FacetValue, error) {
	q := "SELECT tag, count(*) FROM latest_tags GROUP BY tag"
	var a args
	if f.where != "v.is_latest" {
		q = "SELECT t.tag, count(*) FROM versions v JOIN latest_tags t ON t.version_id = v.id WHERE " + f.where + " GROUP BY t.tag"
		a = f.args
	}
	rows, err := s.pool.Query(ctx, q, a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return catalog.ScanFacet(rows)
}

// page returns one page of matches: by relevance (ties by age) with terms,
// by domain and name without.
func (s *Store) page(ctx context.Context, f filter, limit, offset int) ([]catalog.Summary, error) {
	a := append(args(nil), f.args...)
	order := "v.domain, v.name"
	if f.fts {
		order = "ts_rank(v.search, to_tsquery('simple', $1)) DESC, v.id"
	}
	lp, op := a.add(limit), a.add(offset)
	rows, err := s.pool.Query(ctx, "SELECT "+summaryColumns+" FROM versions v WHERE "+f.where+" ORDER BY "+order+
		" LIMIT "+lp+" OFFSET "+op, a...)
	if err != nil {
		return nil, err
	}
	ids, items, err := scanSummaries(rows)
	if err != nil {
		return nil, err
	}
	if err := addServing(ctx, s.pool, ids, items); err != nil {
		return nil, err
	}
	return items, nil
}

const summaryColumns = `v.id, v.domain, v.name, v.version, v.major, v.title, v.description, v.owner_team, v.owner_email,
	v.tags, v.serving_mode, v.status`

func scanSummaries(rows pgx.Rows) ([]int64, []catalog.Summary, error) {
	defer rows.Close()
	return catalog.ScanSummaries(rows)
}

// addServing sets the URL and node links of each summary from the best
// node serving its version: available first, then the freshest.
func addServing(ctx context.Context, q pgxQuerier, ids []int64, items []catalog.Summary) error {
	if len(ids) == 0 {
		return nil
	}
	at := map[int64]int{}
	for i, id := range ids {
		at[id] = i
	}
	rows, err := q.Query(ctx, `SELECT DISTINCT ON (v.id) v.id, np.url, np.links FROM versions v
		JOIN node_products np ON np.domain = v.domain AND np.name = v.name AND np.version = v.version
		JOIN nodes n ON n.name = np.node
		WHERE v.id = ANY($1)
		ORDER BY v.id, n.available DESC, n.last_heartbeat DESC, n.name`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id    int64
			url   string
			links []byte
		)
		if err := rows.Scan(&id, &url, &links); err != nil {
			return err
		}
		it := &items[at[id]]
		it.URL = url
		var l map[string]string
		_ = json.Unmarshal(links, &l)
		for k, v := range l {
			it.Links[k] = v
		}
	}
	return rows.Err()
}

// Summaries returns the latest version of each product in keys.
func (s *Store) Summaries(ctx context.Context, keys []catalog.Key) (map[catalog.Key]catalog.Summary, error) {
	out := map[catalog.Key]catalog.Summary{}
	if len(keys) == 0 {
		return out, nil
	}
	ds, ns := split(keys)
	rows, err := s.pool.Query(ctx, `SELECT `+summaryColumns+` FROM unnest($1::text[], $2::text[]) AS k(d, n)
		JOIN versions v ON v.domain = k.d AND v.name = k.n WHERE v.is_latest`, ds, ns)
	if err != nil {
		return nil, err
	}
	ids, items, err := scanSummaries(rows)
	if err != nil {
		return nil, err
	}
	if err := addServing(ctx, s.pool, ids, items); err != nil {
		return nil, err
	}
	for _, it := range items {
		out[catalog.Key{Domain: it.Domain, Name: it.Name}] = it
	}
	return out, nil
}

func split(keys []catalog.Key) ([]string, []string) {
	ds, ns := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		ds[i], ns[i] = k.Domain, k.Name
	}
	return ds, ns
}

// Edges returns inputs up or down from keys: see catalog.Store.
func (s *Store) Edges(ctx context.Context, keys []catalog.Key, dir catalog.Direction) ([]catalog.Edge, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	ds, ns := split(keys)
	q := `SELECT v.domain, v.name, v.version, e.input, e.kind, e.to_domain, e.to_name, e.to_range, e.source
		FROM unnest($1::text[], $2::text[]) AS k(d, n) JOIN versions v ON v.domain = k.d AND v.name = k.n
		JOIN edges e ON e.version_id = v.id`
	if dir == catalog.Downstream {
		q = `SELECT v.domain, v.name, v.version, e.input, e.kind, e.to_domain, e.to_name, e.to_range, e.source
			FROM unnest($1::text[], $2::text[]) AS k(d, n) JOIN edges e ON e.to_domain = k.d AND e.to_name = k.n
			JOIN versions v ON v.id = e.version_id WHERE e.kind = 'product'`
	}
	rows, err := s.pool.Query(ctx, q+" ORDER BY v.domain, v.name, v.version, e.input", ds, ns)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Edge
	for rows.Next() {
		var e catalog.Edge
		if err := rows.Scan(&e.From.Domain, &e.From.Name, &e.FromVersion, &e.Input, &e.Kind,
			&e.To.Domain, &e.To.Name, &e.Range, &e.Source); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Domains lists the domains of the latest versions.
func (s *Store) Domains(ctx context.Context) ([]catalog.Domain, error) {
	rows, err := s.pool.Query(ctx, `SELECT domain, owner_team, count(*) FROM versions WHERE is_latest
		GROUP BY domain, owner_team ORDER BY domain, owner_team COLLATE "C"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return catalog.ScanDomains(rows)
}

// Check verifies the invariants: see catalog.Store.
func (s *Store) Check(ctx context.Context) error {
	var problems []string
	counts := []struct{ what, q string }{
		{"products without exactly one latest version", `SELECT count(*) FROM (SELECT domain, name FROM versions
			GROUP BY domain, name HAVING count(*) FILTER (WHERE is_latest) <> 1) x`},
		{"latest versions missing from the search index", `SELECT count(*) FROM versions WHERE is_latest AND search = ''::tsvector`},
		{"older versions in the search index", `SELECT count(*) FROM versions WHERE NOT is_latest AND search <> ''::tsvector`},
		{"versions whose status is not derived from the nodes", `SELECT count(*) FROM versions WHERE status <> ` + statusOf},
		{"latest versions whose tags are not indexed", `SELECT count(*) FROM versions v WHERE v.is_latest
			AND jsonb_array_length(v.tags) > 0 AND NOT EXISTS (SELECT 1 FROM latest_tags t WHERE t.version_id = v.id)`},
		{"tags indexed for versions that are not the latest", `SELECT count(*) FROM latest_tags t
			WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = t.version_id AND v.is_latest)`},
	}
	for _, c := range counts {
		var n int
		if err := s.pool.QueryRow(ctx, c.q).Scan(&n); err != nil {
			return fmt.Errorf("catalog postgres: check %s: %w", c.what, err)
		}
		if n > 0 {
			problems = append(problems, fmt.Sprintf("%d %s", n, c.what))
		}
	}
	rows, err := s.pool.Query(ctx, "SELECT domain, name, version, is_latest FROM versions")
	if err != nil {
		return err
	}
	latest := map[catalog.Key]string{}
	versions := map[catalog.Key][]string{}
	for rows.Next() {
		var k catalog.Key
		var v string
		var l bool
		if err := rows.Scan(&k.Domain, &k.Name, &v, &l); err != nil {
			rows.Close()
			return err
		}
		versions[k] = append(versions[k], v)
		if l {
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
		return fmt.Errorf("catalog postgres: inconsistent: %s", strings.Join(problems, "; "))
	}
	return nil
}
