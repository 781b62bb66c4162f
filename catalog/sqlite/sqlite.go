// Package sqlite is the catalog's default store: one SQLite file, with the
// pure-Go driver (no cgo), in WAL mode, with an FTS5 full-text index
// ranked by bm25. One connection writes, a pool reads.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/datamesh/datamesh/catalog"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migrations/*.sql
var migrations embed.FS

func init() {
	catalog.RegisterDriver(catalog.Driver{
		Name: "sqlite",
		Match: func(loc string) bool {
			return strings.HasPrefix(loc, "sqlite:") || !strings.Contains(loc, "://")
		},
		Open: func(ctx context.Context, loc string) (catalog.Store, error) {
			return Open(ctx, strings.TrimPrefix(strings.TrimPrefix(loc, "sqlite:"), "//"))
		},
	})
}

// Store is a catalog in a SQLite file.
type Store struct {
	path string
	w    *sql.DB // one connection; transactions begin IMMEDIATE
	r    *readers
}

// readers is the pool of read-only connections, with the statements it
// ran kept prepared: parsing SQL costs as much as running most of these
// queries.
type readers struct {
	*sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxStmts bounds the statements kept; others are prepared each time.
const maxStmts = 512

func (r *readers) stmt(ctx context.Context, q string) *sql.Stmt {
	r.mu.Lock()
	st, ok := r.stmts[q]
	full := len(r.stmts) >= maxStmts
	r.mu.Unlock()
	if ok || full {
		return st
	}
	st, err := r.DB.PrepareContext(ctx, q)
	if err != nil {
		return nil // the plain query reports the error
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.stmts[q]; ok {
		st.Close()
		return prev
	}
	r.stmts[q] = st
	return st
}

func (r *readers) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := r.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.DB.QueryContext(ctx, q, args...)
}

func (r *readers) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := r.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.DB.QueryRowContext(ctx, q, args...)
}

func (r *readers) Close() error {
	r.mu.Lock()
	for _, st := range r.stmts {
		st.Close()
	}
	r.stmts = nil
	r.mu.Unlock()
	return r.DB.Close()
}

var _ catalog.Store = (*Store)(nil)

// Open opens (creating it and its folder as needed) the catalog at path and
// applies the migrations it lacks.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" {
		return nil, errors.New("catalog sqlite: give a file path (an in-memory database cannot be shared by the writer and the readers)")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("catalog sqlite: %w", err)
		}
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("catalog sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: path, w: w}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("catalog sqlite %s: %w", path, err)
	}
	n := max(4, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = &readers{DB: r, stmts: map[string]*sql.Stmt{}}
	return s, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	var err error
	if s.r != nil {
		err = s.r.Close()
	}
	return errors.Join(err, s.w.Close())
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// migrate applies, in order and each in its own transaction, the embedded
// migrations not yet recorded in schema_migrations.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("catalog sqlite %s: %w", s.path, err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		name := filepath.Base(f)
		num, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("catalog sqlite: migration %s is not named NNNN_name.sql", name)
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var done int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", num).Scan(&done); err != nil {
			tx.Rollback()
			return err
		}
		if done > 0 {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("catalog sqlite %s: migration %s: %w", s.path, name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			num, name, time.Now().UTC().Format(time.RFC3339)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(n int64) time.Time { return time.UnixMicro(n).UTC() }

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

const productColumns = `v.id, v.doc, v.descriptor, v.file, v.content_hash, v.source, v.partial, v.published_at, v.is_latest, v.status`

func scanProduct(sc interface{ Scan(...any) error }) (int64, *catalog.Product, error) {
	var (
		id, published   int64
		partial, latest int
		doc             string
		p               catalog.Product
	)
	var descriptor, file, hash, source, status string
	if err := sc.Scan(&id, &doc, &descriptor, &file, &hash, &source, &partial, &published, &latest, &status); err != nil {
		return 0, nil, err
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return 0, nil, fmt.Errorf("catalog sqlite: version %d: %w", id, err)
	}
	p.Descriptor, p.File, p.ContentHash, p.Source = descriptor, file, hash, source
	p.Partial, p.Latest, p.Status = partial == 1, latest == 1, status
	p.PublishedAt = fromMicros(published)
	return id, &p, nil
}

// product reads one version, or returns nil.
func product(ctx context.Context, q querier, domain, name, version string) (int64, *catalog.Product, error) {
	row := q.QueryRowContext(ctx, "SELECT "+productColumns+" FROM versions v WHERE v.domain = ? AND v.name = ? AND v.version = ?",
		domain, name, version)
	id, p, err := scanProduct(row)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	return id, p, err
}

// Product returns one version.
func (s *Store) Product(ctx context.Context, domain, name, version string) (*catalog.Product, error) {
	_, p, err := product(ctx, s.r, domain, name, version)
	if err == nil && p == nil {
		return nil, fmt.Errorf("%s/%s@%s: %w", domain, name, version, catalog.ErrNotFound)
	}
	return p, err
}

// Versions returns every version of a product, lowest first.
func (s *Store) Versions(ctx context.Context, domain, name string) ([]*catalog.Product, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+productColumns+" FROM versions v WHERE v.domain = ? AND v.name = ?", domain, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*catalog.Product
	for rows.Next() {
		_, p, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	catalog.SortVersions(out)
	return out, nil
}

// Publish records a batch of versions: see catalog.Store.
func (s *Store) Publish(ctx context.Context, batch []*catalog.Product, check func(*catalog.Graph) error) ([]catalog.Outcome, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	outcomes := make([]catalog.Outcome, len(batch))
	existing := make([]int64, len(batch))
	var conflicts []catalog.Conflict
	for i, p := range batch {
		id, old, err := product(ctx, tx, p.Domain, p.Name, p.Version)
		if err != nil {
			return nil, err
		}
		outcomes[i] = catalog.Outcome{ID: p.ID(), File: p.File, Status: catalog.OutcomeCreated}
		existing[i] = id
		switch {
		case old == nil:
		case old.Source == catalog.SourcePublish && old.ContentHash == p.ContentHash:
			outcomes[i].Status = catalog.OutcomeUnchanged
		case old.Source == catalog.SourcePublish:
			conflicts = append(conflicts, catalog.Conflict{Existing: old, New: p})
		default:
			outcomes[i].Status = catalog.OutcomeReplaced
		}
	}
	if len(conflicts) > 0 {
		return nil, &catalog.ConflictError{Conflicts: conflicts}
	}
	if check != nil {
		g, err := graph(ctx, tx)
		if err != nil {
			return nil, err
		}
		if err := check(g); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	keys := map[catalog.Key]bool{}
	for i, p := range batch {
		if outcomes[i].Status == catalog.OutcomeUnchanged {
			continue
		}
		if p.PublishedAt.IsZero() {
			p.PublishedAt = now
		}
		if _, err := writeVersion(ctx, tx, p, existing[i]); err != nil {
			return nil, err
		}
		keys[p.Key()] = true
	}
	if err := settle(ctx, tx, keys, nil); err != nil {
		return nil, err
	}
	return outcomes, tx.Commit()
}

// writeVersion inserts a version, or replaces the one with id in place.
func writeVersion(ctx context.Context, tx *sql.Tx, p *catalog.Product, id int64) (int64, error) {
	c := *p
	c.Descriptor, c.Status, c.Latest = "", "", false
	doc, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	tags, _ := json.Marshal(nonNil(p.Tags))
	partial := 0
	if p.Partial {
		partial = 1
	}
	if id == 0 {
		err = tx.QueryRowContext(ctx, `INSERT INTO versions (domain, name, version, major, title, description, owner_team,
			owner_email, tags, serving_mode, doc, descriptor, file, content_hash, source, partial, published_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			p.Domain, p.Name, p.Version, p.Major, p.Title, p.Description, p.Owner.Team, p.Owner.Email,
			string(tags), p.ServingMode, string(doc), p.Descriptor, p.File, p.ContentHash, p.Source, partial,
			micros(p.PublishedAt)).Scan(&id)
		if err != nil {
			return 0, err
		}
	} else {
		if _, err := tx.ExecContext(ctx, `UPDATE versions SET major = ?, title = ?, description = ?, owner_team = ?,
			owner_email = ?, tags = ?, serving_mode = ?, doc = ?, descriptor = ?, file = ?, content_hash = ?, source = ?,
			partial = ?, published_at = ? WHERE id = ?`,
			p.Major, p.Title, p.Description, p.Owner.Team, p.Owner.Email, string(tags), p.ServingMode, string(doc),
			p.Descriptor, p.File, p.ContentHash, p.Source, partial, micros(p.PublishedAt), id); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM edges WHERE version_id = ?", id); err != nil {
			return 0, err
		}
	}
	for _, in := range p.Inputs {
		var to catalog.Key
		rng := ""
		if in.Kind == "product" {
			k, r, ok := splitRef(in.Ref)
			if !ok {
				continue
			}
			to, rng = k, r
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO edges (version_id, input, kind, to_domain, to_name, to_range, source)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			id, in.Name, in.Kind, to.Domain, to.Name, rng, in.Source); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// splitRef splits domain/name@range.
func splitRef(ref string) (catalog.Key, string, bool) {
	return catalog.ParseID(ref)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// statusOf derives a version's status from the nodes serving it.
const statusOf = `CASE
	WHEN EXISTS (SELECT 1 FROM node_products np JOIN nodes n ON n.name = np.node
		WHERE np.domain = versions.domain AND np.name = versions.name AND np.version = versions.version AND n.available = 1)
		THEN 'available'
	WHEN EXISTS (SELECT 1 FROM node_products np
		WHERE np.domain = versions.domain AND np.name = versions.name AND np.version = versions.version)
		THEN 'unavailable'
	ELSE 'published' END`

// settle brings derived state in step after writes: the latest version and
// search index of each product in keys, and the status of its versions and
// of the versions in ids (domain/name@version).
func settle(ctx context.Context, tx *sql.Tx, keys map[catalog.Key]bool, ids map[string]bool) error {
	for k := range keys {
		rows, err := tx.QueryContext(ctx, "SELECT id, version FROM versions WHERE domain = ? AND name = ?", k.Domain, k.Name)
		if err != nil {
			return err
		}
		byVersion := map[string]int64{}
		var versions []string
		var all []any
		for rows.Next() {
			var id int64
			var v string
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return err
			}
			byVersion[v] = id
			versions = append(versions, v)
			all = append(all, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(versions) == 0 {
			continue
		}
		latest := byVersion[catalog.LatestVersion(versions)]
		if _, err := tx.ExecContext(ctx, "UPDATE versions SET is_latest = (id = ?) WHERE domain = ? AND name = ?", latest, k.Domain, k.Name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE versions SET status = "+statusOf+" WHERE domain = ? AND name = ?", k.Domain, k.Name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM product_fts WHERE rowid IN ("+placeholders(len(all))+")", all...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM latest_tags WHERE version_id IN ("+placeholders(len(all))+")", all...); err != nil {
			return err
		}
		_, p, err := scanProduct(tx.QueryRowContext(ctx, "SELECT "+productColumns+" FROM versions v WHERE v.id = ?", latest))
		if err != nil {
			return err
		}
		for _, t := range catalog.LowerTags(p) {
			if _, err := tx.ExecContext(ctx, "INSERT INTO latest_tags (tag, version_id) VALUES (?, ?)", t, latest); err != nil {
				return err
			}
		}
		d := catalog.SearchText(p)
		if _, err := tx.ExecContext(ctx, `INSERT INTO product_fts (rowid, domain, name, title, description, tags, owner, columns)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, latest, d.Domain, d.Name, d.Title, d.Description, d.Tags, d.Owner, d.Columns); err != nil {
			return err
		}
	}
	for id := range ids {
		k, v, _ := catalog.ParseID(id)
		if keys[k] {
			continue
		}
		if _, err := tx.ExecContext(ctx, "UPDATE versions SET status = "+statusOf+" WHERE domain = ? AND name = ? AND version = ?",
			k.Domain, k.Name, v); err != nil {
			return err
		}
	}
	return nil
}

// graph reads the dependency graph.
func graph(ctx context.Context, q querier) (*catalog.Graph, error) {
	rows, err := q.QueryContext(ctx, `SELECT v.domain, v.name, v.version, e.input, e.to_domain, e.to_name, e.to_range
		FROM versions v LEFT JOIN edges e ON e.version_id = v.id AND e.kind = 'product'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	g := catalog.NewGraph()
	for rows.Next() {
		var d, n, v string
		var input, td, tn, tr sql.NullString
		if err := rows.Scan(&d, &n, &v, &input, &td, &tn, &tr); err != nil {
			return nil, err
		}
		k := catalog.Key{Domain: d, Name: n}
		if !input.Valid {
			g.AddVersion(k, v)
			continue
		}
		g.Add(k, v, []catalog.Dep{{Input: input.String, To: catalog.Key{Domain: td.String, Name: tn.String}, Range: tr.String}})
	}
	return g, rows.Err()
}

// RegisterNode records a node and what it serves: see catalog.Store.
func (s *Store) RegisterNode(ctx context.Context, n catalog.Node, served []catalog.Served, now time.Time) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	domains, _ := json.Marshal(nonNil(n.Domains))
	if _, err := tx.ExecContext(ctx, `INSERT INTO nodes (name, url, domains, registered_at, last_heartbeat, available)
		VALUES (?, ?, ?, ?, ?, 1)
		ON CONFLICT (name) DO UPDATE SET url = excluded.url, domains = excluded.domains,
			last_heartbeat = excluded.last_heartbeat, available = 1`,
		n.Name, n.URL, string(domains), micros(now), micros(now)); err != nil {
		return err
	}
	ids := map[string]bool{}
	rows, err := tx.QueryContext(ctx, "SELECT domain, name, version FROM node_products WHERE node = ?", n.Name)
	if err != nil {
		return err
	}
	for rows.Next() {
		var d, nm, v string
		if err := rows.Scan(&d, &nm, &v); err != nil {
			rows.Close()
			return err
		}
		ids[d+"/"+nm+"@"+v] = true
	}
	rows.Close()
	if _, err := tx.ExecContext(ctx, "DELETE FROM node_products WHERE node = ?", n.Name); err != nil {
		return err
	}
	keys := map[catalog.Key]bool{}
	for _, sv := range served {
		p := sv.Product
		id, old, err := product(ctx, tx, p.Domain, p.Name, p.Version)
		if err != nil {
			return err
		}
		replace := old != nil && old.Source == catalog.SourceNode && !p.Partial && (old.ContentHash != p.ContentHash || old.Partial)
		if old == nil || replace {
			c := *p
			c.Source = catalog.SourceNode
			c.PublishedAt = now
			if _, err := writeVersion(ctx, tx, &c, id); err != nil {
				return err
			}
			keys[p.Key()] = true
		}
		links, _ := json.Marshal(sv.Links)
		status := string(sv.Status)
		if status == "" {
			status = "null"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO node_products (node, domain, name, version, url, links, status, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			n.Name, p.Domain, p.Name, p.Version, sv.URL, string(links), status, micros(now)); err != nil {
			return err
		}
		ids[p.ID()] = true
	}
	if err := settle(ctx, tx, keys, ids); err != nil {
		return err
	}
	return tx.Commit()
}

// Heartbeat marks a node available: see catalog.Store.
func (s *Store) Heartbeat(ctx context.Context, name string, statuses []catalog.ProductStatus, now time.Time) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var wasAvailable int
	err = tx.QueryRowContext(ctx, "SELECT available FROM nodes WHERE name = ?", name).Scan(&wasAvailable)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("node %q: %w", name, catalog.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE nodes SET last_heartbeat = ?, available = 1 WHERE name = ?", micros(now), name); err != nil {
		return err
	}
	for _, st := range statuses {
		k, v, ok := catalog.ParseID(st.ID)
		if !ok || len(st.Status) == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE node_products SET status = ?, updated_at = ?
			WHERE node = ? AND domain = ? AND name = ? AND version = ?`,
			string(st.Status), micros(now), name, k.Domain, k.Name, v); err != nil {
			return err
		}
	}
	if wasAvailable == 0 {
		if err := refreshNodes(ctx, tx, []string{name}); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// refreshNodes derives again the status of every version the nodes serve.
func refreshNodes(ctx context.Context, tx *sql.Tx, names []string) error {
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = n
	}
	_, err := tx.ExecContext(ctx, "UPDATE versions SET status = "+statusOf+` WHERE EXISTS (SELECT 1 FROM node_products np
		WHERE np.node IN (`+placeholders(len(names))+`) AND np.domain = versions.domain AND np.name = versions.name
		AND np.version = versions.version)`, args...)
	return err
}

// ExpireNodes marks silent nodes unavailable: see catalog.Store.
func (s *Store) ExpireNodes(ctx context.Context, before time.Time) ([]string, error) {
	var stale int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM nodes WHERE available = 1 AND last_heartbeat < ?", micros(before)).Scan(&stale); err != nil {
		return nil, err
	}
	if stale == 0 {
		return nil, nil // the usual case: no write
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, "UPDATE nodes SET available = 0 WHERE available = 1 AND last_heartbeat < ? RETURNING name", micros(before))
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(names) > 0 {
		if err := refreshNodes(ctx, tx, names); err != nil {
			return nil, err
		}
	}
	sort.Strings(names)
	return names, tx.Commit()
}

// Nodes lists the nodes.
func (s *Store) Nodes(ctx context.Context) ([]catalog.Node, error) {
	return s.nodes(ctx, "")
}

// Node returns one node.
func (s *Store) Node(ctx context.Context, name string) (*catalog.Node, error) {
	ns, err := s.nodes(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return nil, fmt.Errorf("node %q: %w", name, catalog.ErrNotFound)
	}
	return &ns[0], nil
}

func (s *Store) nodes(ctx context.Context, name string) ([]catalog.Node, error) {
	q := "SELECT name, url, domains, registered_at, last_heartbeat, available FROM nodes"
	var args []any
	if name != "" {
		q += " WHERE name = ?"
		args = append(args, name)
	}
	rows, err := s.r.QueryContext(ctx, q+" ORDER BY name", args...)
	if err != nil {
		return nil, err
	}
	var out []catalog.Node
	index := map[string]int{}
	for rows.Next() {
		var (
			n            catalog.Node
			domains      string
			reg, hb      int64
			availableInt int
		)
		if err := rows.Scan(&n.Name, &n.URL, &domains, &reg, &hb, &availableInt); err != nil {
			rows.Close()
			return nil, err
		}
		_ = json.Unmarshal([]byte(domains), &n.Domains)
		n.RegisteredAt, n.LastHeartbeat, n.Available = fromMicros(reg), fromMicros(hb), availableInt == 1
		n.Products = []string{}
		index[n.Name] = len(out)
		out = append(out, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	q = "SELECT node, domain, name, version FROM node_products"
	if name != "" {
		q += " WHERE node = ?"
	}
	rows, err = s.r.QueryContext(ctx, q+" ORDER BY node, domain, name, version", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var node, d, n, v string
		if err := rows.Scan(&node, &d, &n, &v); err != nil {
			return nil, err
		}
		if i, ok := index[node]; ok {
			out[i].Products = append(out[i].Products, d+"/"+n+"@"+v)
		}
	}
	return out, rows.Err()
}

// Serving returns the nodes serving a product.
func (s *Store) Serving(ctx context.Context, domain, name string) ([]catalog.Serving, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT np.node, n.url, np.version, np.url, np.links, n.available, n.last_heartbeat, np.status
		FROM node_products np JOIN nodes n ON n.name = np.node
		WHERE np.domain = ? AND np.name = ?
		ORDER BY n.available DESC, n.last_heartbeat DESC, np.node`, domain, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Serving
	for rows.Next() {
		var (
			sv            catalog.Serving
			links, status string
			available     int
			hb            int64
		)
		if err := rows.Scan(&sv.Node, &sv.NodeURL, &sv.Version, &sv.URL, &links, &available, &hb, &status); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(links), &sv.Links)
		sv.Available, sv.LastHeartbeat = available == 1, fromMicros(hb)
		if status != "null" && status != "" {
			sv.Status = json.RawMessage(status)
		}
		out = append(out, sv)
	}
	return out, rows.Err()
}
