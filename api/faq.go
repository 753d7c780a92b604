package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/faq"
)

// faqEntryJSON is one entry of the answer bank, with its search score (0
// when the list is not a search).
type faqEntryJSON struct {
	ID       int      `json:"id"`
	Question string   `json:"question"`
	Answer   string   `json:"answer"`
	Keywords []string `json:"keywords"`
	Score    float64  `json:"score"`
}

// faqBank is the answer bank the API searches.
func (s *Server) faqBank() (*faq.Bank, error) {
	return s.desk.AnswerBank()
}

// searchFAQ answers the staff's answer bank (R-FAQ-1) for the 5-minute
// replies (R-RV-6): with q, the best matches first (limit, default 10);
// without q, every entry in the manual's order. Answers are quoted as
// written.
func (s *Server) searchFAQ(c echo.Context) error {
	limit := 0
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return beian.Errorf(beian.CodeInvalid, "limit 应为 1 到 100 之间的整数")
		}
		limit = n
	}
	bank, err := s.faqBank()
	if err != nil {
		return err
	}
	out := listJSON[faqEntryJSON]{Items: []faqEntryJSON{}}
	add := func(e faq.Entry, score float64) {
		kw := e.Keywords
		if kw == nil {
			kw = []string{}
		}
		out.Items = append(out.Items, faqEntryJSON{ID: e.ID, Question: e.Question, Answer: e.Answer, Keywords: kw, Score: score})
	}
	q := strings.TrimSpace(c.QueryParam("q"))
	if q == "" {
		for i, e := range bank.All() {
			if limit > 0 && i >= limit {
				break
			}
			add(e, 0)
		}
		return c.JSON(http.StatusOK, out)
	}
	if limit == 0 {
		limit = 10
	}
	for _, h := range bank.Search(q, limit) {
		add(h.Entry, h.Score)
	}
	return c.JSON(http.StatusOK, out)
}
