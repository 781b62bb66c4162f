//go:build duckdb_arrow

package node

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine"
	"github.com/datamesh/datamesh/query"
)

// keyIndex finds rows of a snapshot in memory by primary key. The batches
// are in key order (the snapshot is sorted by its key), so the index is a
// binary search over them and costs no memory of its own. Keys of integer,
// VARCHAR and date columns are indexed; a snapshot whose key has another
// type, or whose rows turn out not to be strictly ordered by their key, has
// no index and is served by DuckDB.
type keyIndex struct {
	names []string   // key columns
	kinds []keyKind  // per key column
	arrs  [][]keyArr // per batch, per key column
	rows  []int      // per batch
}

type keyKind uint8

const (
	keyInt keyKind = iota
	keyString
	keyDate
)

// keyVal is one key column's value: an integer (also days for dates) or
// a string.
type keyVal struct {
	i int64
	s string
}

// keyArr reads one key column of one batch.
type keyArr struct {
	cmp func(row int, v keyVal) int // compares row's value with v
	val func(row int) keyVal
}

func newKeyIndex(p *engine.Product, schema *arrow.Schema, batches []arrow.RecordBatch) *keyIndex {
	pk := p.Desc.Output.PrimaryKey
	if len(pk) == 0 || schema == nil {
		return nil
	}
	ix := &keyIndex{names: pk, kinds: make([]keyKind, len(pk))}
	cols := make([]int, len(pk))
	for k, name := range pk {
		idx := schema.FieldIndices(name)
		col, ok := p.Desc.Column(name)
		if len(idx) != 1 || !ok {
			return nil
		}
		cols[k] = idx[0]
		switch col.LogicalType {
		case descriptor.Integer:
			ix.kinds[k] = keyInt
		case descriptor.Date:
			ix.kinds[k] = keyDate
		case descriptor.String:
			// Only VARCHAR compares as Go strings do (a UUID parameter,
			// say, is read in several spellings).
			if engineType(p, name) != "VARCHAR" {
				return nil
			}
			ix.kinds[k] = keyString
		default:
			return nil
		}
	}
	for _, b := range batches {
		arrs := make([]keyArr, len(pk))
		for k, c := range cols {
			a := b.Column(c)
			if a.NullN() > 0 {
				return nil
			}
			var ok bool
			if arrs[k], ok = newKeyArr(a, ix.kinds[k]); !ok {
				return nil
			}
		}
		ix.arrs = append(ix.arrs, arrs)
		ix.rows = append(ix.rows, int(b.NumRows()))
	}
	if !ix.ordered() {
		return nil
	}
	return ix
}

func engineType(p *engine.Product, name string) string {
	for _, c := range p.Columns {
		if c.Name == name {
			return c.Type
		}
	}
	return ""
}

func newKeyArr(a arrow.Array, kind keyKind) (keyArr, bool) {
	ints := func(v func(int) int64) keyArr {
		return keyArr{
			cmp: func(r int, k keyVal) int { return cmp.Compare(v(r), k.i) },
			val: func(r int) keyVal { return keyVal{i: v(r)} },
		}
	}
	strs := func(v func(int) string) keyArr {
		return keyArr{
			cmp: func(r int, k keyVal) int { return strings.Compare(v(r), k.s) },
			val: func(r int) keyVal { return keyVal{s: v(r)} },
		}
	}
	switch x := a.(type) {
	case *array.Int64:
		v := x.Int64Values()
		return ints(func(r int) int64 { return v[r] }), kind == keyInt
	case *array.Int32:
		v := x.Int32Values()
		return ints(func(r int) int64 { return int64(v[r]) }), kind == keyInt
	case *array.Int16:
		v := x.Int16Values()
		return ints(func(r int) int64 { return int64(v[r]) }), kind == keyInt
	case *array.Int8:
		v := x.Int8Values()
		return ints(func(r int) int64 { return int64(v[r]) }), kind == keyInt
	case *array.Uint32:
		v := x.Uint32Values()
		return ints(func(r int) int64 { return int64(v[r]) }), kind == keyInt
	case *array.Uint16:
		v := x.Uint16Values()
		return ints(func(r int) int64 { return int64(v[r]) }), kind == keyInt
	case *array.Uint8:
		v := x.Uint8Values()
		return ints(func(r int) int64 { return int64(v[r]) }), kind == keyInt
	case *array.Date32:
		v := x.Date32Values()
		return ints(func(r int) int64 { return int64(v[r]) }), kind == keyDate
	case *array.String:
		return strs(x.Value), kind == keyString
	case *array.LargeString:
		return strs(x.Value), kind == keyString
	case *array.StringView:
		return strs(x.Value), kind == keyString
	}
	return keyArr{}, false
}

// compare compares the key of row r of batch b with key, which may be a
// prefix of the key: its first columns only.
func (ix *keyIndex) compare(b, r int, key []keyVal) int {
	for k, a := range ix.arrs[b][:len(key)] {
		if c := a.cmp(r, key[k]); c != 0 {
			return c
		}
	}
	return 0
}

// ordered checks that every key is greater than the one before: the rows
// are sorted as the index searches them, and the key is unique.
func (ix *keyIndex) ordered() bool {
	key := make([]keyVal, len(ix.names))
	first := true
	for b, n := range ix.rows {
		for r := 0; r < n; r++ {
			if !first && ix.compare(b, r, key) <= 0 {
				return false
			}
			first = false
			for k, a := range ix.arrs[b] {
				key[k] = a.val(r)
			}
		}
	}
	return true
}

// find returns the first row whose key starts with key (the whole key or
// a prefix of it).
func (ix *keyIndex) find(key []keyVal) (b, r int, ok bool) {
	nb := len(ix.rows)
	b = sort.Search(nb, func(b int) bool { return ix.compare(b, ix.rows[b]-1, key) >= 0 })
	if b == nb {
		return 0, 0, false
	}
	r = sort.Search(ix.rows[b], func(r int) bool { return ix.compare(b, r, key) >= 0 })
	return b, r, ix.compare(b, r, key) == 0
}

// maxPrefixRows bounds the rows one prefix lookup answers from memory;
// beyond it DuckDB answers.
const maxPrefixRows = 10000

// hit is a row of a snapshot in memory.
type hit struct{ b, r int }

// maxLookups bounds the keys one request may look up in memory.
const maxLookups = query.MaxInList

// lookup answers filters that are exactly eq or in on the leading columns
// of the primary key (all of them, or a prefix: k=eq.5 on the key [k, seq]):
// the rows holding those keys, each once, in key order. Rows of one prefix
// are contiguous, the snapshot being sorted by its key. It reports false
// when the filters are anything else (DuckDB then answers).
func (ix *keyIndex) lookup(filters []query.Filter) ([]hit, bool) {
	if len(filters) == 0 || len(filters) > len(ix.names) {
		return nil, false
	}
	values := make([][]keyVal, len(filters))
	combos := 1
	for _, f := range filters {
		if f.Not || (f.Op != query.Eq && f.Op != query.In) {
			return nil, false
		}
		k := slices.Index(ix.names, f.Column)
		if k < 0 || k >= len(values) || values[k] != nil {
			return nil, false // not a leading key column, or filtered twice
		}
		values[k] = []keyVal{}
		for _, v := range f.Values {
			kv, ok := ix.keyValue(k, v)
			if !ok {
				return nil, false
			}
			values[k] = append(values[k], kv)
		}
		combos *= len(values[k])
		if combos > maxLookups {
			return nil, false
		}
	}
	var hits []hit
	seen := map[hit]bool{}
	key := make([]keyVal, len(values))
	tooMany := false
	var walk func(k int)
	walk = func(k int) {
		if tooMany {
			return
		}
		if k == len(key) {
			b, r, ok := ix.find(key)
			for ok && ix.compare(b, r, key) == 0 {
				if h := (hit{b, r}); !seen[h] {
					seen[h] = true
					hits = append(hits, h)
				}
				if len(hits) > maxPrefixRows {
					tooMany = true
					return
				}
				if r++; r == ix.rows[b] {
					b, r = b+1, 0
					ok = b < len(ix.rows)
				}
			}
			return
		}
		for _, v := range values[k] {
			key[k] = v
			walk(k + 1)
		}
	}
	if combos > 0 {
		walk(0)
	}
	if tooMany {
		return nil, false
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.b != b.b {
			return a.b - b.b
		}
		return a.r - b.r
	})
	return hits, true
}

// keyValue converts a bound filter value (see query.Filter) of key column
// k to its key value.
func (ix *keyIndex) keyValue(k int, v any) (keyVal, bool) {
	switch ix.kinds[k] {
	case keyInt:
		i, ok := v.(int64)
		return keyVal{i: i}, ok
	case keyString:
		s, ok := v.(string)
		return keyVal{s: s}, ok
	case keyDate:
		s, ok := v.(string)
		if !ok {
			return keyVal{}, false
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return keyVal{}, false
		}
		days := t.Unix() / 86400
		if t.Unix()%86400 < 0 {
			days--
		}
		return keyVal{i: days}, true
	}
	return keyVal{}, false
}
