package descriptor

import "testing"

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"kitten", "sitting", 3},
		{"descripton", "description", 1},
		{"fromat", "format", 2},
		{"µs", "us", 1},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := editDistance(tc.b, tc.a); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	fields := []string{"name", "logicalType", "required", "unique", "primaryKey"}
	for _, tc := range []struct{ word, want string }{
		{"nmae", "name"},
		{"LogicalType", "logicalType"},  // case only
		{"logicaltype", "logicalType"},  // case only
		{"PRIMARYKEY", "primaryKey"},    // case only
		{"requird", "required"},         // one edit
		{"uniq", "unique"},              // two edits
		{"type", ""},                    // too far
		{"id", ""},                      // short words need a closer match
		{"nm", ""},                      // two edits away, but only two letters
		{"name", "name"},                // exact
		{"", ""},                        // nothing
		{"primaryKeys", "primaryKey"},   // plural
		{"classification", ""},          // another object's field
		{"logicalTypes", "logicalType"}, // plural
		{"requiredd", "required"},       // repeated letter
		{"primary_key", "primaryKey"},   // case and underscore: two edits
		{"logical_type", "logicalType"}, // case and underscore
		{"unknown-field", ""},           // unrelated
		{"nameee", "name"},              // two edits
		{"xname", "name"},               // one edit
	} {
		if got := suggest(tc.word, fields); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
