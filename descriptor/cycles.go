package descriptor

import (
	"sort"
	"strconv"
	"strings"
)

// Cycles reports products that depend on themselves through product
// inputs (a -> b -> a): such a mesh could never compute them. Each cycle is
// reported once, at the input of its first product (in id order) that
// closes it.
func Cycles(products []*Product) Problems {
	byName := map[string]*Product{}
	for _, p := range products {
		byName[p.Domain+"/"+p.Name] = p
	}
	deps := func(p *Product) []string {
		var out []string
		for _, in := range p.Inputs {
			if in.Kind != "product" {
				continue
			}
			s, _ := in.Options["ref"].(string)
			if ref, err := ParseRef(s); err == nil {
				out = append(out, ref.Domain+"/"+ref.Name)
			}
		}
		return out
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)

	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var problems Problems
	var path []string
	var visit func(n string)
	visit = func(n string) {
		state[n] = onPath
		path = append(path, n)
		p := byName[n]
		for i, d := range deps(p) {
			if _, known := byName[d]; !known {
				continue // another mesh's product: checked where it is served
			}
			switch state[d] {
			case onPath:
				start := 0
				for j, m := range path {
					if m == d {
						start = j
					}
				}
				cycle := append(append([]string(nil), path[start:]...), d)
				problems = append(problems, p.Problem(inputPath(p, i),
					"dependency cycle: %s; a product cannot depend on itself", strings.Join(cycle, " -> ")))
			case unseen:
				visit(d)
			}
		}
		path = path[:len(path)-1]
		state[n] = done
	}
	for _, n := range names {
		if state[n] == unseen {
			visit(n)
		}
	}
	return problems
}

// inputPath is the field path of the i-th product input of p.
func inputPath(p *Product, i int) string {
	k := 0
	for j, in := range p.Inputs {
		if in.Kind != "product" {
			continue
		}
		if k == i {
			return "inputs[" + strconv.Itoa(j) + "].product"
		}
		k++
	}
	return "inputs"
}
