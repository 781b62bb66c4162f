// Package file reads CSV, Parquet, JSON and NDJSON files (one path or a
// glob, relative to the descriptor) as a view, so that the product always
// sees the files as they are now.
package file

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/engine/sqlq"
)

// Formats are the file formats this connector reads.
var Formats = []string{"csv", "parquet", "json", "ndjson"}

func init() {
	connector.Register(connector.Spec{
		Kind:      "file",
		Summary:   "CSV, Parquet, JSON or NDJSON files, by path or glob relative to the descriptor",
		Shorthand: "path",
		Options: []connector.Option{
			{Name: "path", Type: connector.TypeString, Required: true,
				Description: "file path or glob (*, **, ?), relative to the descriptor's folder", Example: "data/flights.parquet"},
			{Name: "format", Type: connector.TypeString, Enum: Formats,
				Description: "file format; by default taken from the extension (.csv, .tsv, .parquet, .json, .ndjson, .jsonl)", Example: "csv"},
			{Name: "delimiter", Type: connector.TypeString,
				Description: "CSV field delimiter; detected when absent", Example: ";"},
			{Name: "header", Type: connector.TypeBool,
				Description: "whether a CSV file starts with a header row; detected when absent", Example: "true"},
		},
		New: New,
	})
}

// File is an input read from files.
type File struct {
	Path      string // absolute path or glob
	Format    string
	Delimiter string
	Header    *bool
}

var _ connector.Connector = (*File)(nil)

// New builds a File from its options.
func New(c connector.Config) (connector.Connector, error) {
	f := &File{}
	path, _ := c.Options["path"].(string)
	if strings.TrimSpace(path) == "" {
		return nil, &connector.OptionError{Option: "path", Msg: "must name a file"}
	}
	if strings.Contains(path, "://") {
		return nil, &connector.OptionError{Option: "path", Msg: "must be a local path or glob; URLs are not read yet"}
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(c.Dir, path)
	}
	f.Path = filepath.Clean(path)
	f.Format, _ = c.Options["format"].(string)
	if f.Format == "" {
		var err error
		if f.Format, err = FormatOf(f.Path); err != nil {
			return nil, &connector.OptionError{Option: "path", Msg: err.Error()}
		}
	}
	f.Delimiter, _ = c.Options["delimiter"].(string)
	if h, ok := c.Options["header"].(bool); ok {
		f.Header = &h
	}
	if f.Delimiter != "" && f.Format != "csv" {
		return nil, &connector.OptionError{Option: "delimiter", Msg: "applies to csv files only"}
	}
	return f, nil
}

// FormatOf names the format of a path by its extension.
func FormatOf(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv", ".tsv", ".txt":
		return "csv", nil
	case ".parquet", ".pq":
		return "parquet", nil
	case ".json":
		return "json", nil
	case ".ndjson", ".jsonl":
		return "ndjson", nil
	default:
		return "", fmt.Errorf("cannot tell the format of %q from its extension %q: name it with format: (one of %s)",
			filepath.Base(path), ext, strings.Join(Formats, ", "))
	}
}

// Bind creates a view over the files. A single CSV file is sniffed once,
// here: the view then reads it with the dialect and column types found
// (DuckDB's sniff_csv), instead of sniffing it again at every request.
func (f *File) Bind(ctx context.Context, e connector.Engine, rel connector.Relation) error {
	e.Allow(globRoot(f.Path))
	scan := "FROM " + f.scan()
	if f.Format == "csv" && !strings.ContainsAny(f.Path, "*?[{") {
		if s, ok := e.(sniffer); ok {
			prompt, err := s.QueryString(ctx, "SELECT Prompt FROM sniff_csv("+f.csvArgs()+")")
			if err != nil {
				return err
			}
			scan = strings.TrimSuffix(strings.TrimSpace(prompt), ";")
		}
	}
	return e.Exec(ctx, "CREATE VIEW "+rel.String()+" AS SELECT * "+scan)
}

// sniffer is an engine that answers a query with one string.
type sniffer interface {
	QueryString(ctx context.Context, query string) (string, error)
}

// scan is the table function call reading the files; the path is quoted as
// a SQL literal.
func (f *File) scan() string {
	lit := sqlq.Literal(f.Path)
	switch f.Format {
	case "parquet":
		return "read_parquet(" + lit + ")"
	case "json":
		return "read_json(" + lit + ", format = 'auto')"
	case "ndjson":
		return "read_json(" + lit + ", format = 'newline_delimited')"
	default:
		return "read_csv(" + f.csvArgs() + ")"
	}
}

// csvArgs are the arguments of read_csv or sniff_csv for the file.
func (f *File) csvArgs() string {
	args := sqlq.Literal(f.Path)
	if f.Delimiter != "" {
		args += ", delim = " + sqlq.Literal(f.Delimiter)
	}
	if f.Header != nil {
		args += fmt.Sprintf(", header = %t", *f.Header)
	}
	return args
}

// globRoot is the folder above the first glob character in path.
func globRoot(path string) string {
	i := strings.IndexAny(path, "*?[{")
	if i < 0 {
		return filepath.Dir(path)
	}
	return filepath.Dir(path[:i] + "x")
}
