// Package bench holds beian's benchmarks. They run with `make bench`
// (BEIAN_BENCH=1) against real services and print one result line each:
// `bench NAME: FIGURE (goal GOAL) ok|short`, measured against a baseline
// taken in the same run. docs/benchmarks.md records the figures.
package bench
