package openapi

import (
	"testing"

	"github.com/datamesh/datamesh/descriptor"
)

func TestServingPaths(t *testing.T) {
	mat := delays()
	mat.Mode = descriptor.ModeMaterialized
	events := kitchen(2, false)
	events.Name, events.Stream = "events", true
	_, m := load(t, marshal(t, Document(testNode(), []Product{mat, events})))
	for path, method := range map[string]string{
		"/products/delays-by-airport/v1/refresh": "post",
		"/products/delays-by-airport/v1/jobs":    "post",
		"/products/events/v2/stream":             "get",
		"/jobs/{id}":                             "delete",
		"/jobs/{id}/result":                      "get",
		"/metrics":                               "get",
	} {
		item, ok := m.Paths.PathItems.Get(path)
		if !ok {
			t.Errorf("no path %s", path)
			continue
		}
		if _, ok := item.GetOperations().Get(method); !ok {
			t.Errorf("%s has no %s", path, method)
		}
	}
	for _, path := range []string{"/products/events/v2/refresh", "/products/delays-by-airport/v1/stream"} {
		if _, ok := m.Paths.PathItems.Get(path); ok {
			t.Errorf("%s is described, but the product has none", path)
		}
	}
}
