package connector

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
)

// Unreachable reports whether err says a source could not be reached now
// (a network error, a refused connection, a deadline), as opposed to a
// source that answered with an error. Connectors wrap the former in
// ErrUnavailable, so that the product waits for its source.
func Unreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
}
