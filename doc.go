// Package beian is the domain of the filing desk (网站备案): the filing case,
// its statuses and transitions, the people in it, error codes, and the
// interfaces the adapters implement. It imports no infrastructure: no
// Temporal, pgx, Echo, excelize or go-mail. Rule IDs (R-…) refer to
// ../shared/docs/requirements.md.
package beian
