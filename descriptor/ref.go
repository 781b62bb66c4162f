package descriptor

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Ref names a product and the versions a consumer accepts:
// domain/name@range, such as geo/airports@^1.
type Ref struct {
	Domain, Name string
	Range        string
	constraint   *semver.Constraints
}

// NamePattern is what product and domain names look like.
var NamePattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// ParseRef parses domain/name@range. The range is a semver constraint:
// ^1, ~1.2, >=1.1 <2 or an exact version.
func ParseRef(s string) (Ref, error) {
	const form = "domain/name@range, e.g. geo/airports@^1"
	path, rng, ok := strings.Cut(s, "@")
	if !ok {
		return Ref{}, fmt.Errorf("%q has no version range: write %s", s, form)
	}
	domain, name, ok := strings.Cut(path, "/")
	if !ok || !NamePattern.MatchString(domain) || !NamePattern.MatchString(name) {
		return Ref{}, fmt.Errorf("%q is not a product reference: write %s (lowercase names with dashes)", s, form)
	}
	c, err := semver.NewConstraint(rng)
	if err != nil || strings.TrimSpace(rng) == "" {
		return Ref{}, fmt.Errorf("%q: %q is not a version range (^1, ~1.2, >=1.1 <2, 1.4.0)", s, rng)
	}
	return Ref{Domain: domain, Name: name, Range: rng, constraint: c}, nil
}

// Matches reports whether version v satisfies the range.
func (r Ref) Matches(v string) bool {
	sv, err := semver.NewVersion(v)
	if err != nil || r.constraint == nil {
		return false
	}
	return r.constraint.Check(sv)
}

func (r Ref) String() string { return r.Domain + "/" + r.Name + "@" + r.Range }
