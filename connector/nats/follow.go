package nats

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/datamesh/datamesh/connector/internal/jsonrows"
)

// FromNow is the afterSeq that makes Follow deliver only the messages
// published after it started (after the stream's last sequence then).
const FromNow uint64 = math.MaxUint64

// Message is one message Follow delivers: the row Bind would make of it
// (subject, seq, time, then the payload's fields).
type Message struct {
	Seq     uint64
	Subject string
	Time    time.Time
	Payload map[string]any
}

// Follow delivers the input's messages with a stream sequence above
// afterSeq (FromNow: above the last sequence when it starts), as they are
// published, honouring the input's subject filter, until ctx ends or fn
// fails. ready, if not nil, is called once the consumer is in place, with
// the sequence it delivers after: a message published after ready is
// delivered. It returns nil when ctx ends; errors reaching the server are
// marked connector.ErrUnavailable. A payload that is not a JSON object is
// an error.
func (n *NATS) Follow(ctx context.Context, afterSeq uint64, ready func(afterSeq uint64), fn func(Message) error) error {
	nc, st, fail, err := n.open(ctx)
	if err != nil {
		return err
	}
	defer nc.Close()
	if afterSeq == FromNow {
		afterSeq = st.CachedInfo().State.LastSeq
	}
	cfg := jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: afterSeq + 1,
		InactiveThreshold: time.Minute,
	}
	if n.Subject != "" {
		cfg.FilterSubjects = []string{n.Subject}
	}
	cons, err := st.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fail(fmt.Errorf("stream %q: cannot create a consumer: %w", n.Stream, err))
	}
	// The consumer goes with the follower, not after an inactive minute.
	defer func() {
		if info := cons.CachedInfo(); info != nil {
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = st.DeleteConsumer(dctx, info.Name)
		}
	}()
	it, err := cons.Messages(jetstream.PullMaxMessages(256))
	if err != nil {
		return fail(fmt.Errorf("stream %q: %w", n.Stream, err))
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	if ready != nil {
		ready(afterSeq)
	}
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return fail(fmt.Errorf("stream %q: %w", n.Stream, err))
		}
		md, err := msg.Metadata()
		if err != nil {
			return fail(fmt.Errorf("stream %q: %w", n.Stream, err))
		}
		obj, err := jsonrows.Decode(msg.Data())
		if err != nil {
			return fmt.Errorf("nats input %q: stream %q, message seq %d (subject %s): the payload %v",
				n.Input, n.Stream, md.Sequence.Stream, msg.Subject(), err)
		}
		if err := fn(Message{Seq: md.Sequence.Stream, Subject: msg.Subject(), Time: md.Timestamp, Payload: obj}); err != nil {
			return err
		}
	}
}

// Subjects are the subjects a stream Seed creates takes: its name in lower
// case, and everything under it.
func Subjects(stream string) []string {
	s := strings.ToLower(stream)
	return []string{s, s + ".>"}
}

// Seed creates the stream on the server at serverURL if it does not exist
// (subjects from Subjects, file storage) and, when it holds no message,
// publishes every line of the JSON-lines file into it, to the subject in
// lower case. It returns how many messages it published (0: the stream
// already held messages).
func Seed(ctx context.Context, serverURL, stream, file string) (int, error) {
	nc, err := natsgo.Connect(serverURL, natsgo.Name("datamesh-seed"), natsgo.Timeout(ConnectTimeout))
	if err != nil {
		return 0, fmt.Errorf("seed %s: %w", stream, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: Subjects(stream), Storage: jetstream.FileStorage})
	if err != nil {
		// An existing stream with other subjects: keep it as it is.
		if st, err = js.Stream(ctx, stream); err != nil {
			return 0, fmt.Errorf("seed %s: %w", stream, err)
		}
	}
	if st.CachedInfo().State.Msgs > 0 {
		return 0, nil
	}
	subject := Subjects(stream)[0]
	if subs := st.CachedInfo().Config.Subjects; len(subs) > 0 && !strings.ContainsAny(subs[0], "*>") {
		subject = subs[0]
	}
	f, err := os.Open(file)
	if err != nil {
		return 0, fmt.Errorf("seed %s: %w", stream, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	count := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if _, err := js.PublishAsync(subject, []byte(line)); err != nil {
			return count, fmt.Errorf("seed %s: %w", stream, err)
		}
		count++
		if count%4000 == 0 {
			if err := wait(ctx, js); err != nil {
				return count, fmt.Errorf("seed %s: %w", stream, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return count, fmt.Errorf("seed %s: %s: %w", stream, file, err)
	}
	if err := wait(ctx, js); err != nil {
		return count, fmt.Errorf("seed %s: %w", stream, err)
	}
	return count, nil
}

func wait(ctx context.Context, js jetstream.JetStream) error {
	select {
	case <-js.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(30 * time.Second):
		return errors.New("publishing timed out")
	}
}
