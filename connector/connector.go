// Package connector defines how a data product's inputs are read. Each kind
// of source (files, SQLite, PostgreSQL, other products, ...) lives in its own
// subpackage and registers itself with Register from init, declaring the
// options it takes, so that descriptor validation, `datamesh init` templates
// and docs/connectors.md all come from one spec.
package connector

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// Connector reads one input of a product into the engine.
type Connector interface {
	// Bind makes the input queryable as the relation rel, either as a view
	// over external data or as a table loaded now.
	Bind(ctx context.Context, e Engine, rel Relation) error
}

// ErrUnavailable marks an input that cannot be bound now (an upstream that
// is down, a kind this node does not serve yet). The product is then served
// as unavailable, with the reason, instead of failing the whole node.
var ErrUnavailable = errors.New("input unavailable")

// Engine is what a connector needs from the query engine.
type Engine interface {
	// Exec runs a statement written by the connector (never by a request).
	Exec(ctx context.Context, sql string, args ...any) error
	// Load creates the table rel with cols and fills it from rows.
	Load(ctx context.Context, rel Relation, cols []Column, rows Rows) error
	// LoadArrow creates (or replaces, atomically) the table rel with the
	// batches of rr.
	LoadArrow(ctx context.Context, rel Relation, rr array.RecordReader) error
	// Allow adds dir to the folders the engine may read once it is sandboxed.
	Allow(dir string)
}

// Refresher is a connector whose data is read again when it is older than
// MaxAge, before a request reads the product (a copy of another product,
// say). Other connectors are bound once, or are views that always read
// their source as it is.
type Refresher interface {
	Connector
	MaxAge() time.Duration
}

// Resolver finds a node serving a product: the highest available version
// matching ref, and the base URL of a node serving it. The catalog
// implements it.
type Resolver interface {
	Resolve(ctx context.Context, ref string) (version, nodeURL string, err error)
}

// Relation names a table or view in the engine.
type Relation struct {
	Schema, Name string
}

// String is the relation as quoted SQL: "schema"."name".
func (r Relation) String() string {
	return quote(r.Schema) + "." + quote(r.Name)
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Column is a column of a table a connector loads. Type is a DuckDB type
// name (VARCHAR, BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMP, BLOB, ...).
type Column struct {
	Name string
	Type string
}

// Rows is a cursor over rows a connector loads; Values are in Column order
// and hold Go values the engine accepts (string, int64, float64, bool,
// time.Time, []byte or nil).
type Rows interface {
	Next() bool
	Values() ([]any, error)
	Err() error
	Close() error
}

// Config is what a constructor receives: the input's name, the folder of the
// descriptor (relative paths are resolved against it) and the options as
// written, already checked against the connector's Spec.
type Config struct {
	Input   string
	Dir     string
	Options map[string]any
	// Columns are the columns of this input the transform uses, when the
	// engine could tell (nil: unknown, read them all). A connector may read
	// only these (column pushdown).
	Columns []string
	// Resolver finds other products on the mesh; nil without a catalog.
	Resolver Resolver
}

// Spec describes a kind of connector.
type Spec struct {
	// Kind is the descriptor key naming the connector ("file", "sqlite").
	Kind string
	// Summary is one line for documentation.
	Summary string
	// Shorthand is the option a scalar value stands for
	// ("file: data/x.csv" means "file: {path: data/x.csv}").
	Shorthand string
	Options   []Option
	// New builds a connector; it must not touch the source (validation
	// calls it too). Errors name the option at fault.
	New func(Config) (Connector, error)
}

// Option is one option of a connector.
type Option struct {
	Name        string
	Type        OptionType
	Required    bool
	Enum        []string
	Description string
	Example     string
}

// OptionType is the type of an option's value.
type OptionType string

// Option types.
const (
	TypeString  OptionType = "string"
	TypeInt     OptionType = "integer"
	TypeBool    OptionType = "boolean"
	TypeStrings OptionType = "list of strings"
	TypeMap     OptionType = "mapping"
)

// OptionError is returned by a constructor to blame one option.
type OptionError struct {
	Option string
	Msg    string
}

func (e *OptionError) Error() string { return e.Option + ": " + e.Msg }

var (
	mu    sync.RWMutex
	specs = map[string]Spec{}
)

// Register adds a kind of connector. It panics on an empty or duplicate
// kind, so that a broken build fails at start, not at the first request.
func Register(s Spec) {
	mu.Lock()
	defer mu.Unlock()
	if s.Kind == "" || s.New == nil {
		panic("connector: Register with empty kind or nil constructor")
	}
	if _, dup := specs[s.Kind]; dup {
		panic(fmt.Sprintf("connector: kind %q registered twice", s.Kind))
	}
	specs[s.Kind] = s
}

// Lookup returns the spec of a kind.
func Lookup(kind string) (Spec, bool) {
	mu.RLock()
	defer mu.RUnlock()
	s, ok := specs[kind]
	return s, ok
}

// Kinds returns the registered kinds, sorted.
func Kinds() []string {
	mu.RLock()
	defer mu.RUnlock()
	kinds := make([]string, 0, len(specs))
	for k := range specs {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// Option returns the named option of s.
func (s Spec) Option(name string) (Option, bool) {
	for _, o := range s.Options {
		if o.Name == name {
			return o, true
		}
	}
	return Option{}, false
}
