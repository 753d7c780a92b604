package intake

import "strings"

// Provinces are the short names of the 31 provincial-level divisions of
// mainland China, the names the bureaus (管局) go by (R-ENT-3).
var Provinces = []string{
	"北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江",
	"安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆",
	"四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆",
}

// provinceSuffixes are stripped, longest first, to find a province's short
// name: 广西壮族自治区 → 广西, 江苏省 → 江苏, 北京市 → 北京.
var provinceSuffixes = []string{
	"维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市",
}

// CanonicalProvince returns the short name of a mainland province given in
// any usual form ("江苏", "江苏省", "广西壮族自治区", " 北京市 "), and false when
// s names no mainland province.
func CanonicalProvince(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	for _, p := range Provinces {
		if s == p {
			return p, true
		}
	}
	for _, suf := range provinceSuffixes {
		if base, ok := strings.CutSuffix(s, suf); ok && base != "" {
			for _, p := range Provinces {
				if base == p {
					return p, true
				}
			}
		}
	}
	return "", false
}

// sameProvince compares two province names in any usual form.
func sameProvince(a, b string) bool {
	ca, oka := CanonicalProvince(a)
	cb, okb := CanonicalProvince(b)
	if oka && okb {
		return ca == cb
	}
	return strings.TrimSpace(a) == strings.TrimSpace(b) && strings.TrimSpace(a) != ""
}

// provinceIn reports whether p is one of list, both in any usual form.
func provinceIn(p string, list []string) bool {
	for _, x := range list {
		if sameProvince(p, x) {
			return true
		}
	}
	return false
}
