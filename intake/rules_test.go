package intake

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	beian "github.com/beian/beian"
)

// The shipped rules are those of the manual and pass their own validation.
func TestDefaultRules(t *testing.T) {
	t.Parallel()
	r := DefaultRules()
	require.NoError(t, r.Validate())
	// R-IN-1
	require.ElementsMatch(t, []string{"安徽", "江苏"}, keys(r.SuspendedResidences))
	require.ElementsMatch(t, []string{"新疆", "西藏", "山东", "甘肃"}, r.SuspendedResidences["安徽"])
	require.ElementsMatch(t, []string{"新疆", "西藏", "山东", "甘肃"}, r.SuspendedResidences["江苏"])
	// R-IN-2
	require.ElementsMatch(t, []string{"辽宁", "重庆", "广西"}, r.LandlineProvinces)
	// R-IN-4
	require.Subset(t, r.NationalWords, []string{"中国", "中华", "全国", "国家"})
	require.Equal(t, map[string]string{
		"news": "新闻", "publishing": "出版", "education": "教育", "medical": "医疗保健",
		"drugs": "药品和医疗器械", "culture": "文化", "broadcasting": "广播电影电视节目",
	}, r.PreApprovalCategories)
	require.Subset(t, r.FileableSuffixes, []string{"中国", "政务.cn", "公益.cn", "cn", "com.cn", "gov.cn", "com", "net", "top", "cc", "tv", "网址"})
	require.NotContains(t, r.FileableSuffixes, "org")
	require.Len(t, r.FileableSuffixes, 157)
	require.Empty(t, r.LegacyCreditCodes)

	// Fresh copies: one caller's change does not leak into the next.
	r.SuspendedResidences["江苏"][0] = "北京"
	r.FileableSuffixes[0] = "org"
	r2 := DefaultRules()
	require.Equal(t, "新疆", r2.SuspendedResidences["江苏"][0])
	require.Equal(t, "中国", r2.FileableSuffixes[0])
}

// R-IN-4: the region names cover every province, the prefecture-level
// divisions and the county-level ones, with and without suffix.
func TestDefaultRegionNames(t *testing.T) {
	t.Parallel()
	names := DefaultRules().RegionNames
	require.Greater(t, len(names), 5000)
	set := map[string]bool{}
	for _, n := range names {
		require.NotEmpty(t, strings.TrimSpace(n))
		require.False(t, set[n], "%s twice", n)
		set[n] = true
	}
	for _, p := range Provinces {
		require.True(t, set[p], p)
	}
	for _, n := range []string{
		"江苏省", "广西壮族自治区", "新疆维吾尔自治区", "内蒙古自治区", "北京市",
		"苏州", "苏州市", "沈阳", "拉萨市", "大兴安岭地区", "大兴安岭", "兴安盟", "延边朝鲜族自治州", "延边", "黔东南", "东莞", "中山市",
		"昆山", "昆山市", "张家港", "义乌", "浦东新区", "浦东", "神农架林区", "神农架", "六枝特区", "莫力达瓦", "双江", "和平区", "白云区",
	} {
		require.True(t, set[n], n)
	}
	for _, n := range []string{"和平", "城关", "白云", "东区", "城区", "市辖区", "县", "长子", "公安"} {
		require.False(t, set[n], "everyday word %s", n)
	}
}

// R-IN-1/R-IN-2/R-IN-4: an admin's change is checked before it is stored.
func TestRulesValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(r *Rules)
		fields []string
	}{
		{"R-IN-1 full province names are fine", func(r *Rules) {
			r.SuspendedResidences = map[string][]string{"江苏省": {"新疆维吾尔自治区", "山东省"}}
		}, nil},
		{"R-IN-1 unknown system province", func(r *Rules) { r.SuspendedResidences["苏州"] = []string{"山东"} }, []string{"suspended_residences"}},
		{"R-IN-1 unknown sponsor province", func(r *Rules) { r.SuspendedResidences["江苏"] = []string{"山东", "台北"} }, []string{"suspended_residences.江苏[1]"}},
		{"R-IN-2 unknown landline province", func(r *Rules) { r.LandlineProvinces = append(r.LandlineProvinces, "") }, []string{"landline_provinces[3]"}},
		{"R-IN-4 empty national word", func(r *Rules) { r.NationalWords = append(r.NationalWords, " ") }, []string{"national_words[8]"}},
		{"R-IN-4 no region names", func(r *Rules) { r.RegionNames = nil }, []string{"region_names"}},
		{"R-IN-4 bad category code", func(r *Rules) { r.PreApprovalCategories["Game Sites"] = "游戏" }, []string{"pre_approval_categories.Game Sites"}},
		{"R-IN-4 category without title", func(r *Rules) { r.PreApprovalCategories["games"] = "" }, []string{"pre_approval_categories.games"}},
		{"R-IN-4 no suffixes", func(r *Rules) { r.FileableSuffixes = nil }, []string{"fileable_suffixes"}},
		{"R-IN-4 empty suffix", func(r *Rules) { r.FileableSuffixes = append(r.FileableSuffixes, "") }, []string{"fileable_suffixes[157]"}},
		{"R-IN-4 invalid suffix", func(r *Rules) { r.FileableSuffixes = append(r.FileableSuffixes, "c_n") }, []string{"fileable_suffixes[157]"}},
		{"R-IN-4 duplicate suffix in punycode", func(r *Rules) { r.FileableSuffixes = append(r.FileableSuffixes, "XN--FIQS8S") }, []string{"fileable_suffixes[157]"}},
		{"R-IN-4 suffix with dots around is fine", func(r *Rules) { r.FileableSuffixes = append(r.FileableSuffixes, ".org.") }, nil},
		{"R-IN-4 legacy code of the wrong form", func(r *Rules) { r.LegacyCreditCodes = []string{"911100001000000001", "91110000100000000I"} }, []string{"legacy_credit_codes[1]"}},
		{"several at once", func(r *Rules) {
			r.LandlineProvinces = []string{"辽"}
			r.FileableSuffixes = []string{" "}
		}, []string{"landline_provinces[0]", "fileable_suffixes[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := DefaultRules()
			tt.modify(&r)
			err := r.Validate()
			if tt.fields == nil {
				require.NoError(t, err)
				return
			}
			var e *beian.Error
			require.True(t, errors.As(err, &e), "%v", err)
			require.Equal(t, beian.CodeInvalid, e.Code)
			var fields []string
			for _, v := range e.Violations {
				fields = append(fields, v.Field)
				require.Regexp(t, `\p{Han}`, v.Message)
			}
			require.Equal(t, tt.fields, fields)
		})
	}
}

func TestCanonicalProvince(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"江苏", "江苏"}, {"江苏省", "江苏"}, {" 北京市 ", "北京"}, {"重庆", "重庆"}, {"广西壮族自治区", "广西"},
		{"广西自治区", "广西"}, {"内蒙古自治区", "内蒙古"}, {"新疆维吾尔自治区", "新疆"}, {"宁夏回族自治区", "宁夏"}, {"西藏自治区", "西藏"},
		{"黑龙江省", "黑龙江"}, {"苏州", ""}, {"香港", ""}, {"省", ""}, {"", ""}, {"江苏省省", ""},
	}
	for _, tt := range tests {
		got, ok := CanonicalProvince(tt.in)
		require.Equal(t, tt.want, got, tt.in)
		require.Equal(t, tt.want != "", ok, tt.in)
	}
	require.Len(t, Provinces, 31)
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// R-IN-4: the embedded suffix list is the shared one (shared/data/fileable-tlds.txt).
func TestFileableSuffixesMatchShared(t *testing.T) {
	t.Parallel()
	shared, err := os.ReadFile(filepath.Join("..", "..", "shared", "data", "fileable-tlds.txt"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("shared/ is not beside the repository")
	}
	require.NoError(t, err)
	require.Equal(t, dataLines(string(shared)), DefaultRules().FileableSuffixes)
}
