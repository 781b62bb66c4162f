//go:build duckdb_arrow

package node

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// snapshot is one build of a materialized product: a DuckDB table that
// requests read, the Parquet file that keeps it across restarts and, when
// it is small enough, its rows in memory with a primary key index.
// Requests hold a reference while they read it, so that a refresh can
// swap in a new snapshot without pulling this one from under them: it is
// dropped when the last reader lets go.
type snapshot struct {
	manifest
	table   string              // engine table in the product's schema
	path    string              // the Parquet file
	schema  *arrow.Schema       // of batches; nil: not in memory
	batches []arrow.RecordBatch // the rows in primary key order, when in memory
	index   *keyIndex           // nil: no usable primary key
	mem     int64               // bytes of batches

	refs     atomic.Int64 // readers, plus one while current
	obsolete atomic.Bool  // swapped out: its file goes too
	m        *materialized
}

// manifest describes the current snapshot of a product in the data folder
// (snapshots/{name}@v{major}/current.json), so that a restart serves it.
type manifest struct {
	ID      string    `json:"id"`
	File    string    `json:"file"`
	BuiltAt time.Time `json:"builtAt"` // when its computation started: the data's as-of time
	Took    Duration  `json:"took"`
	Rows    int64     `json:"rows"`
	Bytes   int64     `json:"bytes"`
	// Fingerprint is of the definition that built it (version, transform,
	// columns): a snapshot of another definition is not served.
	Fingerprint string `json:"fingerprint"`
}

const manifestName = "current.json"

// snapshotID names a snapshot after its build time, so that names sort
// in build order and a restart never reuses one.
func snapshotID(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 36) }

// acquire takes a reference; release gives it back.
func (s *snapshot) acquire() { s.refs.Add(1) }

func (s *snapshot) release() {
	if s.refs.Add(-1) == 0 {
		s.m.retire(s)
	}
}

func (s *snapshot) freeMemory() {
	for _, b := range s.batches {
		b.Release()
	}
	s.schema, s.batches, s.index = nil, nil, nil
}

func readManifest(dir string) (manifest, error) {
	var m manifest
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, err
	}
	if m.File == "" || filepath.Base(m.File) != m.File {
		return m, errors.New("no file named")
	}
	return m, nil
}

// writeManifest replaces the manifest atomically (write, then rename).
func writeManifest(dir string, m manifest) error {
	return writeFileAtomic(filepath.Join(dir, manifestName), m)
}

// writeFileAtomic writes v as JSON to path through a temporary file and a
// rename, so that readers (and a restart) see the old or the new content.
func writeFileAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Duration is a time.Duration written as text: "1.5s", "200ms".
type Duration time.Duration

// MarshalText writes the duration in Go's form, rounded to the
// millisecond above a second and to the microsecond below.
func (d Duration) MarshalText() ([]byte, error) {
	v := time.Duration(d)
	if v >= time.Second {
		v = v.Round(time.Millisecond)
	} else {
		v = v.Round(time.Microsecond)
	}
	return []byte(v.String()), nil
}

// UnmarshalText reads what MarshalText writes.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// batchBytes is the size of a batch's buffers.
func batchBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		n += dataBytes(c.Data())
	}
	return n
}

func dataBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, buf := range d.Buffers() {
		if buf != nil {
			n += int64(buf.Len())
		}
	}
	for _, c := range d.Children() {
		n += dataBytes(c)
	}
	return n
}
