package desk

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/verify"
	"github.com/beian/beian/workflows"
)

// Verification calls (真实性核验电话, R-VC): a call task is made when a case
// enters our review (R-RV-2) or on demand; the caller records what was
// answered, and the filing's workflow compares it with the record.

// RequestCall asks for a verification call on a case now (R-VC).
func (s *Service) RequestCall(ctx context.Context, who Actor, caseID, reason, key string) error {
	return s.Act(ctx, who, caseID, beian.ActionVerificationCall, workflows.ActionRequest{Reason: strings.TrimSpace(reason)}, key)
}

// CallReport is what a caller records of one call.
type CallReport struct {
	Outcome string            // "answered" | "no_answer"
	Answers map[string]string // by verify question key
	Dialled string            // "mobile" | "landline" | ""
	Note    string            // what the caller noted (false data, no cooperation)
	// CallbackAt is when to call back (outcome "callback").
	CallbackAt time.Time
}

// CallResult is the recorded call: per question, the answer and whether it
// matched; Result is "match", "mismatch", or "" for a call not answered.
type CallResult struct {
	Result     string
	Mismatches []string
	Checks     []CallCheck
	NoAnswer   int
	Task       *beian.Task
}

// CallCheck is one answered question.
type CallCheck struct {
	Question string
	Title    string
	Answer   string
	Match    bool
}

// CompleteCall records a call of an open call task on its case's workflow
// (R-VC-1, R-VC-3) and answers what it found.
func (s *Service) CompleteCall(ctx context.Context, who Actor, taskID string, r CallReport, key string) (*CallResult, error) {
	task, err := s.Store.GetTask(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if task.Kind != beian.TaskVerificationCall || task.CaseID == "" {
		return nil, beian.Errorf(beian.CodeInvalid, "任务 %s 不是核验电话", taskID)
	}
	if task.Status != beian.TaskOpen {
		return nil, beian.Errorf(beian.CodeInvalidState, "核验电话任务已完成，不能再次记录")
	}
	answers := map[string]string{}
	for _, q := range verify.Questions {
		if v := strings.TrimSpace(r.Answers[q]); v != "" {
			answers[q] = v
		}
	}
	for k := range r.Answers {
		known := false
		for _, q := range verify.Questions {
			known = known || q == k
		}
		if !known {
			return nil, beian.Errorf(beian.CodeInvalid, "未知问题 %s：回答应为 %s", k, strings.Join(verify.Questions, "、"))
		}
	}
	if r.Outcome == "callback" {
		if !r.CallbackAt.After(s.now()) || r.CallbackAt.After(s.now().AddDate(0, 1, 0)) {
			return nil, beian.Errorf(beian.CodeInvalid, "回拨时间应在现在之后、一个月以内")
		}
	}
	req := workflows.ActionRequest{TaskID: taskID, Outcome: r.Outcome, Answers: answers, Dialled: r.Dialled, Reason: strings.TrimSpace(r.Note), CallbackAt: r.CallbackAt}
	if err := s.Act(ctx, who, task.CaseID, beian.ActionVerificationResult, req, key); err != nil {
		return nil, err
	}
	return s.CallOf(ctx, taskID)
}

// CallOf reads what a call task recorded.
func (s *Service) CallOf(ctx context.Context, taskID string) (*CallResult, error) {
	task, err := s.Store.GetTask(ctx, taskID)
	if err != nil {
		return nil, err
	}
	out := &CallResult{Task: task}
	if task.Outcome == "" {
		return out, nil
	}
	var rec struct {
		Result     string   `json:"result"`
		Mismatches []string `json:"mismatches"`
		NoAnswer   int      `json:"no_answer"`
		Checks     []struct {
			Question string `json:"question"`
			Answer   string `json:"answer"`
			Match    bool   `json:"match"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(task.Outcome), &rec); err != nil {
		return nil, err
	}
	out.Result, out.Mismatches, out.NoAnswer = rec.Result, rec.Mismatches, rec.NoAnswer
	for _, c := range rec.Checks {
		out.Checks = append(out.Checks, CallCheck{Question: c.Question, Title: verify.Title(c.Question), Answer: c.Answer, Match: c.Match})
	}
	return out, nil
}

// ConfirmFalseData is a supervisor's confirmation, after checking with
// sales, that a call found the sponsor's data false: the sponsor's
// certificate number goes on the blacklist (R-PA-1, R-IN-6) and the case's
// timeline says so. Only a case whose call was recorded as false data.
func (s *Service) ConfirmFalseData(ctx context.Context, who Actor, caseID, note string) (*beian.BlacklistEntry, error) {
	if err := who.Require(beian.RoleSupervisor); err != nil {
		return nil, err
	}
	cs, err := s.Store.GetCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	found := false
	for _, e := range cs.Timeline {
		found = found || e.Event == "verification_false_info"
	}
	if !found {
		return nil, beian.Errorf(beian.CodeInvalidState, "申请 %s 没有核验电话记录为信息虚假，不能据此列入黑名单；如需列入请在黑名单页面操作", cs.CaseNo)
	}
	reason := "核验电话发现信息虚假，经与销售核实确认（R-PA-1）：" + cs.CaseNo
	if note = strings.TrimSpace(note); note != "" {
		reason += "；" + note
	}
	e, err := s.AddBlacklistEntry(ctx, who, "cert_number", cs.Sponsor.CertNumber, reason)
	if err != nil {
		return nil, err
	}
	if err := s.Store.AddEvent(ctx, cs.ID, beian.Event{At: s.now(), Event: "sponsor_blacklisted", Actor: who.Name,
		Detail: "主办者证件号码已列入黑名单：" + reason}); err != nil {
		return nil, err
	}
	return e, nil
}
