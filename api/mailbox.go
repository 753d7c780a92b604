package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
)

type attachmentJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Rejected  string `json:"rejected,omitempty"`
	Checklist string `json:"checklist_code,omitempty"`
}

type inboundJSON struct {
	ID          string           `json:"id"`
	Mailbox     string           `json:"mailbox"`
	From        string           `json:"from"`
	FromName    string           `json:"from_name,omitempty"`
	Subject     string           `json:"subject"`
	ReceivedAt  time.Time        `json:"received_at"`
	FilingID    *string          `json:"filing_id"`
	CaseNo      string           `json:"case_no,omitempty"`
	MatchedBy   string           `json:"matched_by,omitempty"`
	Status      string           `json:"status"`
	Text        string           `json:"text"`
	Attachments []attachmentJSON `json:"attachments"`
	ReplyDueAt  *time.Time       `json:"reply_due_at"`
	RepliedAt   *time.Time       `json:"replied_at"`
	RepliedBy   string           `json:"replied_by,omitempty"`
	AutoReply   bool             `json:"auto_submitted,omitempty"`
}

func inboundToJSON(m beian.InboundMail) inboundJSON {
	j := inboundJSON{ID: m.ID, Mailbox: m.Account, From: m.From, FromName: m.FromName, Subject: m.Subject, ReceivedAt: m.ReceivedAt.In(shanghai),
		CaseNo: m.CaseNo, MatchedBy: m.MatchedBy, Status: m.Status, Text: m.Text, Attachments: []attachmentJSON{},
		ReplyDueAt: inShanghai(m.ReplyDueAt), RepliedAt: inShanghai(m.RepliedAt), RepliedBy: m.RepliedBy, AutoReply: m.AutoSubmitted}
	if m.CaseID != "" {
		id := m.CaseID
		j.FilingID = &id
	}
	for _, a := range m.Attachments {
		j.Attachments = append(j.Attachments, attachmentJSON{ID: a.ID, Name: a.Name, Type: a.SniffedType, Size: a.Size, SHA256: a.SHA256,
			Rejected: a.Rejected, Checklist: a.ChecklistCode})
	}
	return j
}

// listMail is the mail read from the specialist mailboxes (R-IN-3).
func (s *Server) listMail(c echo.Context) error {
	ms, err := s.desk.Mail(c.Request().Context(), s.actor(c), c.QueryParam("status"), c.QueryParam("filing_id"))
	if err != nil {
		return err
	}
	items := []inboundJSON{}
	for _, m := range ms {
		items = append(items, inboundToJSON(m))
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// matchMail puts an unmatched mail on a case.
func (s *Server) matchMail(c echo.Context) error {
	var b struct {
		FilingID string `json:"filing_id"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.FilingID == "" {
		return beian.Errorf(beian.CodeInvalid, "filing_id 不能为空")
	}
	m, err := s.desk.MatchMailByHand(c.Request().Context(), s.actor(c), c.Param("id"), b.FilingID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, inboundToJSON(*m))
}

// filingAttachment downloads one file a filer mailed (staff; audited).
func (s *Server) filingAttachment(c echo.Context) error {
	a, err := s.desk.MailAttachment(c.Request().Context(), s.actor(c), c.Param("id"), c.Param("attachment_id"))
	if err != nil {
		return err
	}
	ct := a.SniffedType
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, contentDisposition(a.Name))
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, ct, a.Data)
}

// replyMail answers a filer's mail (R-RV-6), through the outbox.
func (s *Server) replyMail(c echo.Context) error {
	var b struct {
		Body string `json:"body"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	m, err := s.desk.ReplyMail(c.Request().Context(), s.actor(c), c.Param("id"), b.Body, idemKey(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, inboundToJSON(*m))
}

// tickAttachment says which checklist item a mailed file is (R-IN-3).
func (s *Server) tickAttachment(c echo.Context) error {
	var b struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	a, err := s.desk.TickAttachment(c.Request().Context(), s.actor(c), c.Param("id"), c.Param("attachment_id"), b.Code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, attachmentJSON{ID: a.ID, Name: a.Name, Type: a.SniffedType, Size: a.Size, SHA256: a.SHA256,
		Rejected: a.Rejected, Checklist: a.ChecklistCode})
}
