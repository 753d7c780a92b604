package intake

import (
	"fmt"
	"slices"
	"strings"

	beian "github.com/beian/beian"
)

// Violation codes of the access-product check.
const (
	CodeNoActiveProduct         = "NO_ACTIVE_PRODUCT"          // R-ENT-2, R-RV-1
	CodeIPsOfDifferentCustomers = "IPS_OF_DIFFERENT_CUSTOMERS" // R-RV-1
)

// ProductCheck is the result of CheckProducts.
type ProductCheck struct {
	// CustomerID is the holder of the active products owning the case's
	// server IPs: the case's customer (api.md). For a cancellation, whose IPs
	// need no active product, it may be the holder of expired ones. Empty
	// when the IPs have no product, or products of several customers.
	CustomerID string
	// Violations are NO_ACTIVE_PRODUCT per server IP without an active
	// product, and IPS_OF_DIFFERENT_CUSTOMERS when the IPs' products belong
	// to different customers.
	Violations []beian.Violation
}

// needsProduct reports whether a case of type t needs an active access
// product on its IPs: every type but the cancellations (注销, 取消接入),
// which end a filing or our access and are allowed after a product lapsed.
func needsProduct(t beian.CaseType) bool {
	return t != beian.TypeCancel && t != beian.TypeCancelAccess
}

// CheckProducts checks the case's server IPs against the customers' access
// products (R-ENT-2: product first, filing second; R-RV-1: cross-check with
// our own records). Every server IP needs a product active on today
// ("2006-01-02" in Asia/Shanghai, Product.ActiveOn), and all of them
// products of one customer. products are those holding any of the IPs
// (expired ones too, so the message can say which product lapsed). IPs that
// do not parse, and those with a violation in prior (not ours, repeated),
// are left out: the filer fixes those first. Run it on the case Check
// normalised.
func CheckProducts(c *beian.Case, products []beian.Product, today string, prior []beian.Violation) ProductCheck {
	flagged := map[string]bool{}
	for _, v := range prior {
		flagged[v.Field] = true
	}
	need := needsProduct(c.Type)
	var (
		out      ProductCheck
		owners   []string // "ip（客户 id）" of each IP with active products
		active   = map[string]bool{}
		inactive = map[string]bool{}
	)
	for i, raw := range c.Website.ServerIPs {
		field := fmt.Sprintf("website.server_ips[%d]", i)
		addr, ok := parseIP(raw)
		if !ok || flagged[field] {
			continue
		}
		var customers []string
		var lapsed *beian.Product
		for j := range products {
			p := &products[j]
			if !p.Holds(addr) {
				continue
			}
			if p.ActiveOn(today) {
				if !slices.Contains(customers, p.CustomerID) {
					customers = append(customers, p.CustomerID)
				}
			} else {
				inactive[p.CustomerID] = true
				if lapsed == nil || p.ValidUntil > lapsed.ValidUntil {
					lapsed = p
				}
			}
		}
		slices.Sort(customers)
		switch {
		case len(customers) > 0:
			for _, id := range customers {
				active[id] = true
			}
			owners = append(owners, fmt.Sprintf("%s（客户 %s）", addr, strings.Join(customers, "、")))
			if len(customers) > 1 && need {
				out.Violations = append(out.Violations, beian.Violation{Rule: "R-RV-1", Code: CodeIPsOfDifferentCustomers, Field: field,
					Message: fmt.Sprintf("服务器 IP %s 同时属于客户 %s 的有效接入产品，无法确定备案属于哪个客户，请先核对计费系统中的产品记录", addr, strings.Join(customers, "、"))})
			}
		case !need:
		case lapsed != nil:
			out.Violations = append(out.Violations, beian.Violation{Rule: "R-ENT-2", Code: CodeNoActiveProduct, Field: field,
				Message: fmt.Sprintf("服务器 IP %s 的接入产品 %s（客户 %s）已于 %s 到期：续费后才能备案（先有产品，后备案）", addr, lapsed.ID, lapsed.CustomerID, lapsed.ValidUntil)})
		default:
			out.Violations = append(out.Violations, beian.Violation{Rule: "R-ENT-2", Code: CodeNoActiveProduct, Field: field,
				Message: fmt.Sprintf("服务器 IP %s 没有有效的接入产品：客户须先在我公司购买接入产品（服务器），才能为其网站备案（先有产品，后备案）", addr)})
		}
	}
	if len(active) > 1 && need {
		out.Violations = append(out.Violations, beian.Violation{Rule: "R-RV-1", Code: CodeIPsOfDifferentCustomers, Field: "website.server_ips",
			Message: fmt.Sprintf("同一网站的服务器 IP 属于不同客户的接入产品：%s。一个备案只能属于一个客户，请只填写同一客户名下的 IP", strings.Join(owners, "、"))})
	}
	switch {
	case len(active) == 1:
		for id := range active {
			out.CustomerID = id
		}
	case len(active) == 0 && len(inactive) == 1:
		for id := range inactive {
			out.CustomerID = id
		}
	}
	return out
}
