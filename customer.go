package beian

import (
	"net/netip"
	"time"
)

// Contact is a person to reach by name, mobile and email: a customer's
// contact (联系人), its account manager (客户经理) or the manager's superior
// (经理上级).
type Contact struct {
	Name   string
	Mobile string
	Email  string
}

// Customer (客户) holds access products, as the billing system knows them. A
// filing's customer is the holder of the active product that owns its server
// IPs (R-ENT-2: product first, filing second).
type Customer struct {
	ID              string
	Name            string
	Contact         Contact
	AccountManager  Contact // 客户经理
	ManagerSuperior Contact // 经理上级: told when the customer's data is false (R-VC-4)
	Products        []Product
	UpdatedBy       string
	UpdatedAt       time.Time
}

// Product (接入产品) is an access product: servers whose IPs lie in our
// ranges, valid through ValidUntil (R-ENT-2, R-RV-1).
type Product struct {
	ID         string
	CustomerID string
	ServerIPs  []netip.Addr
	// ValidUntil is the last day the product is valid, "2006-01-02" in Asia/Shanghai.
	ValidUntil string
}

// ActiveOn reports whether p is valid on day ("2006-01-02", Asia/Shanghai):
// a product is active through the last day of its term.
func (p Product) ActiveOn(day string) bool { return p.ValidUntil >= day }

// Holds reports whether ip is one of p's server IPs.
func (p Product) Holds(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, a := range p.ServerIPs {
		if a.Unmap() == ip {
			return true
		}
	}
	return false
}

// ExpiringProduct is a product that has expired or is about to while filings
// on its IPs are live: it is reported to the specialist (R-ENT-2, R-RV-1).
type ExpiringProduct struct {
	Product      Product
	CustomerName string
	// Cases are the live filings on the product's IPs: cases that have not
	// ended (Status.Terminal), without their timelines.
	Cases []Case
}

// BlacklistEntry is one entry of the blacklist (黑名单, R-IN-6): a
// certificate number, name, domain or phone that may not file, and why.
type BlacklistEntry struct {
	ID    string
	Kind  string // cert_number, name, domain or phone
	Value string // as staff typed it
	// Key is Value normalised (intake.BlacklistKey); an entry is unique by
	// Kind and Key.
	Key       string
	Reason    string
	Author    string
	CreatedAt time.Time
}

// InProgress reports whether a case in status s is an application still in
// progress: not ended, and not yet a filing (APPROVED, RECTIFYING and
// ACCESS_CANCELLED are filings on record). A sponsor has at most one
// application in progress (R-IN-5).
func (s Status) InProgress() bool {
	switch s {
	case StatusAwaitingMaterials, StatusUnderReview, StatusNeedsCorrection, StatusBureauReview, StatusBureauReturned:
		return true
	}
	return false
}

// InProgressStatuses are the statuses of applications in progress (R-IN-5).
func InProgressStatuses() []Status {
	var out []Status
	for _, s := range AllStatuses {
		if s.InProgress() {
			out = append(out, s)
		}
	}
	return out
}
