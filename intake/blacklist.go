package intake

import (
	"fmt"
	"strings"

	"github.com/beian/beian/secret"
)

// Blacklist entry kinds (R-IN-6), as in api.md.
const (
	BlacklistCertNumber = "cert_number" // a sponsor's, principal's or legal representative's certificate number
	BlacklistName       = "name"        // a sponsor's, principal's or legal representative's name
	BlacklistDomain     = "domain"      // a registrable domain
	BlacklistPhone      = "phone"       // a mobile or fixed-line number
)

// CodeBlacklisted is the violation of R-IN-6.
const CodeBlacklisted = "BLACKLISTED"

// BlacklistEntry is one entry of the blacklist (黑名单, R-IN-6): who or what
// may not file, and why.
type BlacklistEntry struct {
	Kind   string
	Value  string
	Reason string
}

// checkBlacklist refuses a case whose sponsor, principal, legal
// representative, domain or phone is on the blacklist (R-IN-6). It runs on
// the normalised case.
func (k *checker) checkBlacklist(list []BlacklistEntry) {
	if len(list) == 0 {
		return
	}
	c := k.c
	type target struct{ field, value string }
	var certs, names, phones, domains []target
	certs = append(certs, target{"sponsor.cert_number", c.Sponsor.CertNumber}, target{"principal.id_number", c.Principal.IDNumber})
	names = append(names, target{"sponsor.name", c.Sponsor.Name}, target{"principal.name", c.Principal.Name})
	if lr := c.Sponsor.LegalRep; lr != nil {
		certs = append(certs, target{"sponsor.legal_rep.id_number", lr.IDNumber})
		names = append(names, target{"sponsor.legal_rep.name", lr.Name})
	}
	phones = append(phones, target{"principal.mobile", phoneKey(c.Principal.Mobile)}, target{"principal.landline", phoneKey(c.Principal.Landline)})
	for i, d := range c.Website.Domains {
		domains = append(domains, target{fmt.Sprintf("website.domains[%d]", i), d})
	}
	hit := map[string]bool{}
	for _, e := range list {
		var targets []target
		value := strings.TrimSpace(e.Value)
		switch strings.TrimSpace(e.Kind) {
		case BlacklistCertNumber:
			targets, value = certs, strings.ToUpper(value)
		case BlacklistName:
			targets = names
		case BlacklistPhone:
			targets, value = phones, phoneKey(value)
		case BlacklistDomain:
			targets = domains
			if reg, _, err := NormaliseDomain(value, k.r.FileableSuffixes); err == nil {
				value = reg
			} else {
				value = strings.ToLower(value)
			}
		}
		for _, t := range targets {
			if value == "" || t.value != value || hit[t.field] {
				continue
			}
			hit[t.field] = true
			msg := "在黑名单上，不能备案"
			if r := strings.TrimSpace(e.Reason); r != "" {
				msg += "（" + r + "）"
			}
			shown := t.value
			if e.Kind == BlacklistCertNumber || e.Kind == BlacklistPhone {
				shown = secret.Mask(shown) // the answer may be kept (Idempotency-Key): no full number in it
			}
			k.add("R-IN-6", CodeBlacklisted, t.field, "%s%s", shown, msg)
		}
	}
}

// phoneKey reduces a phone number to its digits without a +86/0086 prefix,
// so that "+86 138-1234-5678" and "13812345678" compare equal.
func phoneKey(s string) string {
	if m, err := ValidateMobile(s); err == nil {
		return m
	}
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if strings.HasPrefix(d, "0086") {
		d = "0" + strings.TrimLeft(d[4:], "0")
	}
	return d
}
