package beian

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCallerCompany: the caller introduces the company by the short name of
// the data centre's access provider (R-VC-2), not by a hard-coded province.
func TestCallerCompany(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		ProviderJiangsu: "中网科技",
		ProviderAnhui:   "安徽易速网络",
		"蓝海数据(南京)有限公司":  "蓝海数据",
		"  云帆网络有限责任公司 ": "云帆网络",
		"星河互联":          "星河互联",
		"":              "我司",
		"有限公司":          "有限公司",
	} {
		require.Equal(t, want, CallerCompany(in), "%q", in)
	}
}

// TestVerificationScriptIntroducesTheDataCentresProvider: the script of an
// Anhui case says 安徽易速网络 because its data centre's provider is that,
// whatever the system province says.
func TestVerificationScriptIntroducesTheDataCentresProvider(t *testing.T) {
	t.Parallel()
	c := &Case{Sponsor: Sponsor{Name: "某某公司", Kind: SponsorOrganisation}, Website: Website{Name: "某某网", Domains: []string{"a.cn"}},
		Principal: Principal{Name: "张三", Mobile: "13800001234"},
		Routing:   Routing{Province: "江苏", AccessProvider: ProviderAnhui}}
	s := VerificationScript(c)
	require.Contains(t, s, "我是安徽易速网络的网站备案核查专员")
	c.Routing.AccessProvider = ProviderJiangsu
	require.True(t, strings.Contains(VerificationScript(c), "我是中网科技的网站备案核查专员"))
}
