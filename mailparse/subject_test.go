package mailparse

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSubjectKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		subject, sponsor, domain string
		ok                       bool
	}{
		{"张三+example.cn", "张三", "example.cn", true},
		{"Re: 回复：张三 ＋ WWW.Example.CN", "张三", "example.cn", true},
		{"转发: 【备案】苏州某某科技有限公司+例子.中国", "苏州某某科技有限公司", "xn--fsqu00a.xn--fiqs8s", true},
		{"RE：Fwd: [备案] ＡＢＣ科技（集团）有限公司＋ｈｔｔｐｓ：／／ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ．ｃｎ／", "ABC科技(集团)有限公司", "example.com.cn", true},
		{"答复: 张三+example.cn（补充材料）", "张三", "example.cn", true},
		{"Re[2]: FW:  张三  +  example.cn.", "张三", "example.cn", true},
		{"回复(2)：转发：张三+例子。中国", "张三", "xn--fsqu00a.xn--fiqs8s", true},
		{"张三+http://www.example.cn:8080/index.html", "张三", "example.cn", true},
		{"张　三+example.cn 第二批", "张 三", "example.cn", true},
		{"张三+xn--fsqu00a.xn--fiqs8s", "张三", "xn--fsqu00a.xn--fiqs8s", true},
		{"张三 example.cn", "", "", false},    // no plus
		{"张三+李四+example.cn", "", "", false}, // two pluses
		{"张三＋李四+example.cn", "", "", false}, // two pluses, one full-width
		{"+example.cn", "", "", false},      // no sponsor
		{"Re: +example.cn", "", "", false},  // no sponsor once the prefix is gone
		{"张三+", "", "", false},              // no domain
		{"张三+localhost", "", "", false},     // one label
		{"张三+192.168.1.1", "", "", false},   // an IP address
		{"张三+zhangsan@example.cn", "", "", false},
		{"张三+exa mple.cn", "", "", false}, // the remark rule leaves "exa"
		{"张三+exam_ple.cn", "", "", false},
		{"", "", "", false},
		{"【备案】", "", "", false},
	} {
		sponsor, domain, ok := SubjectKey(tc.subject)
		require.Equal(t, tc.ok, ok, tc.subject)
		require.Equal(t, tc.sponsor, sponsor, tc.subject)
		require.Equal(t, tc.domain, domain, tc.subject)
	}
}

func TestNormaliseSponsor(t *testing.T) {
	t.Parallel()
	require.Equal(t, "苏州ABC科技(集团)有限公司", NormaliseSponsor(" 苏州ＡＢＣ科技（集团）有限公司　"))
	require.Equal(t, NormaliseSponsor("张 三"), NormaliseSponsor("张　 三"))
}

func TestCaseNumbers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"关于 JS-2026-000123 的补正", []string{"JS-2026-000123"}},
		{"Re: ＡＨ－２０２６－０００００１", []string{"AH-2026-000001"}},
		{"js-2026-000123 与 JS-2026-000123、AH-2026-000001", []string{"JS-2026-000123", "AH-2026-000001"}},
		{"编号：JS–2026–000123号", []string{"JS-2026-000123"}},
		{"(JS-2026-000123)\nAH-2025-999999.", []string{"JS-2026-000123", "AH-2025-999999"}},
		{"XJS-2026-000123", nil},
		{"JS-2026-0001234", nil},
		{"JS-26-000123", nil},
		{"J-2026-000123", nil},
		{"张三+example.cn", nil},
		{"", nil},
	} {
		require.Equal(t, tc.want, CaseNumbers(tc.text), tc.text)
	}
}
