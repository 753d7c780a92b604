package intake

import (
	"slices"
	"strings"
	"time"

	beian "github.com/beian/beian"
)

// chinaTime is Beijing time, fixed at UTC+8 (no daylight saving since 1991),
// so that the check does not depend on the tz database being installed.
var chinaTime = time.FixedZone("CST", 8*60*60)

// idWeights are the GB 11643-1999 weights 2^(17-i) mod 11 of the first 17 digits.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps sum mod 11 to the check character (GB 11643-1999).
const idCheckChars = "10X98765432"

// idProvinceCodes are the first two digits of a resident ID (GB/T 2260
// provincial codes; 71 台湾, 81 香港, 82 澳门, 83 台湾居民居住证 are issued too).
var idProvinceCodes = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// ValidateResidentID checks an 18-character resident ID number (居民身份证号码,
// GB 11643-1999) for R-IN-4: 17 digits and a check character
// "10X98765432"[Σ digit×weight mod 11] with weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
// a known provincial code, and a real birth date (YYYYMMDD at positions 7–14)
// not before 1900 and not after now (Beijing date). Surrounding space is
// trimmed and a lower-case x is accepted; the normalised number has X.
// Errors are *beian.Error with Code INVALID_ID_NUMBER.
func ValidateResidentID(s string, now time.Time) (string, error) {
	n := strings.ToUpper(strings.TrimSpace(s))
	if n == "" {
		return "", idError("身份证号码为空")
	}
	if len(n) != 18 {
		return "", idError("身份证号码须为18位，现为%d位", len([]rune(n)))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := n[i]
		if c < '0' || c > '9' {
			return "", idError("身份证号码前17位须为数字")
		}
		sum += int(c-'0') * idWeights[i]
	}
	last := n[17]
	if (last < '0' || last > '9') && last != 'X' {
		return "", idError("身份证号码第18位须为数字或X")
	}
	if !idProvinceCodes[n[:2]] {
		return "", idError("身份证号码前两位%s不是有效的省级行政区划代码", n[:2])
	}
	birth, err := time.ParseInLocation("20060102", n[6:14], chinaTime)
	if err != nil || birth.Format("20060102") != n[6:14] {
		return "", idError("身份证号码中的出生日期%s不是真实日期", n[6:14])
	}
	if birth.Year() < 1900 {
		return "", idError("身份证号码中的出生日期%s早于1900年", n[6:14])
	}
	if !now.IsZero() {
		y, m, d := now.In(chinaTime).Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, chinaTime)
		if birth.After(today) {
			return "", idError("身份证号码中的出生日期%s晚于今天", n[6:14])
		}
	}
	if want := idCheckChars[sum%11]; last != want {
		return "", idError("身份证号码校验位错误（应为%c）", want)
	}
	return n, nil
}

func idError(format string, args ...any) *beian.Error {
	return beian.Errorf(CodeInvalidIDNumber, format, args...)
}

// creditCodeChars is the character set of GB 32100-2015: digits and upper-case
// letters without I, O, S, V, Z; a character's value is its index.
const creditCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditWeights are 3^(i-1) mod 31 for i = 1…17 (GB 32100-2015).
var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ValidateCreditCode checks an 18-character unified social credit code
// (统一社会信用代码, GB 32100-2015) for R-IN-4: every character from
// "0123456789ABCDEFGHJKLMNPQRTUWXY", and the 18th equal to the character of
// value (31 − Σ value×weight mod 31) mod 31 with weights 3^(i-1) mod 31.
// Space is trimmed and letters are upper-cased. A code on the legacy
// allow-list (legal codes that fail the check, kept by staff) passes.
// Errors are *beian.Error with Code INVALID_CREDIT_CODE.
func ValidateCreditCode(s string, legacy []string) (string, error) {
	n := strings.ToUpper(strings.TrimSpace(s))
	if n == "" {
		return "", creditError("统一社会信用代码为空")
	}
	if slices.ContainsFunc(legacy, func(l string) bool { return strings.ToUpper(strings.TrimSpace(l)) == n }) {
		return n, nil
	}
	if len(n) != 18 {
		return "", creditError("统一社会信用代码须为18位，现为%d位", len([]rune(n)))
	}
	sum := 0
	for i := 0; i < 18; i++ {
		v := strings.IndexByte(creditCodeChars, n[i])
		if v < 0 {
			return "", creditError("统一社会信用代码第%d位“%c”不是有效字符（不含 I、O、S、V、Z）", i+1, n[i])
		}
		if i < 17 {
			sum += v * creditWeights[i]
		}
	}
	if want := creditCodeChars[(31-sum%31)%31]; n[17] != want {
		return "", creditError("统一社会信用代码校验位错误（应为%c）", want)
	}
	return n, nil
}

func creditError(format string, args ...any) *beian.Error {
	return beian.Errorf(CodeInvalidCreditCode, format, args...)
}

// ValidateMobile checks a mainland mobile number (手机号码) for R-IN-4: after
// removing spaces and dashes and an optional +86, 0086 or 86 prefix, 11 digits
// starting 13–19. It returns the 11 digits. Errors are *beian.Error with Code
// INVALID_MOBILE.
func ValidateMobile(s string) (string, error) {
	n := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t', '\u00a0', '\u3000':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if n == "" {
		return "", beian.Errorf(CodeInvalidMobile, "手机号码为空")
	}
	switch {
	case strings.HasPrefix(n, "+86"):
		n = n[3:]
	case strings.HasPrefix(n, "0086"):
		n = n[4:]
	case strings.HasPrefix(n, "86") && len(n) == 13:
		n = n[2:]
	}
	if len(n) != 11 || n[0] != '1' || n[1] < '3' || n[1] > '9' || !allDigits(n) {
		return "", beian.Errorf(CodeInvalidMobile, "手机号码须为11位大陆手机号（1开头，第二位3–9）")
	}
	return n, nil
}

// validateLandline checks a mainland fixed-line number (固定电话, R-IN-2): area
// code and number, 10–12 digits starting 0, after removing spaces, dashes and
// brackets and an optional +86 (after which the leading 0 may be missing); an
// extension after 转, # or ext is kept. It returns "0512-88868888" (转ext).
func validateLandline(s string) (string, error) {
	t := strings.TrimSpace(s)
	ext := ""
	for _, sep := range []string{"转", "#", "ext", "EXT", "Ext"} {
		if i := strings.Index(t, sep); i >= 0 {
			ext = strings.TrimSpace(t[i+len(sep):])
			t = t[:i]
			break
		}
	}
	n := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '（', '）', '\t', '\u00a0', '\u3000':
			return -1
		}
		return r
	}, t)
	intl := false
	switch {
	case strings.HasPrefix(n, "+86"):
		n, intl = n[3:], true
	case strings.HasPrefix(n, "0086"):
		n, intl = n[4:], true
	}
	if intl && n != "" && n[0] != '0' {
		n = "0" + n
	}
	if len(n) < 10 || n[0] != '0' || len(n) > 12 || !allDigits(n) || n[1] == '0' || (ext != "" && !allDigits(ext)) {
		return "", beian.Errorf(CodeInvalidLandline, "固定电话须为区号加号码，如0512-88868888")
	}
	area := 4 // 0xxx, except 010 and 02x
	if n[1] == '1' || n[1] == '2' {
		area = 3
	}
	n = n[:area] + "-" + n[area:]
	if ext != "" {
		return n + "转" + ext, nil
	}
	return n, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
