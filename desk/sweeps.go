package desk

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/dns"
	"github.com/beian/beian/workflows"
)

// DomainChecker resolves a filed domain and classifies it (dns.Resolver).
type DomainChecker interface {
	Check(ctx context.Context, domain string, ours []netip.Prefix) dns.Finding
}

// Sweeper starts the workflow of an opened sweep (worker.Engine).
type Sweeper interface {
	StartSweep(ctx context.Context, sweepID string) error
}

// DomainCheck is where one domain of a case resolves (R-RV-2).
type DomainCheck struct {
	Domain    string
	Class     beian.SweepClass
	Addresses []string
}

// DNSCheck resolves the case's domains against our data-centre ranges
// (R-RV-2: the domain must resolve to our IP). Nothing is recorded.
func (s *Service) DNSCheck(ctx context.Context, who Actor, caseID string) ([]DomainCheck, error) {
	if err := who.Require(beian.RoleSpecialist, beian.RoleSupervisor); err != nil {
		return nil, err
	}
	c, err := s.Store.GetCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	return s.checkDomains(ctx, c.Website.Domains)
}

func (s *Service) checkDomains(ctx context.Context, domains []string) ([]DomainCheck, error) {
	if s.Domains == nil {
		return nil, beian.Errorf(beian.CodeUnavailable, "未配置 DNS 解析器（DNS_RESOLVERS），无法检查解析")
	}
	dcs, err := s.Store.ListDataCentres(ctx)
	if err != nil {
		return nil, err
	}
	var ours []netip.Prefix
	for _, dc := range dcs {
		ours = append(ours, dc.CIDRs...)
	}
	// A person waits on this: a few seconds, then what is known.
	ctx, cancel := context.WithTimeout(ctx, 6*time.Second)
	defer cancel()
	out := make([]DomainCheck, len(domains))
	var wg sync.WaitGroup
	for i, d := range domains {
		wg.Go(func() {
			f := s.Domains.Check(ctx, d, ours)
			out[i] = DomainCheck{Domain: d, Class: beian.SweepClass(f.Class), Addresses: f.Addresses()}
		})
	}
	wg.Wait()
	return out, nil
}

// Review records the review of a case (R-RV-2). A pass checks the DNS of
// its domains: a domain resolving elsewhere blocks the pass unless the
// specialist notes why (dnsNote); one not pointed at us yet is normal
// before approval and is noted on the timeline.
func (s *Service) Review(ctx context.Context, who Actor, caseID string, req workflows.ActionRequest, dnsNote, key string) error {
	if req.Result == "pass" && s.Domains != nil {
		c, err := s.Store.GetCase(ctx, caseID)
		if err != nil {
			return err
		}
		if len(c.Website.Domains) > 0 && c.Type.NeedsBureau() {
			checks, err := s.checkDomains(ctx, c.Website.Domains)
			if err != nil {
				return err
			}
			var elsewhere, pending []string
			for _, ch := range checks {
				switch ch.Class {
				case beian.SweepElsewhere:
					elsewhere = append(elsewhere, fmt.Sprintf("%s → %s", ch.Domain, strings.Join(ch.Addresses, "、")))
				case beian.SweepNXDomain, beian.SweepUnresolved:
					pending = append(pending, ch.Domain)
				}
			}
			note := strings.TrimSpace(dnsNote)
			var parts []string
			if len(elsewhere) > 0 {
				if note == "" {
					return beian.Errorf(beian.CodeDomainElsewhere, "域名解析到非我公司IP（%s）：工信部可能因此注销备案号（R-RV-2）。请用户改为解析到我公司机房IP后再审核；确需通过，请在「解析说明」中注明原因",
						strings.Join(elsewhere, "；"))
				}
				parts = append(parts, "解析到非我公司IP（"+strings.Join(elsewhere, "；")+"），专员说明："+note)
			}
			if len(pending) > 0 {
				parts = append(parts, strings.Join(pending, "、")+" 尚未解析到我公司IP（审批前属正常，开通接入前再查）")
			}
			if len(elsewhere) == 0 && len(pending) == 0 {
				parts = append(parts, "域名均解析到我公司IP")
			}
			req.Reason = "DNS 检查：" + strings.Join(parts, "；")
		}
	}
	return s.Act(ctx, who, caseID, beian.ActionReview, req, key)
}

// StartSweep runs the shell-site sweep now (R-PA-3), or joins the one
// running: two never run at once.
func (s *Service) StartSweep(ctx context.Context, who Actor) (*beian.Sweep, bool, error) {
	if err := who.Require(beian.RoleSupervisor); err != nil {
		return nil, false, err
	}
	if s.Sweeper == nil {
		return nil, false, beian.Errorf(beian.CodeUnavailable, "排查服务未启动")
	}
	sw, joined, err := s.Store.OpenSweep(ctx, "manual", who.Name, "")
	if err != nil {
		return nil, false, err
	}
	if joined { // its own workflow runs it (the schedule's or an earlier start)
		return sw, true, nil
	}
	if err := s.Sweeper.StartSweep(ctx, sw.ID); err != nil {
		if !joined {
			_ = s.Store.FinishSweep(context.WithoutCancel(ctx), sw.ID, beian.SweepFailed, "工作流未能启动："+err.Error())
		}
		return nil, false, beian.Errorf(beian.CodeUnavailable, "排查未能启动，请稍后重试")
	}
	return sw, joined, nil
}

func requireSweepReader(who Actor) error {
	return who.Require(beian.RoleSpecialist, beian.RoleSupervisor)
}

// Sweep returns a sweep with its counts.
func (s *Service) Sweep(ctx context.Context, who Actor, id string) (*beian.Sweep, error) {
	if err := requireSweepReader(who); err != nil {
		return nil, err
	}
	return s.Store.GetSweep(ctx, id)
}

// Sweeps returns the latest sweeps, newest first.
func (s *Service) Sweeps(ctx context.Context, who Actor, limit int) ([]beian.Sweep, error) {
	if err := requireSweepReader(who); err != nil {
		return nil, err
	}
	return s.Store.ListSweeps(ctx, limit)
}

// SweepFindings pages through a sweep's findings of a class ("" for all).
func (s *Service) SweepFindings(ctx context.Context, who Actor, id string, class beian.SweepClass, cursor string, limit int) ([]beian.SweepFinding, error) {
	if err := requireSweepReader(who); err != nil {
		return nil, err
	}
	if class != "" && !slices.Contains(beian.SweepClasses, class) {
		return nil, beian.Errorf(beian.CodeInvalid, "class 应为 ours、elsewhere、nxdomain 或 unresolved")
	}
	return s.Store.SweepFindings(ctx, id, class, cursor, limit)
}

// CaseSweepFindings returns a filing's findings in its latest sweeps.
func (s *Service) CaseSweepFindings(ctx context.Context, who Actor, caseID string) ([]beian.SweepFinding, error) {
	if err := requireSweepReader(who); err != nil {
		return nil, err
	}
	return s.Store.CaseSweepFindings(ctx, caseID, 10)
}

// openingDNSNote checks the domains again as access is about to be opened
// (R-RV-2: a site not yet pointed at us is normal before approval, not
// after): "" when every domain resolves to us or nothing can be checked.
func (s *Service) openingDNSNote(ctx context.Context, caseID string) string {
	if s.Domains == nil {
		return ""
	}
	c, err := s.Store.GetCase(ctx, caseID)
	if err != nil || len(c.Website.Domains) == 0 {
		return ""
	}
	checks, err := s.checkDomains(ctx, c.Website.Domains)
	if err != nil {
		return ""
	}
	var off []string
	for _, ch := range checks {
		if ch.Class != beian.SweepOurs {
			what := ch.Class.Title()
			if len(ch.Addresses) > 0 {
				what += " " + strings.Join(ch.Addresses, "、")
			}
			off = append(off, ch.Domain+"（"+what+"）")
		}
	}
	if len(off) == 0 {
		return "开通前复查解析：域名均解析到我公司IP"
	}
	return "开通前复查解析：" + strings.Join(off, "；") + "，请提醒用户改为解析到我公司机房IP"
}
