package dns

import (
	"context"
	"net/netip"
	"sync"
)

// Finding is the sweep's verdict on one domain (R-PA-3) with the evidence
// it rests on: the first lookup and, when it looked elsewhere, the
// confirming one.
type Finding struct {
	// Domain is the domain as given to Check.
	Domain   string     `json:"domain"`
	Class    Class      `json:"class"`
	Evidence []Evidence `json:"evidence"`
}

// Check looks domain up, classifies it against ours and confirms before
// accusing (R-PA-3: a filer is only told the site left us when that is
// sure): a domain that looks elsewhere is looked up again on the resolvers
// that did not give the outside address. The second lookup decides: ours →
// ours, elsewhere → elsewhere, anything else (nxdomain, failures) →
// unresolved, so two resolvers that disagree give unresolved unless one
// says ours. With one resolver configured, or when every resolver already
// gave an outside address, the first lookup stands.
func (r *Resolver) Check(ctx context.Context, domain string, ours []netip.Prefix) Finding {
	ev := r.Lookup(ctx, domain)
	f := Finding{Domain: domain, Class: Classify(ev, ours), Evidence: []Evidence{ev}}
	if f.Class != ClassElsewhere {
		return f
	}
	accusers := outsideResolvers(ev, ours)
	var others []*server
	for _, s := range r.servers {
		if !accusers[s.addr] {
			others = append(others, s)
		}
	}
	if len(others) == 0 {
		return f
	}
	ev2 := r.lookup(ctx, domain, others)
	f.Evidence = append(f.Evidence, ev2)
	switch Classify(ev2, ours) {
	case ClassOurs:
		f.Class = ClassOurs
	case ClassElsewhere:
	default:
		f.Class = ClassUnresolved
	}
	return f
}

// CheckAll checks every domain, Config.Concurrency at a time, and calls fn
// with each finding as it is made, from one goroutine at a time. A stalled
// resolver costs each query at most Config.Timeout before the next server
// is asked, so it slows the batch but does not stop it. It returns
// ctx.Err() when cancelled; fn has then not been called for every domain.
func (r *Resolver) CheckAll(ctx context.Context, domains []string, ours []netip.Prefix, fn func(Finding)) error {
	work := make(chan string)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(r.cfg.Concurrency, len(domains)) {
		wg.Go(func() {
			for d := range work {
				f := r.Check(ctx, d, ours)
				if ctx.Err() != nil {
					continue // an interrupted check is no finding
				}
				mu.Lock()
				fn(f)
				mu.Unlock()
			}
		})
	}
feed:
	for _, d := range domains {
		select {
		case work <- d:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return ctx.Err()
}

// Addresses are the distinct addresses the finding's lookups saw, in order.
func (f Finding) Addresses() []string {
	var out []string
	seen := map[netip.Addr]bool{}
	for _, ev := range f.Evidence {
		for _, an := range ev.Answers {
			for _, ip := range an.Addrs {
				if !seen[ip] {
					seen[ip] = true
					out = append(out, ip.String())
				}
			}
		}
	}
	return out
}
