//go:build duckdb_arrow

package nats_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/connector/connectortest"
	"github.com/datamesh/datamesh/connector/nats"
	"github.com/datamesh/datamesh/engine"
)

const urlEnv = "DATAMESH_TEST_NATS_INPUT_URL"

// stream creates a stream of a unique name on the test server, with
// subjects under a unique prefix, deleted when the test ends. It returns
// the server URL, JetStream, the stream name and the subject prefix.
// Unreachable: skip, or fail when CI is set.
func stream(t testing.TB) (string, jetstream.JetStream, string, string) {
	t.Helper()
	url := os.Getenv("DATAMESH_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	nc, err := natsgo.Connect(url, natsgo.Timeout(5*time.Second))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NATS unreachable (DATAMESH_TEST_NATS): %v", err)
		}
		t.Skipf("NATS unreachable (set DATAMESH_TEST_NATS): %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	name, prefix := "DMTEST_"+id, "dmtest."+id
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{prefix + ".>"}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := js.DeleteStream(context.Background(), name); err != nil {
			t.Errorf("delete stream %s: %v", name, err)
		}
	})
	return url, js, name, prefix
}

func publish(t testing.TB, js jetstream.JetStream, subject string, payloads ...string) {
	t.Helper()
	for _, p := range payloads {
		if _, err := js.Publish(context.Background(), subject, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
}

func bind(t testing.TB, opts map[string]any) (*engine.Engine, error) {
	t.Helper()
	return connectortest.Bind(t, nats.New, opts)
}

func columns(t testing.TB, e *engine.Engine) string { return connectortest.Columns(t, e) }

func query(t testing.TB, e *engine.Engine, q string) string { return connectortest.Query(t, e, q) }

func TestRead(t *testing.T) {
	url, js, name, p := stream(t)
	before := time.Now().Add(-time.Second)
	publish(t, js, p+".orders.created",
		`{"id": 1, "amount": 12.5, "paid": false, "customer": {"name": "ann"}}`,
		`{"id": 2, "amount": 3, "paid": true, "time": "payload's own time"}`)
	publish(t, js, p+".orders.paid", `{"id": 1, "amount": 12.5, "paid": true, "note": null}`)
	t.Setenv(urlEnv, url)

	e, err := bind(t, map[string]any{"urlEnv": urlEnv, "stream": name})
	if err != nil {
		t.Fatal(err)
	}
	want := "subject:VARCHAR, seq:BIGINT, time:TIMESTAMP WITH TIME ZONE, amount:DOUBLE, customer:VARCHAR, id:BIGINT, note:VARCHAR, paid:BOOLEAN, time_:VARCHAR"
	if got := columns(t, e); got != want {
		t.Errorf("columns\ngot  %s\nwant %s", got, want)
	}
	got := query(t, e, `SELECT string_agg(concat_ws('|', replace(subject, '`+p+`.', ''), seq, id, amount, customer, paid, time_), ';' ORDER BY seq) FROM s.input`)
	if w := `orders.created|1|1|12.5|{"name":"ann"}|false;orders.created|2|2|3.0|true|payload's own time;orders.paid|3|1|12.5|true`; got != w {
		t.Errorf("rows\ngot  %s\nwant %s", got, w)
	}
	var min, max time.Time
	if err := e.DB().QueryRow(`SELECT min(time), max(time) FROM s.input`).Scan(&min, &max); err != nil {
		t.Fatal(err)
	}
	if min.Before(before) || max.After(time.Now().Add(time.Second)) {
		t.Errorf("message times %v..%v, want around now", min, max)
	}

	t.Run("subject", func(t *testing.T) {
		e, err := bind(t, map[string]any{"urlEnv": urlEnv, "stream": name, "subject": p + ".orders.paid"})
		if err != nil {
			t.Fatal(err)
		}
		if got := query(t, e, `SELECT string_agg(seq::varchar, ',') FROM s.input`); got != "3" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("url option and startSeq", func(t *testing.T) {
		e, err := bind(t, map[string]any{"url": url, "stream": name, "startSeq": 2})
		if err != nil {
			t.Fatal(err)
		}
		if got := query(t, e, `SELECT string_agg(seq::varchar, ',' ORDER BY seq) FROM s.input`); got != "2,3" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("startTime", func(t *testing.T) {
		time.Sleep(20 * time.Millisecond)
		mid := time.Now()
		time.Sleep(20 * time.Millisecond)
		publish(t, js, p+".orders.created", `{"id": 4}`)
		e, err := bind(t, map[string]any{"urlEnv": urlEnv, "stream": name, "startTime": mid.UTC().Format(time.RFC3339Nano)})
		if err != nil {
			t.Fatal(err)
		}
		if got := query(t, e, `SELECT string_agg(seq::varchar, ',' ORDER BY seq) FROM s.input`); got != "4" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("startSeq past the end", func(t *testing.T) {
		_, err := bind(t, map[string]any{"urlEnv": urlEnv, "stream": name, "startSeq": 99})
		if !errors.Is(err, connector.ErrUnavailable) || !strings.Contains(err.Error(), "holds no message matching") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestManyAndLive reads more than one batch while a publisher keeps
// publishing: the read stops at the last sequence at bind time, in bounded
// time (run with -race).
func TestManyAndLive(t *testing.T) {
	url, js, name, p := stream(t)
	const n = 2*nats.Batch + 123
	ctx := context.Background()
	for i := range n {
		if _, err := js.PublishAsync(p+".n", fmt.Appendf(nil, `{"i": %d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(10 * time.Second):
		t.Fatal("publish timed out")
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := js.Publish(ctx, p+".live", fmt.Appendf(nil, `{"i": %d, "live": true}`, n+i)); err != nil {
				return
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	t.Setenv(urlEnv, url)
	e, err := bind(t, map[string]any{"urlEnv": urlEnv, "stream": name})
	if err != nil {
		t.Fatal(err)
	}
	var count, maxSeq int64
	if err := e.DB().QueryRow(`SELECT count(*), max(seq) FROM s.input`).Scan(&count, &maxSeq); err != nil {
		t.Fatal(err)
	}
	if count < n || count != maxSeq {
		t.Errorf("read %d messages up to seq %d, want at least %d and no gap", count, maxSeq, n)
	}
}

func TestErrors(t *testing.T) {
	url, js, name, p := stream(t)
	publish(t, js, p+".x", `{"ok": 1}`, `not json`, `{"ok": 3}`)
	_, _, empty, _ := stream(t)
	t.Setenv(urlEnv, url)
	const badEnv = "DATAMESH_TEST_NATS_BAD_URL"
	tests := []struct {
		name        string
		env         string // "-": unset
		opts        map[string]any
		want        []string
		unavailable bool
	}{
		{"non-JSON payload", "", map[string]any{"urlEnv": urlEnv, "stream": name},
			[]string{`nats input "input"`, `stream "` + name + `", message seq 2 (subject ` + p + `.x): the payload is not JSON: "not json"`}, false},
		{"no such stream", "", map[string]any{"urlEnv": urlEnv, "stream": "DMTEST_NOPE_" + name},
			[]string{`stream "DMTEST_NOPE_` + name + `" does not exist`}, false},
		{"empty stream", "", map[string]any{"urlEnv": urlEnv, "stream": empty},
			[]string{`stream "` + empty + `" holds no message`}, true},
		{"missing env", "-", map[string]any{"urlEnv": badEnv, "stream": name},
			[]string{"environment variable " + badEnv + " is not set"}, false},
		{"no server named", "", map[string]any{"stream": name},
			[]string{"no embedded NATS server: the embedded server runs with `datamesh up`"}, true},
		{"unreachable", "nats://dm:s3cr3tpw@127.0.0.1:1", map[string]any{"urlEnv": badEnv, "stream": name},
			[]string{`nats input "input" (127.0.0.1:1): cannot connect`}, true},
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
		{map[string]any{"urlEnv": "nats://h:4222", "stream": "S"}, "urlEnv: must name an environment variable"},
		{map[string]any{"urlEnv": "X", "url": "nats://h:4222", "stream": "S"}, "url: give urlEnv or url, not both"},
		{map[string]any{"url": "nats://u:pw@h:4222", "stream": "S"}, "url: must not hold credentials"},
		{map[string]any{"url": "http://h", "stream": "S"}, "url: must be a nats://host:port URL"},
		{map[string]any{"stream": "a.b"}, `stream: "a.b" is not a stream name`},
		{map[string]any{"stream": ""}, `stream: "" is not a stream name`},
		{map[string]any{"stream": "S", "subject": "a b"}, `subject: "a b" is not a subject filter`},
		{map[string]any{"stream": "S", "startTime": "yesterday"}, `startTime: "yesterday" is not an RFC 3339 time`},
		{map[string]any{"stream": "S", "startSeq": 0}, `startSeq: must be 1 or more`},
		{map[string]any{"stream": "S", "startSeq": 3, "startTime": "2024-05-01T00:00:00Z"}, `startSeq: give startTime or startSeq, not both`},
	} {
		_, err := nats.New(connector.Config{Input: "i", Options: tt.opts})
		var oe *connector.OptionError
		if !errors.As(err, &oe) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.opts, err, tt.want)
		}
	}
}
