package desk

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"golang.org/x/net/idna"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
	"github.com/beian/beian/secret"
)

// prepare runs every intake rule on a case built from a body: routing by
// server IP (R-ENT-1/2), the reviewing bureau (R-ENT-3), the checklist
// (R-IN-2), the email subject (R-IN-3), the field rules (R-IN-*) with the
// rules in force (admins may override them), the blacklist (R-IN-6) and the
// customer's active access product for every server IP (R-ENT-2, R-RV-1),
// whose holder it sets as c.CustomerID. Check, Create and Correct share it.
// password is the clear filing password when one was given (its presence is
// checked for change, cancel and transfer types, R-TY).
func (s *Service) prepare(ctx context.Context, c *beian.Case, password string) (intake.Result, error) {
	s.Init()
	rules, err := s.Rules(ctx)
	if err != nil {
		return intake.Result{}, err
	}
	dcs, err := s.Store.ListDataCentres(ctx)
	if err != nil {
		return intake.Result{}, err
	}
	blacklist, err := s.Store.ListBlacklist(ctx) // R-IN-6
	if err != nil {
		return intake.Result{}, err
	}
	res := intake.Check(c, intake.Input{
		Rules: rules, DataCentres: dcs, Now: s.now(), FilingPassword: password, Blacklist: blacklistForIntake(blacklist),
	})
	res.Routing.BureauProvince = c.Sponsor.Province // R-ENT-3: the sponsor's bureau reviews

	// R-ENT-2, R-RV-1: product first, filing second.
	products, err := s.checkProducts(ctx, c, res.Violations)
	if err != nil {
		return intake.Result{}, err
	}
	res.Violations = append(res.Violations, products.Violations...)
	c.CustomerID = products.CustomerID // the holder of the active product owning the server IPs
	return res, nil
}

// This file holds the checks prepare and Create make against stored
// data: the blacklist (R-IN-6), the customers' access products (R-ENT-2,
// R-RV-1) and a sponsor's application in progress (R-IN-5).

// blacklistForIntake converts stored blacklist entries to the check's.
func blacklistForIntake(list []beian.BlacklistEntry) []intake.BlacklistEntry {
	out := make([]intake.BlacklistEntry, 0, len(list))
	for _, e := range list {
		out = append(out, intake.BlacklistEntry{Kind: e.Kind, Value: e.Value, Reason: e.Reason})
	}
	return out
}

// checkProducts checks the normalised case's server IPs against the access
// products on record (R-ENT-2, R-RV-1); prior are the violations found so
// far, whose IPs are not checked again.
func (s *Service) checkProducts(ctx context.Context, c *beian.Case, prior []beian.Violation) (intake.ProductCheck, error) {
	var ips []netip.Addr
	for _, raw := range c.Website.ServerIPs {
		if a, err := netip.ParseAddr(raw); err == nil {
			ips = append(ips, a.Unmap())
		}
	}
	products, err := s.Store.ProductsForIPs(ctx, ips)
	if err != nil {
		return intake.ProductCheck{}, err
	}
	return intake.CheckProducts(c, products, s.Today(), prior), nil
}

// sponsorConflict refuses a new case while its sponsor has another
// application in progress (R-IN-5): a sponsor corrects the open application
// or waits for its end. An open application holding one of the new case's
// domains is the same site: CreateCase reports that as DOMAIN_CONFLICT.
func (s *Service) sponsorConflict(ctx context.Context, c *beian.Case) error {
	open, err := s.Store.OpenApplicationOf(ctx, c.Sponsor.CertNumber)
	if err != nil || open == nil {
		return err
	}
	for _, d := range c.Website.Domains {
		if slices.Contains(open.Website.Domains, d) {
			return nil
		}
	}
	return beian.Errorf(beian.CodeSponsorConflict,
		"主办者 %s（证件号码 %s）已有在办的备案申请 %s（%s，状态：%s）：同一主办者同时只能有一个在办申请，请在该申请中更正或待其办结后再申请",
		c.Sponsor.Name, secret.Mask(c.Sponsor.CertNumber), open.CaseNo, open.PrimaryName(), open.Status.Title())
}

// conflictViolations are the R-IN-5 conflicts of the normalised case as
// violations, for the dry run (POST /filings/check), which reports every
// problem and changes nothing: DOMAIN_CONFLICT on each domain held by an
// open case or a live filing, and SPONSOR_CONFLICT when the sponsor has
// another application in progress. POST /filings still answers them with a
// 409 (sponsorConflict, and CreateCase as the guarantee).
func (s *Service) conflictViolations(ctx context.Context, c *beian.Case) ([]beian.Violation, error) {
	holders, err := s.Store.DomainHolders(ctx, c.Website.Domains)
	if err != nil {
		return nil, err
	}
	var vs []beian.Violation
	// A change or cancellation of our own live filing works on its domains.
	linked := *c
	if err := s.linkToLiveFiling(ctx, &linked); err != nil {
		var be *beian.Error
		if !errors.As(err, &be) {
			return nil, err
		}
		vs = append(vs, beian.Violation{Rule: "R-TY", Code: be.Code, Field: "filing_number", Message: be.Message})
	}
	seen := map[string]bool{}
	for i, d := range c.Website.Domains {
		h, held := holders[strings.ToLower(d)]
		if !held || seen[h.Domain] || (linked.LinkedCaseID != "" && h.CaseID == linked.LinkedCaseID) {
			continue
		}
		seen[h.Domain] = true
		vs = append(vs, beian.Violation{
			Rule: "R-IN-5", Code: beian.CodeDomainConflict, Field: fmt.Sprintf("website.domains[%d]", i),
			Message: fmt.Sprintf("域名 %s 已被备案申请 %s 占用（状态：%s），同一域名只能有一个在办申请或有效备案",
				DisplayDomain(h.Domain), h.CaseNo, h.Status.Title()),
		})
	}
	err = s.sponsorConflict(ctx, c)
	var be *beian.Error
	switch {
	case errors.As(err, &be) && be.Code == beian.CodeSponsorConflict:
		vs = append(vs, beian.Violation{Rule: "R-IN-5", Code: beian.CodeSponsorConflict, Field: "sponsor.cert_number", Message: be.Message})
	case err != nil:
		return nil, err
	}
	return vs, nil
}

// DisplayDomain is a domain as staff read it: an IDN in Unicode with its
// punycode after it.
func DisplayDomain(d string) string {
	if u, err := idna.Lookup.ToUnicode(d); err == nil && u != d {
		return u + "（" + d + "）"
	}
	return d
}

// linkToLiveFiling links a change, cancel or cancel_access case to our own
// live filing with its number, so the domains stay with that filing until
// the outcome (R-TY). A transfer in of a filing we already host is refused,
// and so is a second application on one live filing.
func (s *Service) linkToLiveFiling(ctx context.Context, c *beian.Case) error {
	if !c.Type.NeedsFilingNumber() {
		return nil
	}
	live, err := s.Store.LiveFilingByNumber(ctx, c.FilingNumber)
	if err != nil || live == nil {
		return err
	}
	if c.Type == beian.TypeTransferIn {
		return beian.Errorf(beian.CodeConflict, "备案号 %s 已由我公司接入（备案申请 %s，%s），无需办理接入备案", c.FilingNumber, live.CaseNo, live.Status.Title())
	}
	if c.Type == beian.TypeChange && live.Status != beian.StatusApproved {
		// The change would inherit a cut network or a running 24-hour order.
		return beian.Errorf(beian.CodeConflict, "备案号 %s 的备案申请 %s 当前为「%s」：请先完成整改或恢复接入，再办理变更", c.FilingNumber, live.CaseNo, live.Status.Title())
	}
	other, err := s.Store.InProgressLinkedTo(ctx, live.ID)
	if err != nil {
		return err
	}
	if other != nil {
		return beian.Errorf(beian.CodeConflict, "备案号 %s 已有在办的%s申请 %s（%s），请在该申请中办理或待其办结", c.FilingNumber, other.Type.Title(), other.CaseNo, other.Status.Title())
	}
	c.LinkedCaseID = live.ID
	return nil
}

// defaultSuffixes are the fileable suffixes of the shipped rules (R-IN-4).
var defaultSuffixes = sync.OnceValue(func() []string { return intake.DefaultRules().FileableSuffixes })

// ListDomain is a domain filter normalised as intake stores domains
// (R-IN-4): "https://WWW.例子.中国/x" finds the case filed for 例子.中国, kept
// as xn--fsqu00a.xn--fiqs8s. What does not normalise (a suffix not fileable,
// a typo) is matched lower-cased as given.
func ListDomain(q string) string {
	q = strings.TrimSpace(q)
	if q == "" {
		return ""
	}
	if reg, _, err := intake.NormaliseDomain(q, defaultSuffixes()); err == nil {
		return reg
	}
	return strings.ToLower(q)
}

// UnicodeDomains is domains in Unicode (R-IN-4: stored in punycode, shown to
// people as written).
func UnicodeDomains(domains []string) []string {
	out := make([]string, 0, len(domains))
	for _, d := range domains {
		u, err := idna.Lookup.ToUnicode(d)
		if err != nil {
			u = d
		}
		out = append(out, u)
	}
	return out
}
