//go:build duckdb_arrow

package mesh

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	natsconn "github.com/datamesh/datamesh/connector/nats"
)

// embeddedNATS starts the mesh's embedded NATS server, with JetStream,
// when a product reads a nats input that names no server (no url, and no
// urlEnv or one that is not set): the server listens on a random loopback
// port, keeps its streams in DataDir/nats, and becomes the URL such inputs
// read (nats.SetDefaultURL). Streams of inputs with a seed file are
// created and, when empty, filled from it. It returns nil when no input
// needs it.
func embeddedNATS(ctx context.Context, o Options, domains []Domain) (*server.Server, error) {
	type seed struct{ stream, file string }
	var seeds []seed
	needed := false
	for _, d := range domains {
		for _, p := range d.Products {
			for _, in := range p.Inputs {
				if in.Kind != "nats" {
					continue
				}
				if u, _ := in.Options["url"].(string); u != "" {
					continue
				}
				if env, _ := in.Options["urlEnv"].(string); env != "" && os.Getenv(env) != "" {
					continue
				}
				needed = true
				stream, _ := in.Options["stream"].(string)
				if f, _ := in.Options["seed"].(string); f != "" && stream != "" {
					seeds = append(seeds, seed{stream, filepath.Join(p.Dir, f)})
				}
			}
		}
	}
	if !needed {
		return nil, nil
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: "datamesh", Host: "127.0.0.1", Port: server.RANDOM_PORT,
		JetStream: true, StoreDir: filepath.Join(o.DataDir, "nats"),
		NoSigs: true, NoLog: true,
	})
	if err != nil {
		return nil, fmt.Errorf("mesh: embedded NATS server: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("mesh: the embedded NATS server was not ready in 10s")
	}
	natsconn.SetDefaultURL(ns.ClientURL())
	for _, s := range seeds {
		n, err := natsconn.Seed(ctx, ns.ClientURL(), s.stream, s.file)
		if err != nil {
			stopNATS(ns)
			return nil, fmt.Errorf("mesh: embedded NATS server: %w", err)
		}
		if n > 0 {
			o.Logger.Info("seeded a stream of the embedded NATS server", "stream", s.stream, "messages", n, "file", s.file)
		}
	}
	o.Logger.Info("embedded NATS server", "url", ns.ClientURL(), "store", filepath.Join(o.DataDir, "nats"))
	return ns, nil
}

// stopNATS stops the embedded server; inputs naming no server are then
// unavailable again.
func stopNATS(ns *server.Server) {
	if ns == nil {
		return
	}
	if natsconn.DefaultURL() == ns.ClientURL() {
		natsconn.SetDefaultURL("")
	}
	ns.Shutdown()
	ns.WaitForShutdown()
}
