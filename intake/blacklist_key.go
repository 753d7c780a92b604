package intake

import (
	"strings"

	beian "github.com/beian/beian"
)

// BlacklistKey is the normalised form of a blacklist value (R-IN-6), as a
// case is compared with it: a certificate number upper-case, a phone its
// digits without a +86/0086 prefix, a domain its registrable domain in
// lower-case punycode (by the fileable suffixes given; lower-case as typed
// when it is no domain), a name trimmed. An entry is unique by kind and key.
// An unknown kind, or a value with nothing left, is a CodeInvalid error.
func BlacklistKey(kind, value string, suffixes []string) (string, error) {
	v := strings.TrimSpace(value)
	var key string
	switch strings.TrimSpace(kind) {
	case BlacklistCertNumber:
		key = strings.ToUpper(v)
	case BlacklistName:
		key = v
	case BlacklistPhone:
		key = phoneKey(v)
	case BlacklistDomain:
		if reg, _, err := NormaliseDomain(v, suffixes); err == nil {
			key = reg
		} else {
			key = strings.ToLower(v)
		}
	default:
		return "", beian.Errorf(beian.CodeInvalid, "黑名单类型「%s」无效，应为 cert_number（证件号码）、name（姓名/名称）、domain（域名）或 phone（电话）", kind)
	}
	if key == "" {
		return "", beian.Errorf(beian.CodeInvalid, "黑名单的值不能为空")
	}
	return key, nil
}
