package desk

import (
	"net/http"
	"testing"
	"time"

	"github.com/beian/beian"
)

// TestActorRoles: admin has every role; others only their own; Require's
// error is a 403 that names the role in Chinese.
func TestActorRoles(t *testing.T) {
	admin, tech := Actor{Name: "a", Role: beian.RoleAdmin}, Actor{Name: "t", Role: beian.RoleTech}
	if !admin.Is(beian.RoleSupervisor) || !admin.Is() {
		t.Fatal("admin has every role, admin-only (no roles) included")
	}
	if tech.Is() || tech.Is(beian.RoleSpecialist) || !tech.Is(beian.RoleTech) {
		t.Fatal("tech is tech only")
	}
	err := tech.Require(beian.RoleSupervisor)
	if beian.ErrorCode(err) != beian.CodeForbidden || HTTPStatus(beian.ErrorCode(err)) != http.StatusForbidden {
		t.Fatalf("Require: %v", err)
	}
	if MayReadCaseWork(Actor{Role: beian.RoleBureau}) || !MayReadCaseWork(Actor{Role: beian.RoleSpecialist}) {
		t.Fatal("the bureau integration reads cases, not the desk's mails and tasks")
	}
}

// TestAcceptOverrides: a supervisor accepts the judgement rules only; a
// specialist asking is refused; other violations stay.
func TestAcceptOverrides(t *testing.T) {
	vs := []beian.Violation{{Code: "REGION_NAME_IN_PERSONAL_SITE"}, {Code: "SUSPENDED_RESIDENCE"}}
	left, err := AcceptOverrides(Actor{Role: beian.RoleSupervisor}, []string{"REGION_NAME_IN_PERSONAL_SITE"}, vs)
	if err != nil || len(left) != 1 || left[0].Code != "SUSPENDED_RESIDENCE" {
		t.Fatalf("supervisor: %v %v", left, err)
	}
	if _, err := AcceptOverrides(Actor{Role: beian.RoleSpecialist}, []string{"REGION_NAME_IN_PERSONAL_SITE"}, vs); beian.ErrorCode(err) != beian.CodeForbidden {
		t.Fatalf("specialist: %v", err)
	}
	if _, err := AcceptOverrides(Actor{Role: beian.RoleSupervisor}, []string{"SUSPENDED_RESIDENCE"}, vs); beian.ErrorCode(err) != beian.CodeInvalid {
		t.Fatalf("a hard rule cannot be accepted: %v", err)
	}
	left, err = AcceptOverrides(Actor{Role: beian.RoleSpecialist}, nil, vs)
	if err != nil || len(left) != 2 {
		t.Fatalf("nothing asked, nothing accepted: %v %v", left, err)
	}
}

// TestWeeksAndOverdue: weeks start Monday 00:00 Asia/Shanghai (also for a
// Sunday night in UTC terms), and a bureau case is overdue when flagged or
// past its deadline (R-BR-4), never once decided.
func TestWeeksAndOverdue(t *testing.T) {
	sunday := time.Date(2026, 12, 6, 23, 30, 0, 0, Shanghai)
	if got := EndOfWeek(sunday); !got.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, Shanghai)) {
		t.Fatalf("EndOfWeek(Sunday 23:30) = %s", got)
	}
	monday := time.Date(2026, 12, 7, 0, 30, 0, 0, Shanghai)
	if got := EndOfWeek(monday); !got.Equal(time.Date(2026, 12, 14, 0, 0, 0, 0, Shanghai)) {
		t.Fatalf("EndOfWeek(Monday 00:30) = %s", got)
	}
	due := time.Date(2026, 12, 4, 17, 30, 0, 0, Shanghai)
	c := &beian.Case{Status: beian.StatusBureauReview, Deadlines: beian.Deadlines{BureauDueAt: &due}}
	if BureauOverdue(c, due.Add(-time.Minute)) || !BureauOverdue(c, due.Add(time.Minute)) {
		t.Fatal("overdue from the deadline on")
	}
	c.Overdue = true
	if !BureauOverdue(c, due.Add(-time.Hour)) {
		t.Fatal("flagged by the workflow: overdue")
	}
	c.Status = beian.StatusApproved
	if BureauOverdue(c, due.Add(time.Hour)) {
		t.Fatal("decided: not overdue any more")
	}
}
