package activities

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/beian/beian"
	"github.com/beian/beian/dns"
	"github.com/beian/beian/notices"
	"github.com/beian/beian/workflows"
)

// DomainChecker resolves and classifies filed domains (dns.Resolver).
type DomainChecker interface {
	CheckAll(ctx context.Context, domains []string, ours []netip.Prefix, fn func(dns.Finding)) error
}

// HomepageChecker fetches a domain's home page from the given addresses and
// says whether it shows the filing number (R-PA-5): result is "shown",
// "missing" or "unreachable"; url the page that was read.
type HomepageChecker interface {
	CheckHomepage(ctx context.Context, domain string, addrs []netip.Addr, filingNumber string, ours []netip.Prefix) (result, url, detail string)
}

// sweepChunk is how many domains are resolved between two saves (and
// heartbeats) of a batch.
const sweepChunk = 1000

// OurRanges are the CIDR ranges of every data centre: an address in them is ours.
func (a *Activities) OurRanges(ctx context.Context) ([]netip.Prefix, error) {
	dcs, err := a.Store.ListDataCentres(ctx)
	if err != nil {
		return nil, fmt.Errorf("load data centres: %w", err)
	}
	var out []netip.Prefix
	for _, dc := range dcs {
		out = append(out, dc.CIDRs...)
	}
	return out, nil
}

// OpenSweep opens a sweep for the schedule, or names the running one.
func (a *Activities) OpenSweep(ctx context.Context, trigger string) (workflows.SweepOpened, error) {
	info := activity.GetInfo(ctx).WorkflowExecution
	s, joined, err := a.Store.OpenSweep(ctx, trigger, "schedule", info.ID+"/"+info.RunID)
	if err != nil {
		return workflows.SweepOpened{}, err
	}
	return workflows.SweepOpened{SweepID: s.ID, Joined: joined}, nil
}

// FinishSweep ends a sweep as completed or failed.
func (a *Activities) FinishSweep(ctx context.Context, in workflows.SweepFinish) error {
	return a.Store.FinishSweep(ctx, in.SweepID, in.Status, in.Error)
}

// SweepBatch resolves one batch of live filings' domains and records each
// finding with its evidence (R-PA-3). It saves and heartbeats every
// sweepChunk domains; a retry after a lost worker resumes after the last
// chunk saved, and a domain recorded twice keeps its first record.
func (a *Activities) SweepBatch(ctx context.Context, in workflows.SweepBatchInput) (workflows.SweepBatchResult, error) {
	if a.Domains == nil {
		return workflows.SweepBatchResult{}, temporal.NewNonRetryableApplicationError("未配置 DNS 解析器（DNS_RESOLVERS），无法排查", beian.CodeInvalid, nil)
	}
	if in.Cursor == "" && !activity.HasHeartbeatDetails(ctx) {
		total, err := a.Store.CountSweepTargets(ctx)
		if err != nil {
			return workflows.SweepBatchResult{}, err
		}
		if err := a.Store.SetSweepTotal(ctx, in.SweepID, total); err != nil {
			return workflows.SweepBatchResult{}, err
		}
	}
	targets, next, err := a.Store.SweepTargets(ctx, in.Cursor, in.Limit)
	if err != nil {
		return workflows.SweepBatchResult{}, err
	}
	var saved string // the last domain of the chunks saved by an earlier attempt
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &saved)
	}
	ours, err := a.OurRanges(ctx)
	if err != nil {
		return workflows.SweepBatchResult{}, err
	}
	if len(ours) == 0 { // every domain would look moved: tell nobody anything
		return workflows.SweepBatchResult{}, temporal.NewNonRetryableApplicationError("机房未配置IP网段，无法判断域名是否解析在我司；请先在「机房」页面录入网段", beian.CodeInvalid, nil)
	}
	checked := 0
	size := a.Config.SweepChunk
	if size <= 0 {
		size = sweepChunk
	}
	// Resume after the chunk whose last domain an earlier attempt saved
	// (found by equality: Postgres's collation, not Go's, orders domains).
	resume := 0
	if saved != "" {
		for i, t := range targets {
			if t.Domain == saved {
				resume = i + 1
				break
			}
		}
	}
	for start := 0; start < len(targets); start += size {
		chunk := targets[start:min(start+size, len(targets))]
		if start+len(chunk) <= resume {
			checked += len(chunk)
			continue
		}
		byDomain := make(map[string]beian.SweepTarget, len(chunk))
		domains := make([]string, 0, len(chunk))
		for _, t := range chunk {
			byDomain[t.Domain] = t
			domains = append(domains, t.Domain)
		}
		findings := make([]beian.SweepFinding, 0, len(chunk))
		last := saved // what a retry may skip: the chunks saved so far
		if start > 0 {
			last = targets[start-1].Domain
		}
		err := a.Domains.CheckAll(ctx, domains, ours, func(f dns.Finding) {
			t := byDomain[f.Domain]
			findings = append(findings, findingOf(in.SweepID, t, f))
			activity.RecordHeartbeat(ctx, last) // alive, even when a resolver stalls (the SDK throttles)
		})
		if err != nil {
			return workflows.SweepBatchResult{}, err
		}
		if err := a.Store.SaveSweepFindings(ctx, findings); err != nil {
			return workflows.SweepBatchResult{}, err
		}
		checked += len(chunk)
		activity.RecordHeartbeat(ctx, chunk[len(chunk)-1].Domain)
	}
	return workflows.SweepBatchResult{Next: next, Checked: checked}, nil
}

// findingOf is the stored finding of a DNS check.
func findingOf(sweepID string, t beian.SweepTarget, f dns.Finding) beian.SweepFinding {
	ev, err := json.Marshal(f.Evidence)
	if err != nil {
		ev = []byte("[]")
	}
	return beian.SweepFinding{
		SweepID: sweepID, CaseID: t.CaseID, CaseNo: t.CaseNo, Domain: t.Domain, Province: t.Province,
		Class: beian.SweepClass(f.Class), Addresses: f.Addresses(), Evidence: ev, CheckedAt: time.Now(),
	}
}

// SweepNotify orders every filing found elsewhere to move back within 24
// hours, through its own workflow (which sends the shell-site notice with
// the fixed text, R-PA-3), once: the order is an update keyed by the sweep
// and the filing, and a filing already rectifying or cut is not ordered
// again. Domains that no longer exist are reported to the specialists.
func (a *Activities) SweepNotify(ctx context.Context, sweepID string) error {
	done := map[string]bool{}
	var failed []string
	cursor := ""
	for {
		page, err := a.Store.SweepFindings(ctx, sweepID, beian.SweepElsewhere, cursor, 500)
		if err != nil {
			return err
		}
		for _, f := range page {
			if f.NotifiedAt != nil || done[f.CaseID] {
				continue
			}
			done[f.CaseID] = true
			activity.RecordHeartbeat(ctx, f.Domain)
			reason := fmt.Sprintf("空壳网站排查：域名 %s 解析到非我公司IP %s", f.Domain, strings.Join(f.Addresses, "、"))
			// One filing whose workflow does not answer must not hold the
			// others up: it is reported, and the next sweep tries again.
			actx, cancel := context.WithTimeout(ctx, 20*time.Second)
			_, err := a.Caller.Act(actx, f.CaseID, beian.ActionRequireRectify, workflows.ActionRequest{
				Actor: "sweep", Reason: reason, Source: notices.RectifySourceSweep,
			}, "sweep:"+sweepID+":"+f.CaseID)
			cancel()
			switch {
			case beian.ErrorCode(err) == beian.CodeInvalidState:
				continue // rectifying already, or cut: no second notice
			case ctx.Err() != nil:
				return ctx.Err()
			case err != nil:
				failed = append(failed, fmt.Sprintf("%s  %s（%v）", f.CaseNo, f.Domain, err))
				continue
			}
			if err := a.Store.MarkSweepNotified(ctx, sweepID, f.CaseID, time.Now()); err != nil {
				return err
			}
			activity.RecordHeartbeat(ctx, f.Domain)
		}
		if len(page) < 500 {
			break
		}
		cursor = page[len(page)-1].Domain
	}
	if len(failed) > 0 && len(a.Config.StaffAlerts) > 0 {
		m := beian.Mail{Key: "sweep/" + sweepID + "/notify-failed", To: a.Config.StaffAlerts,
			Subject: fmt.Sprintf("【空壳网站排查】%d 个备案未能发出整改通知，请处理", len(failed)),
			Body:    "备案组：\n\n以下备案的域名解析到非我公司IP，但其流程未能接受整改要求，未发送通知。请在工作台核实后手动要求整改：\n\n" + strings.Join(failed, "\n") + "\n"}
		if _, err := a.Store.QueueMailWithEvents(ctx, m, nil); err != nil {
			return err
		}
		if err := a.SendMail(ctx, m.Key); err != nil {
			return err
		}
	}
	return a.reportNXDomains(ctx, sweepID)
}

// reportNXDomains mails the specialists the domains that do not exist, one
// mail per sweep (R-PA-3: reported, not cut).
func (a *Activities) reportNXDomains(ctx context.Context, sweepID string) error {
	var lines []string
	events := map[string]beian.Event{}
	cursor := ""
	for {
		page, err := a.Store.SweepFindings(ctx, sweepID, beian.SweepNXDomain, cursor, 1000)
		if err != nil {
			return err
		}
		for _, f := range page {
			if len(lines) < 500 {
				lines = append(lines, fmt.Sprintf("%s  %s", f.CaseNo, f.Domain))
			}
			if len(events) < 500 {
				events[f.CaseID] = beian.Event{At: time.Now(), Event: "sweep_nxdomain_found", Actor: "sweep",
					Detail: "空壳网站排查：域名 " + f.Domain + " 不存在（NXDOMAIN），未取消接入，请核实"}
			}
		}
		if len(page) < 1000 {
			break
		}
		cursor = page[len(page)-1].Domain
	}
	to := append([]string(nil), a.Config.StaffAlerts...)
	if len(lines) == 0 || len(to) == 0 {
		return nil
	}
	m := beian.Mail{Key: "sweep/" + sweepID + "/nxdomain", To: to,
		Subject: fmt.Sprintf("【空壳网站排查】%d 个域名不存在，请核实", len(lines)),
		Body: "备案组：\n\n本次排查中以下已备案域名不存在（NXDOMAIN）。没有取消接入；请与用户核实域名是否停用、是否需办理变更或注销备案（R-PA-3）。\n\n" +
			strings.Join(lines, "\n") + "\n"}
	if _, err := a.Store.QueueMailWithEvents(ctx, m, events); err != nil {
		return err
	}
	return a.SendMail(ctx, m.Key)
}

// SweepHomepages checks, for each domain found ours, that its home page
// shows the filing number (R-PA-5), and reminds the filer once per sweep
// when it does not. Unreachable is recorded, not punished.
func (a *Activities) SweepHomepages(ctx context.Context, sweepID string) error {
	if a.Homepages == nil || !a.Config.SweepHomepages {
		return nil
	}
	ours, err := a.OurRanges(ctx)
	if err != nil {
		return err
	}
	cursor := ""
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &cursor)
	}
	for {
		page, err := a.Store.SweepFindings(ctx, sweepID, beian.SweepOurs, cursor, 200)
		if err != nil {
			return err
		}
		var ids []string
		for _, f := range page {
			ids = append(ids, f.CaseID)
		}
		psNumbers, err := a.Store.PublicSecurityNumbers(ctx, ids) // R-PA-6: shown on the home page too
		if err != nil {
			return err
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		sem := make(chan struct{}, 32)
		for _, f := range page {
			if f.Homepage != "" || f.FilingNumber == "" {
				continue
			}
			ps := psNumbers[f.CaseID]
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := a.homepage(ctx, f, ps, ours); err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
				}
				activity.RecordHeartbeat(ctx, cursor) // alive; a retry starts at the page

			}()
		}
		wg.Wait()
		if firstErr != nil {
			return firstErr
		}
		if len(page) < 200 {
			return nil
		}
		cursor = page[len(page)-1].Domain
		activity.RecordHeartbeat(ctx, cursor)
	}
}

func (a *Activities) homepage(ctx context.Context, f beian.SweepFinding, psNumber string, ours []netip.Prefix) error {
	var addrs []netip.Addr
	for _, s := range f.Addresses {
		if ip, err := netip.ParseAddr(s); err == nil {
			addrs = append(addrs, ip)
		}
	}
	result, url, detail := a.Homepages.CheckHomepage(ctx, f.Domain, addrs, f.FilingNumber, ours)
	var reminded *time.Time
	if result == "missing" {
		c, err := a.Store.GetCase(ctx, f.CaseID)
		if err != nil {
			return appErr(err)
		}
		if c.Principal.Email != "" {
			msg := notices.HomepageNumberMissing(c, f.Domain, url)
			m := beian.Mail{Key: "sweep/" + f.SweepID + "/homepage/" + f.CaseID, CaseID: c.ID, To: []string{c.Principal.Email},
				Subject: msg.Subject, Body: msg.Body}
			now := time.Now()
			events := map[string]beian.Event{c.ID: {At: now, Event: "homepage_number_missing", Actor: "sweep",
				Detail: fmt.Sprintf("首页 %s 未显示备案号，已提醒用户（R-PA-5）", cmp.Or(url, f.Domain))}}
			if _, err := a.Store.QueueMailWithEvents(ctx, m, events); err != nil {
				return err
			}
			if err := a.SendMail(ctx, m.Key); err != nil {
				return err
			}
			reminded = &now
		}
	}
	if psNumber != "" && result == "shown" { // R-PA-6: the public-security number belongs there too
		psResult, psURL, _ := a.Homepages.CheckHomepage(ctx, f.Domain, addrs, psNumber, ours)
		if psResult == "missing" {
			detail = strings.TrimSpace(detail + "；首页未显示公安备案号 " + psNumber)
			c, err := a.Store.GetCase(ctx, f.CaseID)
			if err != nil {
				return appErr(err)
			}
			if c.Principal.Email != "" {
				msg := notices.PublicSecurityNumberMissing(c, f.Domain, psURL, psNumber)
				m := beian.Mail{Key: "sweep/" + f.SweepID + "/homepage-ps/" + f.CaseID, CaseID: c.ID, To: []string{c.Principal.Email},
					Subject: msg.Subject, Body: msg.Body}
				now := time.Now()
				events := map[string]beian.Event{c.ID: {At: now, Event: "homepage_ps_missing", Actor: "sweep",
					Detail: fmt.Sprintf("首页 %s 未显示公安备案号 %s，已提醒用户（R-PA-6）", cmp.Or(psURL, f.Domain), psNumber)}}
				if _, err := a.Store.QueueMailWithEvents(ctx, m, events); err != nil {
					return err
				}
				if err := a.SendMail(ctx, m.Key); err != nil {
					return err
				}
				reminded = &now
			}
		}
	}
	return a.Store.SetSweepHomepage(ctx, f.SweepID, f.Domain, result, detail, reminded)
}

// RectifyDeadline decides what a filing's rectification deadline does. A
// shell-site order (R-PA-3) resolves the filing's domains again: any
// address still elsewhere → the cut; every domain ours (or gone) →
// cleared; only domains that do not exist → reported, not cut; no answer
// → wait an hour and look again, never a cut for a resolver's failure.
// Any other order's deadline is the cut (R-VC-4, R-PA-2).
func (a *Activities) RectifyDeadline(ctx context.Context, caseID string) (workflows.DeadlineDecision, error) {
	cut := workflows.DeadlineDecision{Event: workflows.EventRectifyExpired}
	c, err := a.Store.GetCase(ctx, caseID)
	if err != nil {
		return cut, appErr(err)
	}
	if c.RectifySource != notices.RectifySourceSweep || a.Domains == nil || len(c.Website.Domains) == 0 {
		return cut, nil
	}
	ours, err := a.OurRanges(ctx)
	if err != nil {
		return cut, err
	}
	if len(ours) == 0 {
		return workflows.DeadlineDecision{Event: workflows.EventSweepRecheck, Detail: "机房未配置IP网段，无法复查"}, nil
	}
	byClass := map[dns.Class][]string{}
	addrs := map[string][]string{}
	err = a.Domains.CheckAll(ctx, c.Website.Domains, ours, func(f dns.Finding) {
		byClass[f.Class] = append(byClass[f.Class], f.Domain)
		addrs[f.Domain] = f.Addresses()
	})
	if err != nil {
		return cut, err
	}
	for _, list := range byClass {
		slices.Sort(list)
	}
	switch {
	case len(byClass[dns.ClassElsewhere]) > 0:
		var parts []string
		for _, d := range byClass[dns.ClassElsewhere] {
			parts = append(parts, d+" → "+strings.Join(addrs[d], "、"))
		}
		cut.Detail = "24小时复查：仍解析到非我公司IP（" + strings.Join(parts, "；") + "）"
		return cut, nil
	case len(byClass[dns.ClassUnresolved]) > 0:
		return workflows.DeadlineDecision{Event: workflows.EventSweepRecheck,
			Detail: "24小时复查：" + strings.Join(byClass[dns.ClassUnresolved], "、") + " 未能解析"}, nil
	case len(byClass[dns.ClassOurs]) > 0:
		d := "24小时复查：域名 " + strings.Join(byClass[dns.ClassOurs], "、") + " 已解析回我公司IP，整改完成"
		if gone := byClass[dns.ClassNXDomain]; len(gone) > 0 {
			d += "（" + strings.Join(gone, "、") + " 不存在）"
		}
		return workflows.DeadlineDecision{Event: workflows.EventSweepCleared, Detail: d}, nil
	default:
		return workflows.DeadlineDecision{Event: workflows.EventSweepNXDomain,
			Detail: "24小时复查：域名 " + strings.Join(byClass[dns.ClassNXDomain], "、") + " 不存在"}, nil
	}
}
