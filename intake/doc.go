// Package intake holds the intake rules of the filing desk (R-ENT-1/2/3,
// R-IN-1…R-IN-7, R-TY): the checks a filing specialist runs on a filing case
// before it goes to review, the materials checklist, and the routing of a
// case by its server IPs.
//
// The package is pure: no database, no network, no clock. The caller passes
// the rules (Rules, admin-editable data), the data centres and the time in.
package intake
