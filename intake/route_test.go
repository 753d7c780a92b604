package intake

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	beian "github.com/beian/beian"
)

// R-ENT-1/R-ENT-2/R-IN-7: routing by server IP.
func TestRoute(t *testing.T) {
	t.Parallel()
	jiangsu := beian.Routing{Province: "江苏", DataCentre: "苏州园区机房", AccessProvider: "中网科技（苏州）股份有限公司", Mailbox: "JSBA@ChinaNet.CC"}
	anhui := beian.Routing{Province: "安徽", DataCentre: "滁州双线机房", AccessProvider: "安徽易速网络科技有限公司", Mailbox: "AHBA@ChinaNet.CC"}
	tests := []struct {
		name    string
		ips     []string
		want    beian.Routing
		wantVis []string
	}{
		{"R-ENT-1 IPv4 in Jiangsu", []string{"198.51.100.7"}, jiangsu, []string{}},
		{"R-ENT-1 IPv4 in Anhui, province given as 安徽省", []string{"203.0.113.9"}, anhui, []string{}},
		{"R-ENT-1 IPv6 in Jiangsu", []string{"2001:db8:1::7"}, jiangsu, []string{}},
		{"R-ENT-1 IPv6 upper case, spaces", []string{" 2001:DB8:2:0::1 "}, anhui, []string{}},
		{"R-ENT-1 IPv4-mapped IPv6 counts as IPv4", []string{"::ffff:198.51.100.7"}, jiangsu, []string{}},
		{"R-ENT-1 IPv4 and IPv6 of one province", []string{"198.51.100.7", "2001:db8:1::7"}, jiangsu, []string{}},
		{"R-ENT-2 IPv4 outside every range", []string{"192.0.2.1"}, beian.Routing{}, []string{"website.server_ips[0] IP_NOT_OURS"}},
		{"R-ENT-2 IPv6 outside every range", []string{"2001:db8:3::1"}, beian.Routing{}, []string{"website.server_ips[0] IP_NOT_OURS"}},
		{"R-ENT-2 one of two outside", []string{"198.51.100.7", "192.0.2.1"}, jiangsu, []string{"website.server_ips[1] IP_NOT_OURS"}},
		{"R-ENT-1 unparsable", []string{"198.51.100.300"}, beian.Routing{}, []string{"website.server_ips[0] INVALID_IP"}},
		{"R-ENT-1 host name is no IP", []string{"www.example.cn"}, beian.Routing{}, []string{"website.server_ips[0] INVALID_IP"}},
		{"R-ENT-1 CIDR is no IP", []string{"198.51.100.0/24"}, beian.Routing{}, []string{"website.server_ips[0] INVALID_IP"}},
		{"R-ENT-1 zone refused", []string{"fe80::1%eth0"}, beian.Routing{}, []string{"website.server_ips[0] INVALID_IP"}},
		{"R-ENT-1 duplicate", []string{"198.51.100.7", "198.51.100.007"}, jiangsu, []string{"website.server_ips[1] INVALID_IP"}},
		{"R-ENT-1 duplicate in another spelling", []string{"2001:db8:1::7", "2001:db8:1:0:0:0:0:7"}, jiangsu, []string{"website.server_ips[1] DUPLICATE_IP"}},
		{"R-ENT-1 mixed provinces explained", []string{"198.51.100.7", "203.0.113.9"}, jiangsu, []string{"website.server_ips IPS_IN_DIFFERENT_PROVINCES"}},
		{"R-IN-7 no IP at all", nil, beian.Routing{}, []string{"website.server_ips REQUIRED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, vs := Route(testDataCentres(), tt.ips)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.wantVis, codes(vs))
			requireWellFormed(t, vs)
			require.Empty(t, got.BureauProvince, "R-ENT-3 is not Route's business")
		})
	}
}

// R-ENT-1: the explanation of mixed provinces names each IP's data centre and province.
func TestRouteMixedProvincesMessage(t *testing.T) {
	t.Parallel()
	_, vs := Route(testDataCentres(), []string{"198.51.100.7", "2001:db8:2::1"})
	require.Len(t, vs, 1)
	require.Equal(t, "R-ENT-1", vs[0].Rule)
	for _, s := range []string{"198.51.100.7", "苏州园区机房", "江苏", "2001:db8:2::1", "滁州双线机房", "安徽"} {
		require.Contains(t, vs[0].Message, s)
	}
}

// R-ENT-1: nested ranges route by the longest prefix; no data centres at all
// means no IP is ours.
func TestRouteLongestPrefix(t *testing.T) {
	t.Parallel()
	dcs := append(testDataCentres(), beian.DataCentre{
		Name: "苏州二号机房", Province: "江苏", AccessProvider: "中网科技（苏州）股份有限公司", Mailbox: "JSBA2@ChinaNet.CC",
		CIDRs: []netip.Prefix{netip.MustParsePrefix("198.51.100.128/25")},
	})
	got, vs := Route(dcs, []string{"198.51.100.200"})
	require.Empty(t, vs)
	require.Equal(t, "苏州二号机房", got.DataCentre)
	require.Equal(t, "JSBA2@ChinaNet.CC", got.Mailbox)

	_, vs = Route(nil, []string{"198.51.100.7"})
	require.Equal(t, []string{"website.server_ips[0] IP_NOT_OURS"}, codes(vs))
}
