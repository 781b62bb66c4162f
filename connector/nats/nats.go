// Package nats reads the messages of a NATS JetStream stream as rows: the
// messages present when the input is bound (up to the stream's last
// sequence at that moment), read with an ordered consumer, one row per
// message, one column per field of the JSON payloads, plus the message's
// subject, stream sequence and time. Reading creates only ephemeral,
// in-memory consumers; nothing is published, acknowledged or deleted.
package nats

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/connector/internal/jsonrows"
)

// Batch is how many messages one fetch asks for.
const (
	Batch          = 1000
	ConnectTimeout = 5 * time.Second
)

func init() {
	connector.Register(connector.Spec{
		Kind:    "nats",
		Summary: "the messages of a NATS JetStream stream, one row per message, columns from the JSON payloads",
		Options: []connector.Option{
			{Name: "urlEnv", Type: connector.TypeString,
				Description: "name of the environment variable holding the server URL (nats://user:password@host:4222, or with a token); absent: the mesh's embedded server, which comes with `datamesh up`",
				Example:     "EVENTS_NATS_URL"},
			{Name: "url", Type: connector.TypeString,
				Description: "server URL without credentials, for local and test servers; use urlEnv for a server that needs a secret",
				Example:     "nats://127.0.0.1:4222"},
			{Name: "stream", Type: connector.TypeString, Required: true,
				Description: "name of the JetStream stream to read",
				Example:     "ORDERS"},
			{Name: "subject", Type: connector.TypeString,
				Description: "read only the messages whose subject matches this filter (wildcards * and >)",
				Example:     "orders.created.>"},
			{Name: "startTime", Type: connector.TypeString,
				Description: "read the messages stored at or after this time (RFC 3339); default: from the first",
				Example:     "2024-05-01T00:00:00Z"},
			{Name: "startSeq", Type: connector.TypeInt,
				Description: "read the messages from this stream sequence on; default: from the first",
				Example:     "1000"},
			{Name: "seed", Type: connector.TypeString,
				Description: "for the embedded server only (no urlEnv/url, or urlEnv not set): a file of JSON lines, relative to the descriptor, that `datamesh up` publishes into the stream (creating it, subjects STREAM and STREAM.> in lower case) when the stream is empty",
				Example:     "data/events.ndjson"},
		},
		New: New,
	})
}

// NATS is an input read from a JetStream stream.
type NATS struct {
	Input     string
	URLEnv    string
	URL       string
	Stream    string
	Subject   string
	StartTime time.Time
	StartSeq  uint64
	// Seed is the file `datamesh up` publishes into an empty stream of
	// the embedded server (absolute, resolved against the descriptor).
	Seed string
	dir  string
}

var _ connector.Connector = (*NATS)(nil)

var (
	envName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	streamName = regexp.MustCompile(`^[^\s.*>/\\]+$`)
)

// ErrNoEmbedded is returned by Bind for an input without urlEnv nor url
// when no embedded server runs in this process (`datamesh serve` alone).
var ErrNoEmbedded = fmt.Errorf("%w: no urlEnv and no embedded NATS server: the embedded server runs with `datamesh up`; with `datamesh serve` name a server with urlEnv", connector.ErrUnavailable)

var (
	defaultMu  sync.RWMutex
	defaultURL string
)

// SetDefaultURL sets the URL of the server inputs without urlEnv nor url
// read: the mesh's embedded server, set by `datamesh up` while it runs
// ("" again when it stops).
func SetDefaultURL(u string) {
	defaultMu.Lock()
	defaultURL = u
	defaultMu.Unlock()
}

// DefaultURL is the embedded server's URL, "" when none runs.
func DefaultURL() string {
	defaultMu.RLock()
	defer defaultMu.RUnlock()
	return defaultURL
}

// New checks the options; it neither reads the environment nor connects.
func New(c connector.Config) (connector.Connector, error) {
	n := &NATS{Input: c.Input, dir: c.Dir}
	n.URLEnv, _ = c.Options["urlEnv"].(string)
	n.URL, _ = c.Options["url"].(string)
	n.Stream, _ = c.Options["stream"].(string)
	n.Subject, _ = c.Options["subject"].(string)
	switch {
	case strings.Contains(n.URLEnv, "://"):
		return nil, &connector.OptionError{Option: "urlEnv", Msg: "must name an environment variable, not hold the URL: secrets never stand in a descriptor"}
	case n.URLEnv != "" && !envName.MatchString(n.URLEnv):
		return nil, &connector.OptionError{Option: "urlEnv", Msg: fmt.Sprintf("%q is not an environment variable name", n.URLEnv)}
	case n.URLEnv != "" && n.URL != "":
		return nil, &connector.OptionError{Option: "url", Msg: "give urlEnv or url, not both"}
	case !streamName.MatchString(n.Stream):
		return nil, &connector.OptionError{Option: "stream", Msg: fmt.Sprintf("%q is not a stream name (no spaces, '.', '*', '>', '/' or '\\')", n.Stream)}
	case strings.ContainsAny(n.Subject, " \t\r\n") || (n.Subject != "" && (strings.HasPrefix(n.Subject, ".") || strings.HasSuffix(n.Subject, "."))):
		return nil, &connector.OptionError{Option: "subject", Msg: fmt.Sprintf("%q is not a subject filter", n.Subject)}
	}
	if n.URL != "" {
		u, err := url.Parse(n.URL)
		if err != nil || u.Host == "" || (u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss") {
			return nil, &connector.OptionError{Option: "url", Msg: "must be a nats://host:port URL"}
		}
		if u.User != nil {
			return nil, &connector.OptionError{Option: "url", Msg: "must not hold credentials: secrets never stand in a descriptor; use urlEnv"}
		}
	}
	if s, ok := c.Options["seed"].(string); ok && s != "" {
		if n.URL != "" {
			return nil, &connector.OptionError{Option: "seed", Msg: "seeds the embedded server only; it cannot go with url"}
		}
		if filepath.IsAbs(s) || strings.HasPrefix(filepath.Clean(s), "..") {
			return nil, &connector.OptionError{Option: "seed", Msg: "must be a path inside the descriptor's folder"}
		}
		n.Seed = filepath.Join(c.Dir, s)
	}
	if s, ok := c.Options["startTime"].(string); ok && s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, &connector.OptionError{Option: "startTime", Msg: fmt.Sprintf("%q is not an RFC 3339 time such as 2024-05-01T00:00:00Z", s)}
		}
		n.StartTime = t
	}
	if s, ok := c.Options["startSeq"].(int); ok {
		if s < 1 {
			return nil, &connector.OptionError{Option: "startSeq", Msg: "must be 1 or more"}
		}
		if !n.StartTime.IsZero() {
			return nil, &connector.OptionError{Option: "startSeq", Msg: "give startTime or startSeq, not both"}
		}
		n.StartSeq = uint64(s)
	}
	return n, nil
}

// Columns every row has before the payload's fields.
var fixed = []connector.Column{
	{Name: "subject", Type: "VARCHAR"},
	{Name: "seq", Type: "BIGINT"},
	{Name: "time", Type: "TIMESTAMPTZ"},
}

// ServerURL is the URL the input reads: urlEnv's value, url, or the
// embedded server's (the environment variable when urlEnv names one that
// is not set and an embedded server runs).
func (n *NATS) ServerURL() (string, error) {
	serverURL := n.URL
	if n.URLEnv != "" {
		serverURL = os.Getenv(n.URLEnv)
		if serverURL == "" {
			if serverURL = DefaultURL(); serverURL != "" {
				return serverURL, nil
			}
			return "", fmt.Errorf("nats input %q: environment variable %s is not set (urlEnv names the variable holding the server URL) and no embedded server runs", n.Input, n.URLEnv)
		}
	}
	if serverURL == "" {
		serverURL = DefaultURL()
	}
	if serverURL == "" {
		return "", fmt.Errorf("nats input %q: %w", n.Input, ErrNoEmbedded)
	}
	return serverURL, nil
}

// open connects to the input's server and finds its stream. fail turns
// an error into one naming the input and server, without secrets, marked
// unavailable when the server cannot be reached.
func (n *NATS) open(ctx context.Context) (nc *natsgo.Conn, st jetstream.Stream, fail func(error) error, err error) {
	serverURL, err := n.ServerURL()
	if err != nil {
		return nil, nil, nil, err
	}
	src, secrets := describe(serverURL)
	fail = func(err error) error {
		msg := fmt.Sprintf("nats input %q (%s): %s", n.Input, src, redact(err.Error(), secrets))
		if unavailable(err) {
			return fmt.Errorf("%w: %s", connector.ErrUnavailable, msg)
		}
		return errors.New(msg)
	}
	nc, err = natsgo.Connect(serverURL, natsgo.Name("datamesh"), natsgo.Timeout(ConnectTimeout),
		natsgo.MaxReconnects(0), natsgo.NoCallbacksAfterClientClose())
	if err != nil {
		return nil, nil, nil, fail(fmt.Errorf("cannot connect: %w", err))
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, nil, fail(err)
	}
	st, err = js.Stream(ctx, n.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		err = fmt.Errorf("stream %q does not exist", n.Stream)
	} else if err != nil {
		err = fmt.Errorf("stream %q: %w", n.Stream, err)
	}
	if err != nil {
		nc.Close()
		return nil, nil, nil, fail(err)
	}
	return nc, st, fail, nil
}

// Bind reads the stream's messages, up to its last sequence now, into the
// table rel.
func (n *NATS) Bind(ctx context.Context, e connector.Engine, rel connector.Relation) error {
	nc, st, fail, err := n.open(ctx)
	if err != nil {
		return err
	}
	defer nc.Close()
	src, _ := describe(nc.ConnectedUrlRedacted())
	last := st.CachedInfo().State.LastSeq
	t := jsonrows.New(fixed...)
	if last > 0 && n.StartSeq <= last {
		if err := n.read(ctx, st, last, t); err != nil {
			return fail(err)
		}
	}
	if t.Len() == 0 {
		what := "holds no message"
		if n.Subject != "" || n.StartSeq > 0 || !n.StartTime.IsZero() {
			what = "holds no message matching the subject and start options"
		}
		return fmt.Errorf("%w: nats input %q (%s): stream %q %s, so there are no columns to infer",
			connector.ErrUnavailable, n.Input, src, n.Stream, what)
	}
	return e.Load(ctx, rel, t.Columns(), t.Rows())
}

// read fetches the messages up to the sequence last with an ordered
// consumer, in batches that do not wait for new messages.
func (n *NATS) read(ctx context.Context, st jetstream.Stream, last uint64, t *jsonrows.Table) error {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy, InactiveThreshold: time.Minute}
	if n.Subject != "" {
		cfg.FilterSubjects = []string{n.Subject}
	}
	switch {
	case n.StartSeq > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, n.StartSeq
	case !n.StartTime.IsZero():
		start := n.StartTime
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	cons, err := st.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("stream %q: cannot create a consumer: %w", n.Stream, err)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch, err := cons.FetchNoWait(Batch)
		if err != nil {
			return fmt.Errorf("stream %q: %w", n.Stream, err)
		}
		got, done := 0, false
		for msg := range batch.Messages() {
			got++
			if done {
				continue // drain
			}
			md, err := msg.Metadata()
			if err != nil {
				return fmt.Errorf("stream %q: %w", n.Stream, err)
			}
			seq := md.Sequence.Stream
			if seq > last {
				done = true // published after the input was bound
				continue
			}
			obj, err := jsonrows.Decode(msg.Data())
			if err != nil {
				return fmt.Errorf("stream %q, message seq %d (subject %s): the payload %v", n.Stream, seq, msg.Subject(), err)
			}
			t.Add([]any{msg.Subject(), int64(seq), md.Timestamp}, obj)
			if seq == last || md.NumPending == 0 {
				done = true
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return fmt.Errorf("stream %q: %w", n.Stream, err)
		}
		if done || got == 0 {
			return nil
		}
	}
}

// describe names a server for messages (host:port, never credentials) and
// lists the secrets its URL holds.
func describe(serverURL string) (string, []string) {
	secrets := []string{serverURL}
	var hosts []string
	for _, s := range strings.Split(serverURL, ",") {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil {
			continue
		}
		hosts = append(hosts, u.Host)
		if u.User != nil {
			if p, ok := u.User.Password(); ok && p != "" {
				secrets = append(secrets, p)
			} else if tok := u.User.Username(); tok != "" {
				secrets = append(secrets, tok) // nats://token@host
			}
		}
	}
	if len(hosts) == 0 {
		return "server", secrets
	}
	return strings.Join(hosts, ","), secrets
}

func redact(msg string, secrets []string) string {
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}

// unavailable tells a server that cannot be reached now from one that
// answers with an error (wrong credentials, no such stream).
func unavailable(err error) bool {
	return errors.Is(err, natsgo.ErrNoServers) || errors.Is(err, natsgo.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, natsgo.ErrConnectionClosed)
}
