package console

import (
	"net/http"

	"github.com/beian/beian"
)

// sweepsView is the sweep page: the running sweep's progress and the last
// ten sweeps (R-PA-3).
type sweepsView struct {
	Running  *beian.Sweep
	Sweeps   []sweepRow
	MayStart bool
}

// sweepRow is one sweep with what staff read at a glance.
type sweepRow struct {
	S       beian.Sweep
	Percent int
}

func rowOfSweep(s beian.Sweep) sweepRow {
	p := 100
	if s.Status == beian.SweepRunning {
		p = 0
		if s.Total > 0 {
			p = min(99, s.Done*100/s.Total)
		}
	}
	return sweepRow{S: s, Percent: p}
}

func (c *Console) sweeps(w http.ResponseWriter, r *request) {
	list, err := c.svc.Sweeps(r.Context(), r.who, 10)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v := sweepsView{MayStart: r.who.Is(beian.RoleSupervisor)}
	for i := range list {
		if list[i].Status == beian.SweepRunning {
			v.Running = &list[i]
		}
		v.Sweeps = append(v.Sweeps, rowOfSweep(list[i]))
	}
	c.render(w, r, "sweeps", "空壳网站排查", v)
}

func (c *Console) startSweep(w http.ResponseWriter, r *request) {
	s, joined, err := c.svc.StartSweep(r.Context(), r.who)
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	msg := "已开始排查"
	if joined {
		msg = "已有排查正在运行，未重复启动"
	}
	redirect(w, r, Base+"/sweeps/"+s.ID, msg)
}

// sweepView is one sweep: counts, provinces and the findings that need a
// person, each linked to its filing.
type sweepView struct {
	Row      sweepRow
	Classes  []beian.SweepClass
	Findings map[beian.SweepClass][]beian.SweepFinding
	More     map[beian.SweepClass]bool
}

const sweepPageFindings = 200

func (c *Console) sweep(w http.ResponseWriter, r *request) {
	ctx := r.Context()
	s, err := c.svc.Sweep(ctx, r.who, r.PathValue("id"))
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v := sweepView{Row: rowOfSweep(*s), Classes: []beian.SweepClass{beian.SweepElsewhere, beian.SweepNXDomain, beian.SweepUnresolved},
		Findings: map[beian.SweepClass][]beian.SweepFinding{}, More: map[beian.SweepClass]bool{}}
	for _, class := range v.Classes {
		fs, err := c.svc.SweepFindings(ctx, r.who, s.ID, class, "", sweepPageFindings+1)
		if err != nil {
			c.fail(w, r.Request, r, err)
			return
		}
		if len(fs) > sweepPageFindings {
			fs, v.More[class] = fs[:sweepPageFindings], true
		}
		v.Findings[class] = fs
	}
	c.render(w, r, "sweep", "排查结果", v)
}
