package desk

import (
	"context"

	"github.com/beian/beian"
)

// AuditTrail pages the hash-chained audit trail newest first (issue 12
// §3), for supervisors and admins: it names who saw, changed and exported
// what, which is theirs to oversee.
func (s *Service) AuditTrail(ctx context.Context, who Actor, f beian.AuditFilter) (*beian.AuditPage, error) {
	if err := who.Require(beian.RoleSupervisor); err != nil {
		return nil, beian.Errorf(beian.CodeForbidden, "只有主管或管理员可以查看审计日志")
	}
	if f.Limit < 0 || f.Limit > 200 {
		return nil, beian.Errorf(beian.CodeInvalid, "limit 应为 1 到 200 之间的整数")
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		return nil, beian.Errorf(beian.CodeInvalid, "起始时间 from 应早于截止时间 to")
	}
	return s.Store.ListAudit(ctx, f)
}
