package catcher

import (
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

// shanghai is Beijing time (UTC+8, no daylight saving since 1991), in which
// staff read the times.
var shanghai = time.FixedZone("CST", 8*60*60)

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"when": func(t time.Time) string { return t.In(shanghai).Format("2006-01-02 15:04:05") },
	"join": func(ss []string) string { return strings.Join(ss, ", ") },
}).ParseFS(templateFS, "templates/*.html"))

// Handler serves the caught mail to a browser and to tests in other
// processes. Mount it at a path ending in "/" (with http.StripPrefix):
//
//	GET    /                   HTML list, newest first; click a subject to read it
//	GET    /messages/{id}      HTML page of one message: headers and body
//	GET    /api/messages       {"items": [...]}, newest first; ?to= and ?key= filter
//	GET    /api/messages/{id}  one message as JSON
//	DELETE /api/messages       forget every message (Reset)
func (c *Catcher) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		render(w, "list.html", c.newestFirst(r))
	})
	mux.HandleFunc("GET /messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		m, ok := c.byPath(r)
		if !ok {
			http.NotFound(w, r)
			return
		}
		render(w, "message.html", m)
	})
	mux.HandleFunc("GET /api/messages", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string][]Message{"items": c.newestFirst(r)})
	})
	mux.HandleFunc("GET /api/messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		m, ok := c.byPath(r)
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{
				"code": "NOT_FOUND", "message": "没有这封邮件",
			}})
			return
		}
		writeJSON(w, http.StatusOK, m)
	})
	mux.HandleFunc("DELETE /api/messages", func(w http.ResponseWriter, _ *http.Request) {
		c.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// newestFirst lists the kept messages, newest first, filtered by the to=
// (a recipient, case-insensitive) and key= (the X-Beian-Key header) query
// parameters.
func (c *Catcher) newestFirst(r *http.Request) []Message {
	to := strings.TrimSpace(r.URL.Query().Get("to"))
	key := r.URL.Query().Get("key")
	msgs := c.Messages()
	slices.Reverse(msgs)
	out := msgs[:0]
	for _, m := range msgs {
		if to != "" && !slices.ContainsFunc(m.To, func(s string) bool { return strings.EqualFold(s, to) }) {
			continue
		}
		if key != "" && m.Headers.Get("X-Beian-Key") != key {
			continue
		}
		out = append(out, m)
	}
	return out
}

func (c *Catcher) byPath(r *http.Request) (Message, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		return Message{}, false
	}
	return c.Message(id)
}

func render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		http.Error(w, "render "+name+": "+err.Error(), http.StatusInternalServerError)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
