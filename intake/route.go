package intake

import (
	"fmt"
	"net/netip"
	"strings"

	beian "github.com/beian/beian"
)

// Route finds where a case goes by its server IPs (R-ENT-1): the data centre
// whose CIDR range holds each IP (the longest prefix wins when ranges nest)
// gives the system province, access-provider name and mailbox. IPv4 and IPv6
// are both accepted (an IPv4-mapped IPv6 address counts as IPv4). An IP that
// does not parse is INVALID_IP; an IP outside every range is IP_NOT_OURS
// (R-ENT-2: we file only for sites we host); the same IP twice is
// DUPLICATE_IP; IPs of one site in data centres of different provinces are
// IPS_IN_DIFFERENT_PROVINCES, since a case is entered in one provincial
// system only. No IP at all is REQUIRED (R-IN-7: a site needs at least one
// server IP). The routing is that of the first IP that is ours.
// Routing.BureauProvince is not set here: it is the sponsor's (R-ENT-3).
// Violation fields are "website.server_ips[i]".
func Route(dcs []beian.DataCentre, serverIPs []string) (beian.Routing, []beian.Violation) {
	var (
		routing beian.Routing
		vs      []beian.Violation
		found   bool
	)
	if len(serverIPs) == 0 {
		return routing, []beian.Violation{{
			Rule: "R-IN-7", Code: CodeRequired, Field: "website.server_ips",
			Message: "至少填写一个服务器 IP（无域名的网站也需填写 IP）",
		}}
	}
	type hit struct {
		ip       string
		province string
		dc       string
	}
	var hits []hit
	seen := map[netip.Addr]int{}
	for i, raw := range serverIPs {
		field := fmt.Sprintf("website.server_ips[%d]", i)
		addr, ok := parseIP(raw)
		if !ok {
			vs = append(vs, beian.Violation{Rule: "R-ENT-1", Code: CodeInvalidIP, Field: field,
				Message: fmt.Sprintf("“%s”不是有效的 IPv4 或 IPv6 地址", strings.TrimSpace(raw))})
			continue
		}
		if j, dup := seen[addr]; dup {
			vs = append(vs, beian.Violation{Rule: "R-ENT-1", Code: CodeDuplicateIP, Field: field,
				Message: fmt.Sprintf("IP %s 与第%d个 IP 重复", addr, j+1)})
			continue
		}
		seen[addr] = i
		dc := findDataCentre(dcs, addr)
		if dc == nil {
			vs = append(vs, beian.Violation{Rule: "R-ENT-2", Code: CodeIPNotOurs, Field: field,
				Message: fmt.Sprintf("IP %s 不在我公司任何机房的 IP 段内：只为在我公司有有效接入产品的网站备案（先有产品，后备案）", addr)})
			continue
		}
		province := dc.Province
		if p, ok := CanonicalProvince(province); ok {
			province = p
		}
		if !found {
			found = true
			routing = beian.Routing{Province: province, DataCentre: dc.Name, AccessProvider: dc.AccessProvider, Mailbox: dc.Mailbox}
		}
		hits = append(hits, hit{ip: addr.String(), province: province, dc: dc.Name})
	}
	for _, h := range hits {
		if h.province != routing.Province {
			var parts []string
			for _, x := range hits {
				parts = append(parts, fmt.Sprintf("%s（%s，%s）", x.ip, x.dc, x.province))
			}
			vs = append(vs, beian.Violation{Rule: "R-ENT-1", Code: CodeIPsInDifferentProvince, Field: "website.server_ips",
				Message: fmt.Sprintf("同一网站的服务器 IP 分属不同省份的机房：%s。备案按服务器 IP 所在省份的备案系统录入，一个备案只能在一个省的系统中办理，请只填写同一省份机房的 IP", strings.Join(parts, "、"))})
			break
		}
	}
	return routing, vs
}

// parseIP parses an IPv4 or IPv6 address without zone, unmapping
// IPv4-mapped IPv6 addresses.
func parseIP(s string) (netip.Addr, bool) {
	addr, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || addr.Zone() != "" {
		return netip.Addr{}, false
	}
	return addr.Unmap(), true
}

// findDataCentre returns the data centre with the longest CIDR range holding addr.
func findDataCentre(dcs []beian.DataCentre, addr netip.Addr) *beian.DataCentre {
	var best *beian.DataCentre
	bits := -1
	for i := range dcs {
		for _, p := range dcs[i].CIDRs {
			if p.IsValid() && p.Masked().Contains(addr) && p.Bits() > bits {
				best, bits = &dcs[i], p.Bits()
			}
		}
	}
	return best
}
