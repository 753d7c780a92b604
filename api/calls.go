package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
)

// requestCall asks for a verification call on a case now (R-VC); the
// answer is the case with its new task.
func (s *Server) requestCall(c echo.Context) error {
	reason, err := optionalReason(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	c.Set(ctxCaseID, id)
	if err := s.desk.RequestCall(c.Request().Context(), s.actor(c), id, reason, idemKey(c)); err != nil {
		return err
	}
	return s.respondCase(c, id, http.StatusOK)
}

// confirmFalseData puts the sponsor of a case whose call found false data
// on the blacklist, once a supervisor has checked with sales (R-PA-1).
func (s *Server) confirmFalseData(c echo.Context) error {
	note, err := optionalReason(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	c.Set(ctxCaseID, id)
	e, err := s.desk.ConfirmFalseData(c.Request().Context(), s.actor(c), id, note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, blacklistToJSON(desk.MaskBlacklist(*e)))
}

type callCheckJSON struct {
	Question string `json:"question"`
	Title    string `json:"title"`
	Answer   string `json:"answer"`
	Match    bool   `json:"match"`
}

type callResultJSON struct {
	Result     string          `json:"result,omitempty"`
	Mismatches []string        `json:"mismatches"`
	Checks     []callCheckJSON `json:"checks"`
	NoAnswer   int             `json:"no_answer"`
	Task       taskJSON        `json:"task"`
}

// completeTask records a verification call (api.md "Verification"):
// {"outcome": "answered", "answers": {...}, "dialled": "mobile"} answers
// match or mismatch per question (R-VC-1, R-VC-3); {"outcome": "no_answer"}
// counts a call nobody answered.
func (s *Server) completeTask(c echo.Context) error {
	var b struct {
		Outcome string            `json:"outcome"`
		Answers map[string]string `json:"answers"`
		Dialled string            `json:"dialled"`
		At      string            `json:"at"`
		Note    string            `json:"note"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Outcome == "" {
		return beian.Errorf(beian.CodeInvalid, "需要 outcome：answered（接通）或 no_answer（无人接听）")
	}
	report := desk.CallReport{Outcome: strings.TrimSpace(b.Outcome), Answers: b.Answers, Dialled: strings.TrimSpace(b.Dialled), Note: b.Note}
	if b.At != "" {
		t, err := time.Parse(time.RFC3339, b.At)
		if err != nil {
			return beian.Errorf(beian.CodeInvalid, "at 应为 RFC 3339 时间，例如 2026-12-02T15:00:00+08:00")
		}
		report.CallbackAt = t
	}
	res, err := s.desk.CompleteCall(c.Request().Context(), s.actor(c), c.Param("id"), report, idemKey(c))
	if err != nil {
		return err
	}
	c.Set(ctxCaseID, res.Task.CaseID)
	out := callResultJSON{Result: res.Result, Mismatches: nonNil(res.Mismatches), Checks: []callCheckJSON{}, NoAnswer: res.NoAnswer, Task: taskToJSON(*res.Task)}
	for _, ch := range res.Checks {
		out.Checks = append(out.Checks, callCheckJSON{Question: ch.Question, Title: ch.Title, Answer: ch.Answer, Match: ch.Match})
	}
	return c.JSON(http.StatusOK, out)
}
