//go:build duckdb_arrow

package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/datamesh/datamesh/examples/acme/seed"
)

// runSeed loads the example's data into the services of a profile.
func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("seed", "seed --profile services DIR", stderr)
	profile := fs.String("profile", "", "profile whose services to load: services (PostgreSQL, MariaDB/MySQL, Redis, NATS JetStream)")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 || *profile == "" {
		fs.Usage()
		return exitError{2}
	}
	if *profile != "services" {
		return fmt.Errorf("seed: unknown profile %q: only services can be seeded", *profile)
	}
	o := seed.Options{
		MeshDir:     args[0],
		PostgresDSN: env(seed.EnvPostgres, seed.DefaultEnv[seed.EnvPostgres]),
		MySQLDSN:    env(seed.EnvMySQL, seed.DefaultEnv[seed.EnvMySQL]),
		RedisURL:    env(seed.EnvRedis, seed.DefaultEnv[seed.EnvRedis]),
		NATSURL:     env(seed.EnvNATS, seed.DefaultEnv[seed.EnvNATS]),
	}
	began := time.Now()
	r, err := seed.Seed(ctx, o)
	if err != nil {
		return err
	}
	n := seed.NamesFor("")
	fmt.Fprintf(stdout, "PostgreSQL  %s.orders: %d rows\n", n.Schema, r.Orders)
	fmt.Fprintf(stdout, "MySQL       %s.offices: %d rows, %s.employees: %d rows\n", n.Database, r.Offices, n.Database, r.Employees)
	fmt.Fprintf(stdout, "Redis       %s*: %d JSON documents\n", n.KeyPrefix, r.Campaigns)
	fmt.Fprintf(stdout, "NATS        stream %s: %d messages\n", n.Stream, r.Events)
	fmt.Fprintf(stdout, "seeded in %v; now: datamesh up %s --profile %s\n", time.Since(began).Round(time.Millisecond), args[0], *profile)
	return nil
}
