package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
)

// liveFilingJSON is a live filing on an expiring product's IPs.
type liveFilingJSON struct {
	ID           string   `json:"id"`
	CaseNo       string   `json:"case_no"`
	Status       string   `json:"status"`
	StatusTitle  string   `json:"status_title"`
	SponsorName  string   `json:"sponsor_name"`
	Domains      []string `json:"domains"`
	ServerIPs    []string `json:"server_ips"`
	FilingNumber *string  `json:"filing_number"`
}

// expiringProductJSON is one line of the expiring-products report.
type expiringProductJSON struct {
	ProductID    string           `json:"product_id"`
	CustomerID   string           `json:"customer_id"`
	CustomerName string           `json:"customer_name"`
	ServerIPs    []string         `json:"server_ips"`
	ValidUntil   string           `json:"valid_until"`
	Expired      bool             `json:"expired"`
	DaysLeft     int              `json:"days_left"` // negative when expired
	Filings      []liveFilingJSON `json:"filings"`
}

// expiringProducts reports the access products that have expired, or
// expire within within_days (default 30) days, while filings on their IPs
// are live (R-ENT-2, R-RV-1: we host only what a valid product pays for).
// The specialist follows up with the customer before access must go.
func (s *Server) expiringProducts(c echo.Context) error {
	within := 30
	if v := c.QueryParam("within_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 366 {
			return beian.Errorf(beian.CodeInvalid, "within_days 应为 0 到 366 之间的整数")
		}
		within = n
	}
	list, err := s.desk.ExpiringProducts(c.Request().Context(), s.actor(c), within)
	if err != nil {
		return err
	}
	out := listJSON[expiringProductJSON]{Items: []expiringProductJSON{}}
	for _, e := range list {
		p := productToJSON(e.Product)
		line := expiringProductJSON{
			ProductID: p.ID, CustomerID: e.Product.CustomerID, CustomerName: e.CustomerName, ServerIPs: p.ServerIPs,
			ValidUntil: p.ValidUntil, Expired: e.Expired, DaysLeft: e.DaysLeft, Filings: []liveFilingJSON{},
		}
		for _, cs := range e.Cases {
			f := liveFilingJSON{
				ID: cs.ID, CaseNo: cs.CaseNo, Status: string(cs.Status), StatusTitle: cs.Status.Title(),
				SponsorName: cs.Sponsor.Name, Domains: nonNil(cs.Website.Domains), ServerIPs: nonNil(cs.Website.ServerIPs),
			}
			if cs.FilingNumber != "" {
				n := cs.FilingNumber
				f.FilingNumber = &n
			}
			line.Filings = append(line.Filings, f)
		}
		out.Items = append(out.Items, line)
	}
	return c.JSON(http.StatusOK, out)
}
