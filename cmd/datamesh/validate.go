//go:build duckdb_arrow

package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine"
)

// runValidate checks folders of descriptors the way a node does before it
// starts: the same loading, binding and compiling code path.
func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("validate", "validate [flags] DIR...", stderr)
	quiet := fs.Bool("quiet", false, "print errors only, not warnings")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		fs.Usage()
		return exitError{2}
	}
	failed := false
	for _, dir := range args {
		problems, n, err := validateDir(ctx, dir)
		if err != nil {
			return err
		}
		for _, p := range problems {
			if *quiet && p.Severity != descriptor.Error {
				continue
			}
			fmt.Fprintln(stdout, p.String())
		}
		errs := len(problems.Errors())
		if errs > 0 {
			failed = true
			fmt.Fprintf(stdout, "%s: %d product(s), %d error(s), %d warning(s)\n", dir, n, errs, len(problems.Warnings()))
		} else {
			fmt.Fprintf(stdout, "%s: %d product(s) valid, %d warning(s)\n", dir, n, len(problems.Warnings()))
		}
	}
	if failed {
		return exitError{1}
	}
	return nil
}

func validateDir(ctx context.Context, dir string) (descriptor.Problems, int, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, 0, err
	}
	descs, problems := descriptor.LoadDir(dir)
	if problems.HasErrors() || len(descs) == 0 {
		if len(descs) == 0 && !problems.HasErrors() {
			problems = append(problems, descriptor.Problem{Pos: descriptor.Pos{File: dir}, Severity: descriptor.Error,
				Msg: "no data product descriptors here (YAML files with apiVersion: datamesh/v1)"})
		}
		return problems, len(descs), nil
	}
	e, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		return nil, 0, err
	}
	defer e.Close()
	_, more := e.Build(ctx, descs)
	return append(problems, more...), len(descs), nil
}
