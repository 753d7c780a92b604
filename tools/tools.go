//go:build tools

// Package tools pins the developer tools that are built from source into bin/:
// the Temporal CLI (dev server with the Web UI embedded), and the Temporal
// server and its SQL schema tool at the version that CLI embeds (the
// production topology on PostgreSQL, `go run ./cmd/devenv temporal-server`).
// It lives in its own module so go.temporal.io/server never enters the main
// module's graph.
package tools

import (
	_ "github.com/temporalio/cli/cmd/temporal"
	_ "go.temporal.io/server/cmd/server"
	_ "go.temporal.io/server/cmd/tools/sql"
)
