package descriptor

// Fields returns, for each kind of mapping the loader knows, its fields and
// its required fields.
func Fields() map[string][2][]string {
	out := map[string][2][]string{}
	for name, o := range objects {
		out[name] = [2][]string{o.fields, o.required}
	}
	return out
}

// Rename declares, for a test, that field old of object (such as
// "owner.name") was renamed current; the returned func undoes it.
func Rename(old, current string) (undo func()) {
	renamed[old] = current
	return func() { delete(renamed, old) }
}
