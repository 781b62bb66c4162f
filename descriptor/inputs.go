package descriptor

import (
	"errors"
	"slices"
	"strings"

	"github.com/datamesh/datamesh/connector"
	"go.yaml.in/yaml/v3"
)

// inputs decodes the list of inputs.
func (l *loader) inputs(path string, v *yaml.Node) {
	items, ok := l.list(path, v, "inputs")
	if !ok {
		return
	}
	if len(items) == 0 {
		l.errorf(v, path, "must list at least one input")
	}
	first := map[string]int{} // name -> line
	for i, it := range items {
		ip := index(path, i)
		in := l.input(ip, it)
		l.p.Inputs = append(l.p.Inputs, in)
		if in.Name == "" {
			continue
		}
		if line, dup := first[in.Name]; dup {
			l.probs = append(l.probs, l.p.Problem(ip+".name", "duplicate input name %q (first at line %d)", in.Name, line))
			continue
		}
		first[in.Name] = l.p.Pos(ip + ".name").Line
	}
}

// input decodes one input: a name and exactly one connector key, whose value
// is that connector's options.
func (l *loader) input(path string, n *yaml.Node) Input {
	var in Input
	kinds := connector.Kinds()
	if n.Kind != yaml.MappingNode {
		l.errorf(n, path, "must be a mapping with a name and one connector key (%s), not %s", strings.Join(kinds, ", "), describe(n))
		return in
	}
	var (
		kindKey, kindVal *yaml.Node
		unknown          bool
		seen             = map[string]*yaml.Node{}
	)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := l.keyName(path, k)
		if !ok {
			unknown = true
			continue
		}
		fp := join(path, name)
		if prev, dup := seen[name]; dup {
			l.errorf(k, fp, "given twice (first at line %d)", prev.Line)
			continue
		}
		seen[name] = k
		if name == "name" {
			l.record(fp, k, v)
			if isNull(v) {
				l.errorf(k, fp, "needs a value")
				continue
			}
			if s, ok := l.str(fp, resolve(v)); ok {
				in.Name = s
				if !InputNamePattern.MatchString(s) {
					l.errorf(v, fp, "%q is not a valid input name: use lowercase letters, digits and underscores, starting with a letter or underscore (the transform reads the input by this name)", s)
				}
			}
			continue
		}
		if _, ok := connector.Lookup(name); !ok {
			unknown = true
			if suggest(name, []string{"name"}) != "" {
				l.errorf(k, fp, "unknown field %q; did you mean \"name\"?", name)
			} else {
				l.errorf(k, fp, "unknown connector %q%s", name, didYouMean(name, kinds))
			}
			continue
		}
		if kindKey != nil {
			l.errorf(k, fp, "a second connector (%q after %q): an input reads exactly one source", name, kindKey.Value)
			continue
		}
		kindKey, kindVal = k, v
		l.record(fp, k, v)
	}
	if _, ok := seen["name"]; !ok {
		l.errorf(n, path+".name", "required field is missing")
	}
	if kindKey == nil {
		if !unknown {
			l.errorf(n, path, "names no connector: add one key of %s", strings.Join(kinds, ", "))
		}
		return in
	}
	in.Kind = kindKey.Value
	in.Node = resolve(kindVal)
	spec, _ := connector.Lookup(in.Kind)
	in.Options = l.options(path+"."+in.Kind, spec, kindKey, resolve(kindVal), in.Name)
	return in
}

// options decodes a connector's options, checks them against its spec and
// then with its constructor.
func (l *loader) options(path string, spec connector.Spec, key, v *yaml.Node, input string) map[string]any {
	before := len(l.probs.Errors())
	opts := map[string]any{}
	names := make([]string, len(spec.Options))
	for i, o := range spec.Options {
		names[i] = o.Name
	}
	given := map[string]*yaml.Node{}
	switch {
	case isNull(v):
		l.errorf(key, path, "needs a value: %s", optionsForm(spec))
		return opts
	case v.Kind == yaml.ScalarNode && spec.Shorthand != "":
		o, _ := spec.Option(spec.Shorthand)
		op := join(path, o.Name)
		l.record(op, nil, v)
		if x, ok := l.option(op, o, v); ok {
			opts[o.Name] = x
		}
	case v.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, ov := v.Content[i], v.Content[i+1]
			name, ok := l.keyName(path, k)
			if !ok {
				continue
			}
			op := join(path, name)
			o, ok := spec.Option(name)
			if !ok {
				l.errorf(k, op, "unknown option %q of %s%s", name, spec.Kind, didYouMean(name, names))
				continue
			}
			if prev, dup := given[name]; dup {
				l.errorf(k, op, "given twice (first at line %d)", prev.Line)
				continue
			}
			given[name] = k
			l.record(op, k, ov)
			if isNull(ov) {
				continue
			}
			if x, ok := l.option(op, o, resolve(ov)); ok {
				opts[name] = x
			}
		}
	default:
		l.errorf(v, path, "must be %s, not %s", optionsForm(spec), describe(v))
		return opts
	}
	for _, o := range spec.Options {
		if _, ok := opts[o.Name]; ok || !o.Required {
			continue
		}
		if k := given[o.Name]; k == nil {
			l.errorf(v, join(path, o.Name), "required option is missing")
		} else if isNull(v.Content[slices.Index(v.Content, k)+1]) {
			l.errorf(k, join(path, o.Name), "needs a value")
		}
	}
	if len(l.probs.Errors()) > before {
		return opts // the constructor would only repeat them
	}
	if _, err := spec.New(connector.Config{Input: input, Dir: l.p.Dir, Options: opts}); err != nil {
		var oe *connector.OptionError
		if errors.As(err, &oe) {
			l.probs = append(l.probs, l.p.Problem(join(path, oe.Option), "%s", oe.Msg))
		} else {
			l.probs = append(l.probs, l.p.Problem(path, "%s", err))
		}
	}
	return opts
}

// optionsForm says what a connector's value may be.
func optionsForm(spec connector.Spec) string {
	names := make([]string, len(spec.Options))
	for i, o := range spec.Options {
		names[i] = o.Name
	}
	form := "a mapping of options (" + strings.Join(names, ", ") + ")"
	if spec.Shorthand != "" {
		form = "a " + spec.Shorthand + ", or " + form
	}
	return form
}

// option decodes one option's value by its type.
func (l *loader) option(path string, o connector.Option, v *yaml.Node) (any, bool) {
	switch o.Type {
	case connector.TypeInt:
		return l.integer(path, v)
	case connector.TypeBool:
		return l.boolean(path, v)
	case connector.TypeStrings:
		ss, ok := l.strings(path, v)
		if ok && len(o.Enum) > 0 {
			for i, s := range ss {
				if !slices.Contains(o.Enum, s) {
					l.errorf(resolve(v.Content[i]), index(path, i), "%q is not one of %s%s", s, strings.Join(o.Enum, ", "), hint(s, o.Enum))
					ok = false
				}
			}
		}
		return ss, ok
	case connector.TypeMap:
		if v.Kind != yaml.MappingNode {
			l.errorf(v, path, "must be a mapping, not %s", describe(v))
			return nil, false
		}
		return l.value(path, v, 0)
	case connector.TypeString, "":
		s, ok := l.str(path, v)
		if ok && len(o.Enum) > 0 && !slices.Contains(o.Enum, s) {
			l.errorf(v, path, "%q is not one of %s%s", s, strings.Join(o.Enum, ", "), hint(s, o.Enum))
			return s, false
		}
		return s, ok
	}
	l.errorf(v, path, "has an option type this version does not know (%s)", o.Type)
	return nil, false
}
