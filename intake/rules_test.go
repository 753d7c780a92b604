package intake

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
	// R-IN-2: the manual's checklist, its province forms and notes.
	var codes []string
	for _, c := range r.Checklist {
		if !slices.Contains(codes, c.Code) {
			codes = append(codes, c.Code)
		}
	}
	require.Equal(t, []string{
		"filing_number_and_password", "registration_form", "verification_sheet", "security_commitment", "domain_certificate",
		"principal_id", "curtain_photo", "business_licence", "legal_rep_id", "authorisation_letter",
		"interactive_special_filing", "pre_approval",
	}, codes)
	require.Len(t, r.Checklist, 16)
	require.Equal(t, []FormVariant{
		{Province: "广东", Item: "verification_sheet", Code: "verification_sheet_guangdong", Title: "《网站备案真实性核验单-广东》"},
		{Province: "上海", Item: "authorisation_letter", Title: "《网站负责人委托书-上海》"},
		{Province: "湖南", Item: "authorisation_letter", Title: "《湖南和安徽企业备案委托书》"},
		{Province: "安徽", Item: "authorisation_letter", Title: "《湖南和安徽企业备案委托书》"},
	}, r.FormVariants)
	var notes []string
	for _, n := range r.ProvinceNotes {
		notes = append(notes, n.Province+"/"+n.Item+"/"+string(n.SponsorKind))
	}
	require.Equal(t, []string{"广东/verification_sheet/", "江西/verification_sheet/person", "山西/verification_sheet/", "北京/verification_sheet/"}, notes)

	// Fresh copies: one caller's change does not leak into the next.
	r.SuspendedResidences["江苏"][0] = "北京"
	r.FileableSuffixes[0] = "org"
	r.Checklist[2].FilingTypes[0] = beian.TypeCancel
	r.Checklist[2].ConditionalNotes[0].Note = "改"
	r.ProvinceNotes[0].Note = "改"
	r2 := DefaultRules()
	require.Equal(t, beian.TypeNew, r2.Checklist[2].FilingTypes[0])
	require.Equal(t, "{province}的个人主办者也须填写固定电话。", r2.Checklist[2].ConditionalNotes[0].Note)
	require.Equal(t, "广东省须使用专用的《网站备案真实性核验单-广东》。", r2.ProvinceNotes[0].Note)
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
		// R-IN-2: the checklist, form variants and province notes.
		{"R-IN-2 no checklist", func(r *Rules) { r.Checklist, r.FormVariants, r.ProvinceNotes = nil, nil, nil }, []string{"checklist"}},
		{"R-IN-2 item without code or title", func(r *Rules) { r.Checklist[2].Code, r.Checklist[2].Title = "", " " },
			[]string{"checklist[2].code", "checklist[2].title"}},
		{"R-IN-2 item code not an identifier", func(r *Rules) { r.Checklist[2].Code = "Registration Form" }, []string{"checklist[2].code"}},
		{"R-IN-2 duplicate code that can apply to the same case", func(r *Rules) {
			r.Checklist = append(r.Checklist, ChecklistRule{Code: ItemPrincipalID, Title: "身份证", Provinces: []string{"浙江"}})
		}, []string{"checklist[16].code"}},
		{"R-IN-2 duplicate code of the pre-approval items", func(r *Rules) {
			r.Checklist = append(r.Checklist, ChecklistRule{Code: "pre_approval_news", Title: "新闻出版许可"})
		}, []string{"checklist[16].code"}},
		{"R-IN-2 same code, separate provinces: fine", func(r *Rules) {
			r.Checklist = append(r.Checklist,
				ChecklistRule{Code: "local_commitment", Title: "浙江承诺书", Provinces: []string{"浙江"}},
				ChecklistRule{Code: "local_commitment", Title: "承诺书", ExceptProvinces: []string{"浙江省"}},
				ChecklistRule{Code: "ip_note", Title: "说明", Conditions: []string{CondHasDomain}},
				ChecklistRule{Code: "ip_note", Title: "说明", Conditions: []string{CondNoDomain}})
		}, nil},
		{"R-IN-2 unknown type, kind, province, condition", func(r *Rules) {
			r.Checklist[3].FilingTypes = []beian.CaseType{beian.TypeNew, "renew"}
			r.Checklist[3].SponsorKinds = []beian.SponsorKind{"company"}
			r.Checklist[3].Provinces = []string{"江苏", "台北"}
			r.Checklist[3].ExceptProvinces = []string{"苏州"}
			r.Checklist[3].Conditions = []string{"has_website"}
		}, []string{"checklist[3].filing_types[1]", "checklist[3].sponsor_kinds[0]", "checklist[3].provinces[1]",
			"checklist[3].except_provinces[0]", "checklist[3].conditions[0]"}},
		{"R-IN-2 conditional note: unknown condition, empty text", func(r *Rules) {
			r.Checklist[2].ConditionalNotes = append(r.Checklist[2].ConditionalNotes, ConditionalNote{Condition: "landline"})
		}, []string{"checklist[2].conditional_notes[1].condition", "checklist[2].conditional_notes[1].note"}},
		{"R-IN-2 unknown placeholder, category outside the pre-approval rule", func(r *Rules) {
			r.Checklist[2].Note = "请写{city}。"
			r.Checklist[2].Title = "登记表（{category}）"
			r.Checklist[2].Conditions = []string{CondDocumentNoGiven}
		}, []string{"checklist[2].title", "checklist[2].note", "checklist[2].conditions[0]"}},
		{"R-IN-2 variant of an unknown item, empty, taken code, twice", func(r *Rules) {
			r.FormVariants = append(r.FormVariants,
				FormVariant{Province: "浙江", Item: "verification_form", Title: "《核验单-浙江》"},
				FormVariant{Province: "江苏", Item: ItemCurtainPhoto},
				FormVariant{Province: "福建", Item: ItemVerificationSheet, Code: ItemSecurityCommitment},
				FormVariant{Province: "广东省", Item: ItemVerificationSheet, Title: "《核验单-广东新版》"},
				FormVariant{Province: "澳门", Item: ItemVerificationSheet, Title: "《核验单》"})
		}, []string{"form_variants[4].item", "form_variants[5]", "form_variants[6].code", "form_variants[7]", "form_variants[8].province"}},
		{"R-IN-2 province note of an unknown item, province, kind, empty", func(r *Rules) {
			r.ProvinceNotes = append(r.ProvinceNotes,
				ProvinceNote{Province: "浙江", Item: "fingerprint", Note: "按指纹。"},
				ProvinceNote{Province: "浙", Item: ItemVerificationSheet, SponsorKind: "individual", Note: " "})
		}, []string{"province_notes[4].item", "province_notes[5].province", "province_notes[5].sponsor_kind", "province_notes[5].note"}},
		{"R-IN-2 a variant's item removed from the checklist", func(r *Rules) {
			r.Checklist = slices.DeleteFunc(r.Checklist, func(c ChecklistRule) bool { return c.Code == ItemAuthorisationLetter })
		}, []string{"form_variants[1].item", "form_variants[2].item", "form_variants[3].item"}},
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
				require.NotEmpty(t, v.Rule)
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
