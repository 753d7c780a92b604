package intake

import (
	_ "embed"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	beian "github.com/beian/beian"
)

// Rules are the intake rules as data (R-IN-*), shipped as embedded defaults
// (DefaultRules) and overridable by admins; Validate checks a change before it
// is stored.
type Rules struct {
	// SuspendedResidences maps a system province (the server IP's, R-ENT-1) to
	// the sponsor provinces (属地) whose filings are suspended there (R-IN-1).
	SuspendedResidences map[string][]string
	// LandlineProvinces are the sponsor provinces where a personal sponsor
	// must give a fixed-line phone (R-IN-2).
	LandlineProvinces []string
	// NationalWords may not appear in an organisation's site name (R-IN-4).
	NationalWords []string
	// RegionNames may not appear in a personal site's name (R-IN-4): names of
	// provinces, prefecture-level and county-level divisions, with and
	// without their suffixes.
	RegionNames []string
	// PreApprovalCategories maps a category code to its Chinese title; a site
	// in such a category needs a pre-approval document (前置审批, R-IN-4).
	PreApprovalCategories map[string]string
	// FileableSuffixes are the MIIT's fileable domain suffixes (R-IN-4); IDN
	// suffixes may be in Unicode, they are compared in punycode.
	FileableSuffixes []string
	// LegacyCreditCodes are unified social credit codes that fail the GB 32100
	// check but are legal (an admin allow-list, R-IN-4).
	LegacyCreditCodes []string
	// Checklist is the materials checklist (R-IN-2): its items in the order
	// the filer sees them, each with the conditions under which a case needs it.
	Checklist []ChecklistRule
	// FormVariants are the provinces' own versions of checklist items
	// (R-IN-2), e.g. 广东's verification sheet, 上海's authorisation letter.
	FormVariants []FormVariant
	// ProvinceNotes are the provinces' extra instructions on checklist items
	// (R-IN-2), e.g. 江西's fingerprint, 山西's machine-typed domain.
	ProvinceNotes []ProvinceNote
}

//go:embed data/fileable-tlds.txt
var fileableTLDsFile string

//go:embed data/regions.txt
var regionsFile string

// dataLines returns the non-empty lines of an embedded data file that are not
// comments (#); a line may hold several names separated by spaces.
func dataLines(file string) []string {
	var out []string
	for _, line := range strings.Split(file, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		out = append(out, strings.Fields(line)...)
	}
	return out
}

// DefaultRules returns the rules of the manual (P1 and P4) as shipped. Each
// call returns fresh maps and slices that the caller may change.
func DefaultRules() Rules {
	suspended := []string{"新疆", "西藏", "山东", "甘肃"} // R-IN-1 (manual P1 第一步 注)
	return Rules{
		SuspendedResidences: map[string][]string{
			"安徽": slices.Clone(suspended),
			"江苏": slices.Clone(suspended),
		},
		LandlineProvinces: []string{"辽宁", "重庆", "广西"}, // R-IN-2 (manual P1 第二步 1)
		// R-IN-4 (manual P4: 网站名称不能以中国、中华等全国性概念字样).
		// 国际/全球/世界 are left out: many lawful company names carry them.
		NationalWords: []string{"中国", "中华", "全国", "国家", "中央", "华夏", "神州", "九州"},
		RegionNames:   regionNames(),
		// R-IN-4 (manual P4: 《互联网信息服务管理办法》第五条).
		PreApprovalCategories: map[string]string{
			"news":         "新闻",
			"publishing":   "出版",
			"education":    "教育",
			"medical":      "医疗保健",
			"drugs":        "药品和医疗器械",
			"culture":      "文化",
			"broadcasting": "广播电影电视节目",
		},
		FileableSuffixes:  dataLines(fileableTLDsFile),
		LegacyCreditCodes: []string{},
		// R-IN-2 (manual P1 第二步).
		Checklist:     defaultChecklist(),
		FormVariants:  defaultFormVariants(),
		ProvinceNotes: defaultProvinceNotes(),
	}
}

// regionNames lists the embedded region names, each once, in file order.
func regionNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range dataLines(regionsFile) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

var categoryCodeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Validate checks an admin's change of the rules before it is stored: every
// province is a mainland province, no list entry is empty, every fileable
// suffix is a valid domain suffix, category codes are lower-case identifiers
// with a title, legacy credit codes have the form of a credit code, and the
// checklist, form variants and province notes are sound (validateChecklist,
// R-IN-2). The error
// is a *beian.Error with Code INVALID and one violation per problem.
func (r Rules) Validate() error {
	var vs []beian.Violation
	add := func(rule, field, format string, args ...any) {
		vs = append(vs, beian.Violation{Rule: rule, Code: beian.CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	for _, sys := range slices.Sorted(maps.Keys(r.SuspendedResidences)) {
		if _, ok := CanonicalProvince(sys); !ok {
			add("R-IN-1", "suspended_residences", "“%s”不是大陆省级行政区", sys)
		}
		for i, p := range r.SuspendedResidences[sys] {
			if _, ok := CanonicalProvince(p); !ok {
				add("R-IN-1", fmt.Sprintf("suspended_residences.%s[%d]", sys, i), "“%s”不是大陆省级行政区", p)
			}
		}
	}
	for i, p := range r.LandlineProvinces {
		if _, ok := CanonicalProvince(p); !ok {
			add("R-IN-2", fmt.Sprintf("landline_provinces[%d]", i), "“%s”不是大陆省级行政区", p)
		}
	}
	checkWords := func(rule, name string, words []string) {
		if len(words) == 0 {
			add(rule, name, "名单不能为空")
		}
		for i, w := range words {
			if strings.TrimSpace(w) == "" {
				add(rule, fmt.Sprintf("%s[%d]", name, i), "不能为空")
			}
		}
	}
	checkWords("R-IN-4", "national_words", r.NationalWords)
	checkWords("R-IN-4", "region_names", r.RegionNames)
	for _, code := range slices.Sorted(maps.Keys(r.PreApprovalCategories)) {
		if !categoryCodeRe.MatchString(code) {
			add("R-IN-4", "pre_approval_categories."+code, "类别代码“%s”须为小写英文字母、数字和下划线", code)
		}
		if strings.TrimSpace(r.PreApprovalCategories[code]) == "" {
			add("R-IN-4", "pre_approval_categories."+code, "类别“%s”缺少中文名称", code)
		}
	}
	if len(r.FileableSuffixes) == 0 {
		add("R-IN-4", "fileable_suffixes", "可备案域名后缀名单不能为空")
	}
	seen := map[string]int{}
	for i, s := range r.FileableSuffixes {
		a := asciiSuffix(s)
		switch {
		case strings.TrimSpace(s) == "":
			add("R-IN-4", fmt.Sprintf("fileable_suffixes[%d]", i), "域名后缀不能为空")
		case a == "":
			add("R-IN-4", fmt.Sprintf("fileable_suffixes[%d]", i), "“%s”不是有效的域名后缀", s)
		default:
			if j, dup := seen[a]; dup {
				add("R-IN-4", fmt.Sprintf("fileable_suffixes[%d]", i), "“%s”与第%d项重复", s, j+1)
			}
			seen[a] = i
		}
	}
	for i, c := range r.LegacyCreditCodes {
		n := strings.ToUpper(strings.TrimSpace(c))
		ok := len(n) == 18
		for j := 0; ok && j < len(n); j++ {
			ok = strings.IndexByte(creditCodeChars, n[j]) >= 0
		}
		if !ok {
			add("R-IN-4", fmt.Sprintf("legacy_credit_codes[%d]", i), "“%s”不是18位统一社会信用代码的格式", c)
		}
	}
	vs = append(vs, r.validateChecklist()...)
	if len(vs) > 0 {
		return &beian.Error{Code: beian.CodeInvalid, Message: "备案规则有误", Violations: vs}
	}
	return nil
}
