// Package e2e holds the end-to-end tests of beian: the API over HTTP, the
// worker and the filing workflow on a real Temporal dev server, real
// Postgres and a real SMTP listener (the built-in catcher).
package e2e
