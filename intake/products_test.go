package intake

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	beian "github.com/beian/beian"
)

func product(id, customer, until string, ips ...string) beian.Product {
	p := beian.Product{ID: id, CustomerID: customer, ValidUntil: until}
	for _, ip := range ips {
		p.ServerIPs = append(p.ServerIPs, netip.MustParseAddr(ip))
	}
	return p
}

// TestCheckProducts: every server IP needs an active access product, all of
// one customer (R-ENT-2, R-RV-1).
func TestCheckProducts(t *testing.T) {
	const today = "2026-06-01"
	acme := product("P-1", "C-1", "2026-06-01", "198.51.100.7", "2001:db8:1::7") // its last day
	acme2 := product("P-2", "C-1", "2027-01-01", "198.51.100.8")
	lapsed := product("P-3", "C-2", "2026-05-31", "198.51.100.9")
	lapsedOlder := product("P-0", "C-2", "2025-01-01", "198.51.100.9")
	rival := product("P-4", "C-3", "2030-01-01", "198.51.100.10", "198.51.100.7")
	tests := []struct {
		name     string
		typ      beian.CaseType
		ips      []string
		products []beian.Product
		prior    []beian.Violation
		customer string
		want     []string // code@field
		contains string   // in the first message
	}{
		{name: "active product", ips: []string{"198.51.100.7"}, products: []beian.Product{acme}, customer: "C-1"},
		{name: "two products of one customer, IPv6 in any form", ips: []string{"198.51.100.8", "2001:DB8:1:0::7"}, products: []beian.Product{acme, acme2}, customer: "C-1"},
		{name: "no product", ips: []string{"198.51.100.200"}, want: []string{"NO_ACTIVE_PRODUCT@website.server_ips[0]"}, contains: "没有有效的接入产品"},
		{name: "expired yesterday, the latest lapsed product named", ips: []string{"198.51.100.7", "198.51.100.9"}, products: []beian.Product{acme, lapsedOlder, lapsed},
			want: []string{"NO_ACTIVE_PRODUCT@website.server_ips[1]"}, contains: "P-3（客户 C-2）已于 2026-05-31 到期", customer: "C-1"},
		{name: "IPs of two customers", ips: []string{"198.51.100.8", "198.51.100.10"}, products: []beian.Product{acme2, rival},
			want: []string{"IPS_OF_DIFFERENT_CUSTOMERS@website.server_ips"}, contains: "198.51.100.8（客户 C-1）、198.51.100.10（客户 C-3）"},
		{name: "one IP in products of two customers", ips: []string{"198.51.100.7"}, products: []beian.Product{acme, rival},
			want: []string{"IPS_OF_DIFFERENT_CUSTOMERS@website.server_ips[0]", "IPS_OF_DIFFERENT_CUSTOMERS@website.server_ips"}, contains: "C-1、C-3"},
		{name: "flagged and malformed IPs are left to their own violation", ips: []string{"8.8.8.8", "nonsense", "198.51.100.8"}, products: []beian.Product{acme2},
			prior: []beian.Violation{{Code: CodeIPNotOurs, Field: "website.server_ips[0]"}}, customer: "C-1"},
		{name: "a cancellation needs no active product", typ: beian.TypeCancel, ips: []string{"198.51.100.9"}, products: []beian.Product{lapsed}, customer: "C-2"},
		{name: "access cancellation without any product", typ: beian.TypeCancelAccess, ips: []string{"198.51.100.200"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := personCase()
			if tc.typ != "" {
				c.Type = tc.typ
			}
			c.Website.ServerIPs = tc.ips
			got := CheckProducts(c, tc.products, today, tc.prior)
			var codes []string
			for _, v := range got.Violations {
				codes = append(codes, v.Code+"@"+v.Field)
				require.NotEmpty(t, v.Rule)
				require.Regexp(t, `\p{Han}`, v.Message)
			}
			require.Equal(t, tc.want, codes)
			require.Equal(t, tc.customer, got.CustomerID)
			if tc.contains != "" {
				require.Contains(t, got.Violations[0].Message, tc.contains)
			}
		})
	}
}

// TestBlacklistKey: keys compare as the check compares (R-IN-6).
func TestBlacklistKey(t *testing.T) {
	suffixes := DefaultRules().FileableSuffixes
	tests := []struct{ kind, value, want string }{
		{BlacklistCertNumber, " 32050519900307123x ", "32050519900307123X"},
		{BlacklistPhone, "+86 139-0013-9000", "13900139000"},
		{BlacklistPhone, "0512-66668888", "051266668888"},
		{BlacklistDomain, "https://WWW.Bad-Site.cn/x", "bad-site.cn"},
		{BlacklistDomain, "例子.中国", "xn--fsqu00a.xn--fiqs8s"},
		{BlacklistDomain, "not a domain", "not a domain"},
		{BlacklistName, "  张三 ", "张三"},
	}
	for _, tc := range tests {
		got, err := BlacklistKey(tc.kind, tc.value, suffixes)
		require.NoError(t, err, tc.value)
		require.Equal(t, tc.want, got, tc.value)
	}
	for _, bad := range [][2]string{{"email", "a@b.cn"}, {BlacklistName, "  "}, {BlacklistPhone, "无"}} {
		_, err := BlacklistKey(bad[0], bad[1], suffixes)
		require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), bad)
	}

	// An entry keyed by BlacklistKey is found by Check.
	key, err := BlacklistKey(BlacklistPhone, "+86 138 1234 5678", suffixes)
	require.NoError(t, err)
	res := Check(personCase(), Input{DataCentres: testDataCentres(), Now: testNow, Blacklist: []BlacklistEntry{{Kind: BlacklistPhone, Value: key}}})
	require.Len(t, res.Violations, 1)
	require.Equal(t, "principal.mobile", res.Violations[0].Field)
}
