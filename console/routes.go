package console

import (
	"net/http"
	"slices"
	"strings"
)

// routeMux is the console's ServeMux that also remembers every pattern
// registered on it, so Routes lists exactly what is served: a page added
// with m.Handle is listed without anyone keeping a second list in step.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern and remembers the pattern.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.ServeMux.Handle(pattern, h)
	m.patterns = append(m.patterns, pattern)
}

// HandleFunc registers f for pattern and remembers the pattern.
func (m *routeMux) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	m.ServeMux.HandleFunc(pattern, f)
	m.patterns = append(m.patterns, pattern)
}

// filingActionPattern is the one pattern of the case page's action forms;
// which actions it takes, and so who may post it, is decided per action.
const filingActionPattern = "POST " + Base + "/filings/{id}/{action}"

// Routes lists every method and path the console serves, as ServeMux
// patterns ("GET /console/filings/{id}"), in the order they are
// registered, for the route × role matrix test (e2e/matrix_test.go). The
// static files (served before the mux) are "GET /console/static/"; the
// case page's action forms are listed one path per action
// ("POST /console/filings/{id}/review"), since each action has its own
// roles; the catch-all "/console/" (any method, the not-found page) is
// listed as it is registered.
func (c *Console) Routes() []string {
	out := []string{"GET " + Base + "/static/"}
	for _, p := range c.mux.patterns {
		if p != filingActionPattern {
			out = append(out, p)
			continue
		}
		prefix := strings.TrimSuffix(p, "{action}")
		var names []string
		for name := range formActions {
			if name != "corrections" { // its own page: /filings/{id}/correct
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, n := range names {
			out = append(out, prefix+n)
		}
	}
	return out
}
