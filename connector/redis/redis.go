// Package redis reads Redis keys matching a pattern as rows: one row per
// key, one column per field of the hashes, or of the JSON objects the keys
// hold. Keys are listed with SCAN (never KEYS, which blocks the server) and
// values fetched in pipelined batches; only read commands are sent.
package redis

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/connector/internal/jsonrows"
)

// Limits: each distinct URL gets one client, shared by every input that
// names it, holding at most PoolSize connections. Keys are fetched Batch at
// a time, in one pipelined round trip.
const (
	PoolSize    = 4
	Batch       = 500
	DialTimeout = 5 * time.Second
	ReadTimeout = 30 * time.Second
)

// Types are the value types this connector reads.
var Types = []string{"hash", "json"}

func init() {
	connector.Register(connector.Spec{
		Kind:    "redis",
		Summary: "Redis keys matching a pattern, one row per key: hashes, or strings holding JSON objects",
		Options: []connector.Option{
			{Name: "urlEnv", Type: connector.TypeString, Required: true,
				Description: "name of the environment variable holding the server URL (redis://user:password@host:6379/0, rediss:// for TLS); the secret never stands in a descriptor",
				Example:     "CACHE_REDIS_URL"},
			{Name: "keys", Type: connector.TypeString, Required: true,
				Description: "glob-style pattern of the keys to read (*, ?, [abc]), listed with SCAN",
				Example:     "customer:*"},
			{Name: "type", Type: connector.TypeString, Required: true, Enum: Types,
				Description: "hash: each key is a hash, its fields become VARCHAR columns; json: each key is a string holding a JSON object (or a RedisJSON document), its fields become typed columns",
				Example:     "hash"},
			{Name: "keyColumn", Type: connector.TypeString,
				Description: "name of the column holding each row's key (default: key)",
				Example:     "customer_key"},
		},
		New: New,
	})
}

// Redis is an input read from Redis keys.
type Redis struct {
	Input     string
	URLEnv    string
	Keys      string
	Type      string
	KeyColumn string
}

var _ connector.Connector = (*Redis)(nil)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// New checks the options; it neither reads the environment nor connects.
func New(c connector.Config) (connector.Connector, error) {
	r := &Redis{Input: c.Input, KeyColumn: "key"}
	r.URLEnv, _ = c.Options["urlEnv"].(string)
	r.Keys, _ = c.Options["keys"].(string)
	r.Type, _ = c.Options["type"].(string)
	if k, ok := c.Options["keyColumn"].(string); ok {
		r.KeyColumn = k
	}
	switch {
	case strings.Contains(r.URLEnv, "://"):
		return nil, &connector.OptionError{Option: "urlEnv", Msg: "must name an environment variable, not hold the URL: secrets never stand in a descriptor"}
	case !envName.MatchString(r.URLEnv):
		return nil, &connector.OptionError{Option: "urlEnv", Msg: fmt.Sprintf("%q is not an environment variable name", r.URLEnv)}
	case r.Keys == "":
		return nil, &connector.OptionError{Option: "keys", Msg: "must be a key pattern, such as customer:*"}
	case r.Type != "hash" && r.Type != "json":
		return nil, &connector.OptionError{Option: "type", Msg: "must be hash or json"}
	case strings.TrimSpace(r.KeyColumn) == "":
		return nil, &connector.OptionError{Option: "keyColumn", Msg: "must name a column"}
	}
	return r, nil
}

// Bind lists the keys, reads their values and loads them as the table rel.
func (r *Redis) Bind(ctx context.Context, e connector.Engine, rel connector.Relation) error {
	url := os.Getenv(r.URLEnv)
	if url == "" {
		return fmt.Errorf("redis input %q: environment variable %s is not set (urlEnv names the variable holding the server URL)", r.Input, r.URLEnv)
	}
	client, src, password, err := clientFor(url)
	if err != nil {
		return fmt.Errorf("redis input %q: %s", r.Input, redact(err.Error(), url, password))
	}
	fail := func(err error) error {
		msg := fmt.Sprintf("redis input %q (%s): %s", r.Input, src, redact(err.Error(), url, password))
		if unavailable(err) {
			return fmt.Errorf("%w: %s", connector.ErrUnavailable, msg)
		}
		return errors.New(msg)
	}
	keys, err := r.scan(ctx, client)
	if err != nil {
		return fail(err)
	}
	t := jsonrows.New(connector.Column{Name: r.KeyColumn, Type: "VARCHAR"})
	for start := 0; start < len(keys); start += Batch {
		batch := keys[start:min(start+Batch, len(keys))]
		if r.Type == "hash" {
			err = readHashes(ctx, client, batch, t)
		} else {
			err = readJSON(ctx, client, batch, t)
		}
		if err != nil {
			return fail(err)
		}
	}
	if t.Len() == 0 {
		return fmt.Errorf("%w: redis input %q (%s): no %s key matches %q, so there are no columns to infer",
			connector.ErrUnavailable, r.Input, src, r.Type, r.Keys)
	}
	return e.Load(ctx, rel, t.Columns(), t.Rows())
}

// scan lists the matching keys with SCAN (hash keys only, in hash mode),
// without duplicates, sorted.
func (r *Redis) scan(ctx context.Context, c *goredis.Client) ([]string, error) {
	seen := map[string]struct{}{}
	var cursor uint64
	for {
		var (
			ks  []string
			err error
		)
		if r.Type == "hash" {
			ks, cursor, err = c.ScanType(ctx, cursor, r.Keys, 1000, "hash").Result()
		} else {
			ks, cursor, err = c.Scan(ctx, cursor, r.Keys, 1000).Result()
		}
		if err != nil {
			return nil, fmt.Errorf("SCAN %s: %w", r.Keys, err)
		}
		for _, k := range ks {
			seen[k] = struct{}{}
		}
		if cursor == 0 {
			break
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

// readHashes reads a batch of hashes with pipelined HGETALLs. A key deleted
// since SCAN is skipped.
func readHashes(ctx context.Context, c *goredis.Client, keys []string, t *jsonrows.Table) error {
	cmds := make([]*goredis.MapStringStringCmd, len(keys))
	_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.HGetAll(ctx, k)
		}
		return nil
	})
	if err != nil && !isWrongType(err) {
		return fmt.Errorf("HGETALL: %w", err)
	}
	for i, cmd := range cmds {
		m, err := cmd.Result()
		if isWrongType(err) {
			continue // changed type since SCAN
		}
		if err != nil {
			return fmt.Errorf("HGETALL %s: %w", keys[i], err)
		}
		if len(m) == 0 {
			continue
		}
		obj := make(jsonrows.Object, len(m))
		for f, v := range m {
			obj[f] = v
		}
		t.Add([]any{keys[i]}, obj)
	}
	return nil
}

// readJSON reads a batch of keys with one MGET. Keys that are not strings
// (MGET answers nil for them) are looked at with TYPE: RedisJSON documents
// are read with JSON.GET, other types are skipped.
func readJSON(ctx context.Context, c *goredis.Client, keys []string, t *jsonrows.Table) error {
	vals, err := c.MGet(ctx, keys...).Result()
	if err != nil {
		return fmt.Errorf("MGET: %w", err)
	}
	var others []int
	for i, v := range vals {
		if v == nil {
			others = append(others, i)
		}
	}
	if len(others) > 0 {
		types := make([]*goredis.StatusCmd, len(others))
		if _, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for j, i := range others {
				types[j] = p.Type(ctx, keys[i])
			}
			return nil
		}); err != nil {
			return fmt.Errorf("TYPE: %w", err)
		}
		for j, i := range others {
			if types[j].Val() != "ReJSON-RL" {
				continue // deleted since SCAN, or not a JSON value
			}
			doc, err := c.Do(ctx, "JSON.GET", keys[i]).Text()
			if err != nil {
				return fmt.Errorf("JSON.GET %s: %w", keys[i], err)
			}
			vals[i] = doc
		}
	}
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		obj, err := jsonrows.Decode([]byte(s))
		if err != nil {
			return fmt.Errorf("key %s: the value %v", keys[i], err)
		}
		t.Add([]any{keys[i]}, obj)
	}
	return nil
}

func isWrongType(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE")
}

var (
	clientsMu sync.Mutex
	clients   = map[string]*goredis.Client{}
)

// clientFor returns the client of a URL, creating it (without connecting)
// on first use, a name of the source for messages (address and database,
// never the password) and the password, to redact it.
func clientFor(url string) (*goredis.Client, string, string, error) {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return nil, "", "", fmt.Errorf("the URL in the environment is not valid: %w", err)
	}
	src := fmt.Sprintf("%s/%d", opts.Addr, opts.DB)
	clientsMu.Lock()
	defer clientsMu.Unlock()
	if c, ok := clients[url]; ok {
		return c, src, opts.Password, nil
	}
	opts.PoolSize = PoolSize
	opts.MaxIdleConns = PoolSize
	opts.ConnMaxIdleTime = time.Minute
	opts.DialTimeout = DialTimeout
	opts.ReadTimeout = ReadTimeout
	opts.MaxRetries = 1
	opts.ClientName = "datamesh"
	opts.DisableIdentity = true // no CLIENT SETINFO: older servers answer errors
	c := goredis.NewClient(opts)
	clients[url] = c
	return c, src, opts.Password, nil
}

// CloseClients closes every client (at shutdown, and in tests).
func CloseClients() {
	clientsMu.Lock()
	defer clientsMu.Unlock()
	for url, c := range clients {
		c.Close()
		delete(clients, url)
	}
}

func redact(msg, url, password string) string {
	msg = strings.ReplaceAll(msg, url, "[URL]")
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "xxxxx")
	}
	return msg
}

// unavailable tells a server that cannot be reached now from one that
// answers with an error (wrong password, wrong type).
func unavailable(err error) bool {
	return connector.Unreachable(err) ||
		strings.HasPrefix(err.Error(), "LOADING") || strings.HasPrefix(err.Error(), "BUSY")
}
