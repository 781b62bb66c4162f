//go:build duckdb_arrow

package mesh

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/datamesh/datamesh/descriptor"
)

// ProfilesDir is the folder of a mesh that holds its profiles: one
// subfolder per profile, holding one subfolder per domain it changes. Its
// leading "_" keeps it from being taken for a domain.
const ProfilesDir = "_profiles"

// ApplyProfile swaps in a profile's overlay descriptors: for each domain
// that has a folder DIR/_profiles/PROFILE/DOMAIN, the domain's folder is
// copied (descriptors and data, dot-entries left out) to
// DATADIR/profiles/PROFILE/DOMAIN, each overlay descriptor replaces the
// descriptor of the product of the same name there, and the node serves
// the copy. An overlay must name a product the domain has, so that a typo
// never adds a product. Domains without an overlay folder are returned as
// they are. The profile folder must exist.
func ApplyProfile(dir, profile, dataDir string, domains []Domain) ([]Domain, error) {
	if profile == "" {
		return domains, nil
	}
	if strings.ContainsAny(profile, `/\`) || strings.HasPrefix(profile, ".") {
		return nil, fmt.Errorf("mesh: profile %q: a profile is a folder name", profile)
	}
	pdir := filepath.Join(dir, ProfilesDir, profile)
	if fi, err := os.Stat(pdir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("mesh: no profile %q: %s is not a folder", profile, pdir)
	}
	entries, err := os.ReadDir(pdir)
	if err != nil {
		return nil, fmt.Errorf("mesh: profile %q: %w", profile, err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			if _, err := os.Stat(filepath.Join(dir, e.Name())); err != nil {
				return nil, fmt.Errorf("mesh: profile %q: overlay folder %s names no domain of %s", profile, e.Name(), dir)
			}
		}
	}
	out := make([]Domain, 0, len(domains))
	var all []*descriptor.Product
	for _, d := range domains {
		odir := filepath.Join(pdir, d.Name)
		if fi, err := os.Stat(odir); err != nil || !fi.IsDir() {
			out = append(out, d)
			all = append(all, d.Products...)
			continue
		}
		merged, err := mergeDomain(d, odir, filepath.Join(dataDir, "profiles", profile, d.Name))
		if err != nil {
			return nil, fmt.Errorf("mesh: profile %q, domain %s: %w", profile, d.Name, err)
		}
		out = append(out, merged)
		all = append(all, merged.Products...)
	}
	if cycles := descriptor.Cycles(all); cycles.HasErrors() {
		return nil, fmt.Errorf("mesh: profile %q:\n%w", profile, cycles.Errors())
	}
	return order(out), nil
}

// mergeDomain writes the domain's folder with the overlays into dst and
// loads it.
func mergeDomain(d Domain, overlayDir, dst string) (Domain, error) {
	overlays, problems := descriptor.LoadDir(overlayDir)
	if problems.HasErrors() {
		return d, fmt.Errorf("overlay descriptors:\n%w", problems.Errors())
	}
	if len(overlays) == 0 {
		return d, fmt.Errorf("%s holds no descriptor", overlayDir)
	}
	if err := os.RemoveAll(dst); err != nil {
		return d, err
	}
	if err := copyTree(d.Dir, dst); err != nil {
		return d, err
	}
	for _, o := range overlays {
		if o.Domain != d.Name {
			return d, fmt.Errorf("%s: domain %q, want %q", o.File, o.Domain, d.Name)
		}
		var replaced *descriptor.Product
		for _, p := range d.Products {
			if p.Name == o.Name {
				replaced = p
			}
		}
		if replaced == nil {
			return d, fmt.Errorf("%s: the domain has no product %q to replace", o.File, o.Name)
		}
		rel, err := filepath.Rel(d.Dir, replaced.File)
		if err != nil {
			return d, err
		}
		if err := os.Remove(filepath.Join(dst, rel)); err != nil {
			return d, err
		}
		orel, err := filepath.Rel(overlayDir, o.File)
		if err != nil {
			return d, err
		}
		if err := copyFile(o.File, filepath.Join(dst, filepath.Dir(rel), filepath.Base(orel))); err != nil {
			return d, err
		}
	}
	descs, problems := descriptor.LoadDir(dst)
	if problems.HasErrors() {
		return d, fmt.Errorf("merged descriptors in %s:\n%w", dst, problems.Errors())
	}
	return Domain{Name: d.Name, Dir: dst, Products: descs}, nil
}

// copyTree copies the files of src into dst, leaving out entries whose
// name starts with "." (a node's own state, editor files).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel != "." && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if e.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !e.Type().IsRegular() {
			return nil
		}
		return copyFile(path, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
