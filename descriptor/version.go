package descriptor

import (
	"fmt"

	"github.com/Masterminds/semver/v3"
)

// Version is a product's semantic version.
type Version struct {
	Major, Minor, Patch int
	v                   *semver.Version
}

// ParseVersion accepts a strict semantic version: MAJOR.MINOR.PATCH with an
// optional pre-release and build suffix.
func ParseVersion(s string) (Version, error) {
	v, err := semver.StrictNewVersion(s)
	if err != nil {
		return Version{}, fmt.Errorf("%q is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)", s)
	}
	return Version{Major: int(v.Major()), Minor: int(v.Minor()), Patch: int(v.Patch()), v: v}, nil
}

func (v Version) String() string {
	if v.v == nil {
		return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	}
	return v.v.String()
}
