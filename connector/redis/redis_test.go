//go:build duckdb_arrow

package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/connector/connectortest"
	"github.com/datamesh/datamesh/connector/redis"
	"github.com/datamesh/datamesh/engine"
)

const urlEnv = "DATAMESH_TEST_REDIS_INPUT_URL"

// server returns the test server's URL and a client to it, with a key
// prefix of its own whose keys are deleted when the test ends.
// Unreachable: skip, or fail when CI is set.
func server(t testing.TB) (string, *goredis.Client, string) {
	t.Helper()
	url := os.Getenv("DATAMESH_TEST_REDIS")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis unreachable (DATAMESH_TEST_REDIS): %v", err)
		}
		t.Skipf("Redis unreachable (set DATAMESH_TEST_REDIS): %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "dmtest:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		c.Close()
	})
	return url, c, prefix
}

func bind(t testing.TB, opts map[string]any) (*engine.Engine, error) {
	t.Helper()
	return connectortest.Bind(t, redis.New, opts)
}

func columns(t testing.TB, e *engine.Engine) string { return connectortest.Columns(t, e) }

func query(t testing.TB, e *engine.Engine, q string) string { return connectortest.Query(t, e, q) }

func TestHash(t *testing.T) {
	url, c, p := server(t)
	ctx := context.Background()
	c.HSet(ctx, p+"customer:1", "name", "Ann", "city", "Oslo", "visits", "3")
	c.HSet(ctx, p+"customer:2", "name", "Bob", "email", "bob@example.com", "key", "k2")
	c.HSet(ctx, p+"customer:3", "Name", "Cy") // differs from name by case only
	c.Set(ctx, p+"customer:4", "a string, not a hash: skipped", 0)
	c.HSet(ctx, p+"other:1", "name", "not matched")
	t.Setenv(urlEnv, url)

	e, err := bind(t, map[string]any{"urlEnv": urlEnv, "keys": p + "customer:*", "type": "hash"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := columns(t, e), "key:VARCHAR, Name:VARCHAR, city:VARCHAR, email:VARCHAR, key_:VARCHAR, name_:VARCHAR, visits:VARCHAR"; got != want {
		t.Errorf("columns\ngot  %s\nwant %s", got, want)
	}
	got := query(t, e, `SELECT string_agg(concat_ws('|', replace(key, '`+p+`', ''), Name, city, email, key_, name_, visits), ';' ORDER BY key) FROM s.input`)
	if want := "customer:1|Oslo|Ann|3;customer:2|bob@example.com|k2|Bob;customer:3|Cy"; got != want {
		t.Errorf("rows\ngot  %s\nwant %s", got, want)
	}

	e, err = bind(t, map[string]any{"urlEnv": urlEnv, "keys": p + "customer:[12]", "type": "hash", "keyColumn": "id"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := columns(t, e), "id:VARCHAR, city:VARCHAR, email:VARCHAR, key:VARCHAR, name:VARCHAR, visits:VARCHAR"; got != want {
		t.Errorf("columns with keyColumn\ngot  %s\nwant %s", got, want)
	}
}

func TestJSON(t *testing.T) {
	url, c, p := server(t)
	ctx := context.Background()
	docs := []string{
		`{"id": 1, "price": 2, "paid": true, "name": "ann", "tags": ["a", "b"], "addr": {"city": "Oslo", "zip": "0150"}, "mixed": 1, "nothing": null}`,
		`{"id": 2, "price": 2.5, "paid": false, "name": "bob", "tags": [], "addr": null, "mixed": "one"}`,
		`  {"id": 3, "price": -1e3, "name": null, "extra": 9007199254740993}  `,
	}
	for i, d := range docs {
		c.Set(ctx, fmt.Sprintf("%sorder:%d", p, i+1), d, 0)
	}
	c.HSet(ctx, p+"order:9", "a", "hash: skipped in json mode")
	t.Setenv(urlEnv, url)
	e, err := bind(t, map[string]any{"urlEnv": urlEnv, "keys": p + "order:*", "type": "json"})
	if err != nil {
		t.Fatal(err)
	}
	want := "key:VARCHAR, addr:VARCHAR, extra:BIGINT, id:BIGINT, mixed:VARCHAR, name:VARCHAR, nothing:VARCHAR, paid:BOOLEAN, price:DOUBLE, tags:VARCHAR"
	if got := columns(t, e); got != want {
		t.Errorf("columns\ngot  %s\nwant %s", got, want)
	}
	got := query(t, e, `SELECT string_agg(concat_ws('|', id, addr, extra, mixed, name, nothing IS NULL, paid, price, tags), ';' ORDER BY id) FROM s.input`)
	wantRows := `1|{"city":"Oslo","zip":"0150"}|1|ann|true|true|2.0|["a","b"];` +
		`2|one|bob|true|false|2.5|[];` +
		`3|9007199254740993|true|-1000.0`
	if got != wantRows {
		t.Errorf("rows\ngot  %s\nwant %s", got, wantRows)
	}
}

// TestManyKeys reads more keys than one batch, with SCAN over several
// calls.
func TestManyKeys(t *testing.T) {
	url, c, p := server(t)
	ctx := context.Background()
	const n = 2*redis.Batch + 37
	pipe := c.Pipeline()
	for i := range n {
		pipe.Set(ctx, fmt.Sprintf("%sn:%05d", p, i), fmt.Sprintf(`{"i": %d}`, i), 0)
		pipe.HSet(ctx, fmt.Sprintf("%sh:%05d", p, i), "i", i)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	t.Setenv(urlEnv, url)
	for _, typ := range redis.Types {
		pattern := map[string]string{"json": p + "n:*", "hash": p + "h:*"}[typ]
		e, err := bind(t, map[string]any{"urlEnv": urlEnv, "keys": pattern, "type": typ})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := query(t, e, `SELECT count(*) || '/' || sum(i::bigint) FROM s.input`), fmt.Sprintf("%d/%d", n, n*(n-1)/2); got != want {
			t.Errorf("%s: got %s, want %s", typ, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	url, c, p := server(t)
	ctx := context.Background()
	c.Set(ctx, p+"bad:1", `{"ok": 1}`, 0)
	c.Set(ctx, p+"bad:2", `not json at all`, 0)
	c.Set(ctx, p+"arr:1", `[1, 2]`, 0)
	t.Setenv(urlEnv, url)
	const badEnv = "DATAMESH_TEST_REDIS_BAD_URL"
	tests := []struct {
		name        string
		env         string // "-": unset
		opts        map[string]any
		want        []string
		unavailable bool
	}{
		{"missing env", "-", map[string]any{"urlEnv": badEnv, "keys": "*", "type": "hash"},
			[]string{`redis input "input"`, "environment variable " + badEnv + " is not set"}, false},
		{"not JSON", "", map[string]any{"urlEnv": urlEnv, "keys": p + "bad:*", "type": "json"},
			[]string{"key " + p + "bad:2: the value is not JSON"}, false},
		{"not an object", "", map[string]any{"urlEnv": urlEnv, "keys": p + "arr:*", "type": "json"},
			[]string{"key " + p + "arr:1: the value is JSON but not an object"}, false},
		{"no keys", "", map[string]any{"urlEnv": urlEnv, "keys": p + "none:*", "type": "hash"},
			[]string{"no hash key matches", "no columns to infer"}, true},
		{"wrong credentials", "redis://nobody_dm:s3cr3tpw@" + strings.TrimPrefix(url, "redis://"), map[string]any{"urlEnv": badEnv, "keys": "*", "type": "hash"},
			[]string{`redis input "input" (`, "WRONGPASS"}, false},
		{"unreachable", "redis://:s3cr3tpw@127.0.0.1:1/0", map[string]any{"urlEnv": badEnv, "keys": "*", "type": "hash"},
			[]string{`redis input "input" (127.0.0.1:1/0)`, "connection refused"}, true},
		{"bad url", "http://s3cr3tpw@x", map[string]any{"urlEnv": badEnv, "keys": "*", "type": "hash"},
			[]string{`redis input "input": the URL in the environment is not valid`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env == "-" {
				os.Unsetenv(badEnv)
			} else if tt.env != "" {
				t.Setenv(badEnv, tt.env)
			}
			_, err := bind(t, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cr3tpw") {
				t.Errorf("the password leaked: %v", err)
			}
			if got := errors.Is(err, connector.ErrUnavailable); got != tt.unavailable {
				t.Errorf("ErrUnavailable = %v, want %v", got, tt.unavailable)
			}
		})
	}
}

func TestOptionErrors(t *testing.T) {
	for _, tt := range []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{"urlEnv": "redis://:pw@h:6379", "keys": "*", "type": "hash"}, "urlEnv: must name an environment variable, not hold the URL"},
		{map[string]any{"urlEnv": "A B", "keys": "*", "type": "hash"}, "urlEnv: \"A B\" is not an environment variable name"},
		{map[string]any{"urlEnv": "X", "type": "hash"}, "keys: must be a key pattern"},
		{map[string]any{"urlEnv": "X", "keys": "*", "type": "list"}, "type: must be hash or json"},
		{map[string]any{"urlEnv": "X", "keys": "*", "type": "json", "keyColumn": " "}, "keyColumn: must name a column"},
	} {
		_, err := redis.New(connector.Config{Input: "i", Options: tt.opts})
		var oe *connector.OptionError
		if !errors.As(err, &oe) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.opts, err, tt.want)
		}
	}
}
