package descriptor

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadFile reads and validates the descriptor in the file at path. It
// returns every problem found, sorted by position; the product is nil only
// when the file cannot be read or is not YAML. A product returned with
// errors among the problems must not be served.
func LoadFile(path string) (*Product, Problems) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Problems{{Pos: Pos{File: path}, Msg: readError(err)}}
	}
	return Parse(path, data)
}

// Parse reads and validates a descriptor. File names it in problems, and
// relative paths in its inputs are resolved against file's folder.
func Parse(file string, data []byte) (*Product, Problems) {
	root, probs := parseYAML(file, data)
	if root == nil {
		return nil, probs
	}
	p, more := decode(file, root)
	probs = append(probs, more...)
	probs.Sort()
	return p, probs
}

// LoadDir loads every descriptor under dir, recursively, skipping folders
// and files whose name starts with "." or "_". A *.yaml or *.yml file is a
// descriptor when its top level is a mapping whose apiVersion starts with
// "datamesh/" or whose kind is DataProduct; other YAML files are ignored.
// Besides each file's problems, LoadDir reports a product declared twice
// (same domain, name and major version). Products are returned in path
// order, those with errors included; problems are sorted.
func LoadDir(dir string) ([]*Product, Problems) {
	var (
		products []*Product
		probs    Problems
	)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			probs = append(probs, Problem{Pos: Pos{File: path}, Msg: readError(err)})
			if d != nil && d.IsDir() && path != dir {
				return fs.SkipDir
			}
			return nil
		}
		if path != dir && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if ext := strings.ToLower(filepath.Ext(path)); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			probs = append(probs, Problem{Pos: Pos{File: path}, Msg: readError(err)})
			return nil
		}
		root, ps := parseYAML(path, data)
		if root == nil {
			// Not YAML: report it only if it looks like it meant to be
			// a descriptor.
			if looksLikeDescriptor.Match(data) {
				probs = append(probs, ps...)
			}
			return nil
		}
		if !isDescriptor(root) {
			return nil
		}
		p, more := decode(path, root)
		probs = append(probs, ps...)
		probs = append(probs, more...)
		products = append(products, p)
		return nil
	})
	if err != nil {
		probs = append(probs, Problem{Pos: Pos{File: dir}, Msg: readError(err)})
	}
	probs = append(probs, duplicates(products)...)
	probs = append(probs, Cycles(products)...)
	probs.Sort()
	return products, probs
}

// duplicates reports each product declared again under the same domain,
// name and major version, at the later one.
func duplicates(products []*Product) Problems {
	var probs Problems
	first := map[string]*Product{}
	for _, p := range products {
		v, err := ParseVersion(p.Version)
		if err != nil || !NamePattern.MatchString(p.Name) || !NamePattern.MatchString(p.Domain) {
			continue // already reported
		}
		key := fmt.Sprintf("%s/%s@%d", p.Domain, p.Name, v.Major)
		if q, dup := first[key]; dup {
			probs = append(probs, p.Problem("name", "product %s/%s major version %d is already declared in %s",
				p.Domain, p.Name, v.Major, q.Pos("name")))
			continue
		}
		first[key] = p
	}
	return probs
}

// looksLikeDescriptor tells descriptors from other YAML files when a file
// cannot be parsed.
var looksLikeDescriptor = regexp.MustCompile(`(?m)^(apiVersion:\s*["']?datamesh/|kind:\s*["']?DataProduct)`)

// isDescriptor reports whether root is a mapping with an apiVersion starting
// with datamesh/ or kind DataProduct.
func isDescriptor(root *yaml.Node) bool {
	root = resolve(root)
	if root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolve(root.Content[i+1])
		if v.Kind != yaml.ScalarNode {
			continue
		}
		switch k.Value {
		case "apiVersion":
			if strings.HasPrefix(v.Value, "datamesh/") {
				return true
			}
		case "kind":
			if v.Value == Kind {
				return true
			}
		}
	}
	return false
}

func readError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// syntaxLine finds the line in a YAML syntax error.
var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML returns the top node of the one YAML document in data, or nil
// with the problems that prevent reading it.
func parseYAML(file string, data []byte) (root *yaml.Node, probs Problems) {
	defer func() {
		// The YAML library is not ours: never let it take the caller down.
		if r := recover(); r != nil {
			root, probs = nil, Problems{{Pos: Pos{File: file}, Msg: fmt.Sprintf("cannot read YAML: %v", r)}}
		}
	}()
	syntax := func(err error) Problem {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := syntaxLine.FindStringSubmatch(err.Error()); m != nil {
			if line, err := strconv.Atoi(m[1]); err == nil {
				return Problem{Pos: Pos{File: file, Line: line}, Msg: "YAML syntax: " + m[2]}
			}
		}
		return Problem{Pos: Pos{File: file}, Msg: "YAML syntax: " + msg}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, Problems{{Pos: Pos{File: file}, Msg: "the file is empty: a descriptor is a mapping of fields (apiVersion, kind, name, ...)"}}
		}
		return nil, Problems{syntax(err)}
	}
	root = &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	if isNull(root) {
		return nil, Problems{{Pos: Pos{File: file}, Msg: "the file is empty: a descriptor is a mapping of fields (apiVersion, kind, name, ...)"}}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
	case err != nil:
		probs = append(probs, syntax(err))
	case len(next.Content) == 1 && !isNull(next.Content[0]):
		n := next.Content[0]
		probs = append(probs, Problem{Pos: Pos{File: file, Line: n.Line, Column: n.Column},
			Msg: "a second YAML document: a descriptor file holds one product (remove this document or the --- before it)"})
	}
	return root, probs
}

// resolve follows aliases (*name) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return resolve(n.Content[0])
	}
	return n
}

// isNull reports whether n is absent in all but name: null, ~ or nothing.
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what n is, for messages: "a list", "the string "yes"".
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		switch n.ShortTag() {
		case "!!str":
			return "the string " + strconv.Quote(v)
		case "!!int":
			return "the integer " + v
		case "!!float":
			return "the number " + v
		case "!!bool":
			return "the boolean " + v
		case "!!null":
			return "null"
		default:
			return strconv.Quote(v)
		}
	}
	return "an unknown YAML node"
}
