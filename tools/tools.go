//go:build tools

// Package tools pins the developer tools that are built from source into bin/:
// the Temporal CLI (dev server with the Web UI embedded). It lives in its own
// module so go.temporal.io/server never enters the main module's graph.
package tools

import _ "github.com/temporalio/cli/cmd/temporal"
