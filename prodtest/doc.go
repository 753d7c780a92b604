// Package prodtest is the fault suite on the production topology (issue
// 11): the Temporal server built from source with persistence and
// visibility on PostgreSQL and several history shards, a private
// PostgreSQL cluster the suite may restart, and beian's API and worker as
// separate processes of the real binary, which the suite kills. Each
// scenario asserts from the database, the mail server and the webhook
// receiver that nothing was lost and nothing happened twice.
//
// It runs with `make test-prod` (go test -tags prod ./prodtest/); without
// the tag the package is empty.
package prodtest
