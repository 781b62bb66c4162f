// Package postgres is the catalog's store in PostgreSQL, for several
// catalog replicas sharing one database. Full-text search uses a weighted
// tsvector with a GIN index, ranked by ts_rank. Writes take one
// transaction-scoped advisory lock, so that replicas apply them one at a
// time, as the SQLite store does.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/datamesh/datamesh/catalog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

func init() {
	catalog.RegisterDriver(catalog.Driver{
		Name: "postgres",
		Match: func(loc string) bool {
			return strings.HasPrefix(loc, "postgres://") || strings.HasPrefix(loc, "postgresql://")
		},
		Open: func(ctx context.Context, loc string) (catalog.Store, error) { return Open(ctx, loc) },
	})
}

// Advisory lock keys: migrations, and every write.
const (
	migrateLock = 0x64617461_0001 // "data" 1
	writeLock   = 0x64617461_0002
)

// Store is a catalog in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

var _ catalog.Store = (*Store)(nil)

// Open connects to the database at dsn (postgres://...; a search_path
// parameter selects the schema) and applies the migrations it lacks.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("catalog postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("catalog postgres: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("catalog postgres: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLock); err != nil {
		return fmt.Errorf("catalog postgres: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", migrateLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("catalog postgres: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		name := path.Base(f)
		num, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("catalog postgres: migration %s is not named NNNN_name.sql", name)
		}
		var done bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", num).Scan(&done); err != nil {
			return err
		}
		if done {
			continue
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", num, name)
			return err
		})
		if err != nil {
			return fmt.Errorf("catalog postgres: migration %s: %w", name, err)
		}
	}
	return nil
}

// write runs fn in a transaction holding the write lock.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", writeLock); err != nil {
			return err
		}
		return fn(tx)
	})
}

const productColumns = `v.id, v.doc, v.descriptor, v.file, v.content_hash, v.source, v.partial, v.published_at, v.is_latest, v.status`

func scanProduct(row pgx.Row) (int64, *catalog.Product, error) {
	var (
		id                          int64
		doc                         []byte
		p                           catalog.Product
		descriptor, file, hash, src string
		partial, latest             bool
		published                   time.Time
		status                      string
	)
	if err := row.Scan(&id, &doc, &descriptor, &file, &hash, &src, &partial, &published, &latest, &status); err != nil {
		return 0, nil, err
	}
	if err := json.Unmarshal(doc, &p); err != nil {
		return 0, nil, fmt.Errorf("catalog postgres: version %d: %w", id, err)
	}
	p.Descriptor, p.File, p.ContentHash, p.Source = descriptor, file, hash, src
	p.Partial, p.Latest, p.Status, p.PublishedAt = partial, latest, status, published.UTC()
	return id, &p, nil
}

func product(ctx context.Context, q pgxQuerier, domain, name, version string) (int64, *catalog.Product, error) {
	id, p, err := scanProduct(q.QueryRow(ctx, "SELECT "+productColumns+" FROM versions v WHERE v.domain = $1 AND v.name = $2 AND v.version = $3",
		domain, name, version))
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, nil
	}
	return id, p, err
}

// pgxQuerier is the read side of the pool and of a transaction.
type pgxQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Product returns one version.
func (s *Store) Product(ctx context.Context, domain, name, version string) (*catalog.Product, error) {
	_, p, err := product(ctx, s.pool, domain, name, version)
	if err == nil && p == nil {
		return nil, fmt.Errorf("%s/%s@%s: %w", domain, name, version, catalog.ErrNotFound)
	}
	return p, err
}

// Versions returns every version of a product, lowest first.
func (s *Store) Versions(ctx context.Context, domain, name string) ([]*catalog.Product, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+productColumns+" FROM versions v WHERE v.domain = $1 AND v.name = $2", domain, name)
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
	var outcomes []catalog.Outcome
	err := s.write(ctx, func(tx pgx.Tx) error {
		outcomes = make([]catalog.Outcome, len(batch))
		existing := make([]int64, len(batch))
		var conflicts []catalog.Conflict
		for i, p := range batch {
			id, old, err := product(ctx, tx, p.Domain, p.Name, p.Version)
			if err != nil {
				return err
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
			return &catalog.ConflictError{Conflicts: conflicts}
		}
		if check != nil {
			g, err := graph(ctx, tx)
			if err != nil {
				return err
			}
			if err := check(g); err != nil {
				return err
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
				return err
			}
			keys[p.Key()] = true
		}
		return settle(ctx, tx, keys, nil)
	})
	if err != nil {
		return nil, err
	}
	return outcomes, nil
}

func writeVersion(ctx context.Context, tx pgx.Tx, p *catalog.Product, id int64) (int64, error) {
	c := *p
	c.Descriptor, c.Status, c.Latest = "", "", false
	doc, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	tags, _ := json.Marshal(nonNil(p.Tags))
	if id == 0 {
		err = tx.QueryRow(ctx, `INSERT INTO versions (domain, name, version, major, title, description, owner_team,
			owner_email, tags, serving_mode, doc, descriptor, file, content_hash, source, partial, published_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
			p.Domain, p.Name, p.Version, p.Major, p.Title, p.Description, p.Owner.Team, p.Owner.Email,
			string(tags), p.ServingMode, string(doc), p.Descriptor, p.File, p.ContentHash, p.Source, p.Partial,
			p.PublishedAt.UTC()).Scan(&id)
		if err != nil {
			return 0, err
		}
	} else {
		if _, err := tx.Exec(ctx, `UPDATE versions SET major = $1, title = $2, description = $3, owner_team = $4,
			owner_email = $5, tags = $6, serving_mode = $7, doc = $8, descriptor = $9, file = $10, content_hash = $11,
			source = $12, partial = $13, published_at = $14 WHERE id = $15`,
			p.Major, p.Title, p.Description, p.Owner.Team, p.Owner.Email, string(tags), p.ServingMode, string(doc),
			p.Descriptor, p.File, p.ContentHash, p.Source, p.Partial, p.PublishedAt.UTC(), id); err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM edges WHERE version_id = $1", id); err != nil {
			return 0, err
		}
	}
	for _, in := range p.Inputs {
		var to catalog.Key
		rng := ""
		if in.Kind == "product" {
			k, r, ok := catalog.ParseID(in.Ref)
			if !ok {
				continue
			}
			to, rng = k, r
		}
		if _, err := tx.Exec(ctx, `INSERT INTO edges (version_id, input, kind, to_domain, to_name, to_range, source)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			id, in.Name, in.Kind, to.Domain, to.Name, rng, in.Source); err != nil {
			return 0, err
		}
	}
	return id, nil
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
		WHERE np.domain = versions.domain AND np.name = versions.name AND np.version = versions.version AND n.available)
		THEN 'available'
	WHEN EXISTS (SELECT 1 FROM node_products np
		WHERE np.domain = versions.domain AND np.name = versions.name AND np.version = versions.version)
		THEN 'unavailable'
	ELSE 'published' END`

// searchVector weighs the indexed text: A name and title, B domain and
// tags, C description and owner, D columns.
const searchVector = `setweight(to_tsvector('simple', $3::text || ' ' || $4::text), 'A') ||
	setweight(to_tsvector('simple', $5::text || ' ' || $6::text), 'B') ||
	setweight(to_tsvector('simple', $7::text || ' ' || $8::text), 'C') ||
	setweight(to_tsvector('simple', $9::text), 'D')`

// settle brings derived state in step after writes: see the SQLite store.
func settle(ctx context.Context, tx pgx.Tx, keys map[catalog.Key]bool, ids map[string]bool) error {
	for k := range keys {
		rows, err := tx.Query(ctx, "SELECT id, version FROM versions WHERE domain = $1 AND name = $2", k.Domain, k.Name)
		if err != nil {
			return err
		}
		byVersion := map[string]int64{}
		var versions []string
		for rows.Next() {
			var id int64
			var v string
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return err
			}
			byVersion[v] = id
			versions = append(versions, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(versions) == 0 {
			continue
		}
		latest := byVersion[catalog.LatestVersion(versions)]
		_, p, err := scanProduct(tx.QueryRow(ctx, "SELECT "+productColumns+" FROM versions v WHERE v.id = $1", latest))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM latest_tags WHERE version_id IN (SELECT id FROM versions WHERE domain = $1 AND name = $2)`,
			k.Domain, k.Name); err != nil {
			return err
		}
		for _, t := range catalog.LowerTags(p) {
			if _, err := tx.Exec(ctx, "INSERT INTO latest_tags (tag, version_id) VALUES ($1, $2)", t, latest); err != nil {
				return err
			}
		}
		d := catalog.SearchText(p)
		if _, err := tx.Exec(ctx, `UPDATE versions SET is_latest = (id = $1),
			search = CASE WHEN id = $1 THEN `+searchVector+` ELSE ''::tsvector END,
			status = `+statusOf+`
			WHERE domain = $2 AND name = $10`,
			latest, k.Domain, d.Name, d.Title, d.Domain, d.Tags, d.Description, d.Owner, d.Columns, k.Name); err != nil {
			return err
		}
	}
	for id := range ids {
		k, v, _ := catalog.ParseID(id)
		if keys[k] {
			continue
		}
		if _, err := tx.Exec(ctx, "UPDATE versions SET status = "+statusOf+" WHERE domain = $1 AND name = $2 AND version = $3",
			k.Domain, k.Name, v); err != nil {
			return err
		}
	}
	return nil
}

func graph(ctx context.Context, q pgxQuerier) (*catalog.Graph, error) {
	rows, err := q.Query(ctx, `SELECT v.domain, v.name, v.version, e.input, e.to_domain, e.to_name, e.to_range
		FROM versions v LEFT JOIN edges e ON e.version_id = v.id AND e.kind = 'product'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	g := catalog.NewGraph()
	for rows.Next() {
		var d, n, v string
		var input, td, tn, tr *string
		if err := rows.Scan(&d, &n, &v, &input, &td, &tn, &tr); err != nil {
			return nil, err
		}
		k := catalog.Key{Domain: d, Name: n}
		if input == nil {
			g.AddVersion(k, v)
			continue
		}
		g.Add(k, v, []catalog.Dep{{Input: *input, To: catalog.Key{Domain: *td, Name: *tn}, Range: *tr}})
	}
	return g, rows.Err()
}

// RegisterNode records a node and what it serves: see catalog.Store.
func (s *Store) RegisterNode(ctx context.Context, n catalog.Node, served []catalog.Served, now time.Time) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		domains, _ := json.Marshal(nonNil(n.Domains))
		if _, err := tx.Exec(ctx, `INSERT INTO nodes (name, url, domains, registered_at, last_heartbeat, available)
			VALUES ($1, $2, $3, $4, $4, true)
			ON CONFLICT (name) DO UPDATE SET url = excluded.url, domains = excluded.domains,
				last_heartbeat = excluded.last_heartbeat, available = true`,
			n.Name, n.URL, string(domains), now.UTC()); err != nil {
			return err
		}
		ids := map[string]bool{}
		rows, err := tx.Query(ctx, "DELETE FROM node_products WHERE node = $1 RETURNING domain, name, version", n.Name)
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
		if err := rows.Err(); err != nil {
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
			var status any
			if len(sv.Status) > 0 {
				status = string(sv.Status)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO node_products (node, domain, name, version, url, links, status, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
				n.Name, p.Domain, p.Name, p.Version, sv.URL, string(links), status, now.UTC()); err != nil {
				return err
			}
			ids[p.ID()] = true
		}
		return settle(ctx, tx, keys, ids)
	})
}

// Heartbeat marks a node available: see catalog.Store.
func (s *Store) Heartbeat(ctx context.Context, name string, statuses []catalog.ProductStatus, now time.Time) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		var was bool
		err := tx.QueryRow(ctx, "SELECT available FROM nodes WHERE name = $1", name).Scan(&was)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("node %q: %w", name, catalog.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE nodes SET last_heartbeat = $1, available = true WHERE name = $2", now.UTC(), name); err != nil {
			return err
		}
		for _, st := range statuses {
			k, v, ok := catalog.ParseID(st.ID)
			if !ok || len(st.Status) == 0 {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE node_products SET status = $1, updated_at = $2
				WHERE node = $3 AND domain = $4 AND name = $5 AND version = $6`,
				string(st.Status), now.UTC(), name, k.Domain, k.Name, v); err != nil {
				return err
			}
		}
		if !was {
			return refreshNodes(ctx, tx, []string{name})
		}
		return nil
	})
}

func refreshNodes(ctx context.Context, tx pgx.Tx, names []string) error {
	_, err := tx.Exec(ctx, "UPDATE versions SET status = "+statusOf+` WHERE EXISTS (SELECT 1 FROM node_products np
		WHERE np.node = ANY($1) AND np.domain = versions.domain AND np.name = versions.name AND np.version = versions.version)`, names)
	return err
}

// ExpireNodes marks silent nodes unavailable: see catalog.Store.
func (s *Store) ExpireNodes(ctx context.Context, before time.Time) ([]string, error) {
	var stale bool
	if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM nodes WHERE available AND last_heartbeat < $1)", before.UTC()).Scan(&stale); err != nil {
		return nil, err
	}
	if !stale {
		return nil, nil
	}
	var names []string
	err := s.write(ctx, func(tx pgx.Tx) error {
		names = nil
		rows, err := tx.Query(ctx, "UPDATE nodes SET available = false WHERE available AND last_heartbeat < $1 RETURNING name", before.UTC())
		if err != nil {
			return err
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return err
			}
			names = append(names, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(names) == 0 {
			return nil
		}
		return refreshNodes(ctx, tx, names)
	})
	sort.Strings(names)
	return names, err
}

// Nodes lists the nodes.
func (s *Store) Nodes(ctx context.Context) ([]catalog.Node, error) { return s.nodes(ctx, "") }

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
	rows, err := s.pool.Query(ctx, `SELECT n.name, n.url, n.domains, n.registered_at, n.last_heartbeat, n.available,
		coalesce((SELECT array_agg(np.domain || '/' || np.name || '@' || np.version ORDER BY np.domain, np.name, np.version)
			FROM node_products np WHERE np.node = n.name), '{}')
		FROM nodes n WHERE $1 = '' OR n.name = $1 ORDER BY n.name`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Node
	for rows.Next() {
		var (
			n       catalog.Node
			domains []byte
		)
		if err := rows.Scan(&n.Name, &n.URL, &domains, &n.RegisteredAt, &n.LastHeartbeat, &n.Available, &n.Products); err != nil {
			return nil, err
		}
		_ = json.Unmarshal(domains, &n.Domains)
		n.RegisteredAt, n.LastHeartbeat = n.RegisteredAt.UTC(), n.LastHeartbeat.UTC()
		if n.Products == nil {
			n.Products = []string{}
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Serving returns the nodes serving a product.
func (s *Store) Serving(ctx context.Context, domain, name string) ([]catalog.Serving, error) {
	rows, err := s.pool.Query(ctx, `SELECT np.node, n.url, np.version, np.url, np.links, n.available, n.last_heartbeat, np.status
		FROM node_products np JOIN nodes n ON n.name = np.node
		WHERE np.domain = $1 AND np.name = $2
		ORDER BY n.available DESC, n.last_heartbeat DESC, np.node`, domain, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Serving
	for rows.Next() {
		var (
			sv            catalog.Serving
			links, status []byte
		)
		if err := rows.Scan(&sv.Node, &sv.NodeURL, &sv.Version, &sv.URL, &links, &sv.Available, &sv.LastHeartbeat, &status); err != nil {
			return nil, err
		}
		_ = json.Unmarshal(links, &sv.Links)
		sv.LastHeartbeat = sv.LastHeartbeat.UTC()
		if len(status) > 0 && string(status) != "null" {
			sv.Status = json.RawMessage(status)
		}
		out = append(out, sv)
	}
	return out, rows.Err()
}
