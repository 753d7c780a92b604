package api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// attachment starts a spreadsheet download named name (RFC 6266, UTF-8).
func attachment(c echo.Context, name string) *echo.Response {
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, xlsxType)
	w.Header().Set(echo.HeaderContentDisposition, contentDisposition(name))
	return w
}

// trackingSheet is the tracking worksheet (R-BR-5), filtered by province,
// status and the days the cases were opened (from, to).
func (s *Server) trackingSheet(c echo.Context) error {
	f := desk.TrackingFilter{Province: c.QueryParam("province"), Status: c.QueryParam("status"), From: c.QueryParam("from"), To: c.QueryParam("to")}
	var buf bytes.Buffer // an error before the first byte is still an error answer
	if err := s.desk.ExportTracking(c.Request().Context(), s.actor(c), f, &buf); err != nil {
		return err
	}
	_, err := io.Copy(attachment(c, "备案跟踪表-"+time.Now().In(shanghai).Format("20060102")+".xlsx"), &buf)
	return err
}

// provinceTable is 《网站备案资料登记表-<省份>》 (R-RV-3), masked; with
// ?reveal=true in clear, for supervisors and admins (403 for others),
// audited either way (issue 12 §4).
func (s *Server) provinceTable(c echo.Context) error {
	var buf bytes.Buffer
	if err := s.desk.ExportProvinceTable(c.Request().Context(), s.actor(c), c.QueryParam("province"), wantsReveal(c), &buf); err != nil {
		return err
	}
	_, err := io.Copy(attachment(c, "网站备案资料登记表-"+c.QueryParam("province")+".xlsx"), &buf)
	return err
}

// securityTemplate is the blank security sheet (R-PA-2).
func (s *Server) securityTemplate(c echo.Context) error {
	var buf bytes.Buffer
	if err := s.desk.SecurityTemplate(&buf); err != nil {
		return err
	}
	_, err := io.Copy(attachment(c, "备案和信息安全规范表.xlsx"), &buf)
	return err
}

type securityImportJSON struct {
	ID          string               `json:"id"`
	Filename    string               `json:"filename"`
	UploadedBy  string               `json:"uploaded_by"`
	UploadedAt  time.Time            `json:"uploaded_at"`
	ConfirmedBy string               `json:"confirmed_by,omitempty"`
	ConfirmedAt *time.Time           `json:"confirmed_at"`
	Summary     map[string]int       `json:"summary"`
	Items       []beian.SecurityItem `json:"items"`
}

func securityImportToJSON(imp *beian.SecurityImport) securityImportJSON {
	items := imp.Items
	if items == nil {
		items = []beian.SecurityItem{}
	}
	return securityImportJSON{ID: imp.ID, Filename: imp.Filename, UploadedBy: imp.UploadedBy, UploadedAt: imp.UploadedAt.In(shanghai),
		ConfirmedBy: imp.ConfirmedBy, ConfirmedAt: inShanghai(imp.ConfirmedAt), Summary: desk.SecuritySummary(imp), Items: items}
}

// importSecuritySheet reads an uploaded security sheet and answers what it
// will cancel (R-PA-2); nothing is cancelled until it is confirmed.
func (s *Server) importSecuritySheet(c echo.Context) error {
	data, name, err := uploadedBytes(c)
	if err != nil {
		return err
	}
	imp, err := s.desk.PreviewSecuritySheet(c.Request().Context(), s.actor(c), name, data)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, securityImportToJSON(imp))
}

// confirmSecuritySheet carries out a previewed sheet's cuts, once.
func (s *Server) confirmSecuritySheet(c echo.Context) error {
	imp, err := s.desk.ConfirmSecuritySheet(c.Request().Context(), s.actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, securityImportToJSON(imp))
}

// weeklyReport is the weekly management report as JSON (the console's charts).
func (s *Server) weeklyReport(c echo.Context) error {
	r, err := s.desk.Weekly(c.Request().Context(), s.actor(c), c.QueryParam("week"))
	if err != nil {
		return err
	}
	counts := func(cs []desk.Count) []map[string]any {
		out := []map[string]any{}
		for _, x := range cs {
			out = append(out, map[string]any{"key": x.Key, "label": x.Label, "n": x.N})
		}
		return out
	}
	turn := []map[string]any{}
	for _, t := range r.Turnaround {
		turn = append(turn, map[string]any{"province": t.Province, "decisions": t.Decisions, "median": t.Median, "worst": t.Worst})
	}
	access := []map[string]any{}
	for _, a := range r.Access {
		access = append(access, map[string]any{"kind": a.Kind, "title": a.Title, "requested": a.Requested, "confirmed": a.Confirmed,
			"median_hours": a.MedianHours, "worst_hours": a.WorstHours})
	}
	return c.JSON(http.StatusOK, map[string]any{
		"week": r.Week, "from": r.From, "to": r.To,
		"opened": r.Opened, "submitted": r.Submitted, "approved": r.Approved, "returned": r.Returned, "purged": r.Purged,
		"overdue_alerts": r.OverdueAlerts, "overdue_now": r.OverdueNow,
		"return_reasons": counts(r.ReturnReasons), "turnaround": turn, "calls": counts(r.Calls), "calls_total": r.CallsTotal,
		"access": access,
	})
}

// weeklySheet is the weekly management report as .xlsx.
func (s *Server) weeklySheet(c echo.Context) error {
	var buf bytes.Buffer
	if err := s.desk.ExportWeekly(c.Request().Context(), s.actor(c), c.QueryParam("week"), &buf); err != nil {
		return err
	}
	week := c.QueryParam("week")
	if week == "" {
		week = "本周"
	}
	_, err := io.Copy(attachment(c, "备案管理周报-"+week+".xlsx"), &buf)
	return err
}

// registrationTemplate is the blank 《网站备案资料登记表-用户》 for
// ?kind=person (default) or organisation (R-IN-2).
func (s *Server) registrationTemplate(c echo.Context) error {
	var buf bytes.Buffer
	if err := s.desk.RegistrationFormTemplate(c.QueryParam("kind"), &buf); err != nil {
		return err
	}
	name := "网站备案资料登记表-用户（个人）.xlsx"
	if c.QueryParam("kind") == string(beian.SponsorOrganisation) {
		name = "网站备案资料登记表-用户（单位）.xlsx"
	}
	_, err := io.Copy(attachment(c, name), &buf)
	return err
}

type formProblemJSON struct {
	Rule    string `json:"rule"`
	Code    string `json:"code"`
	Field   string `json:"field"`
	Cell    string `json:"cell"`
	Message string `json:"message"`
}

// importRegistrationForm reads a filled form into a filing body and checks
// it with the intake rules; every problem names its cell. With
// ?create=true a form without problems opens the case (201).
func (s *Server) importRegistrationForm(c echo.Context) error {
	data, _, err := uploadedBytes(c)
	if err != nil {
		return err
	}
	create := c.QueryParam("create") == "true"
	imp, err := s.desk.ImportRegistrationForm(c.Request().Context(), s.actor(c), data, c.FormValue("filing_password"), create)
	if err != nil {
		return err
	}
	problems := []formProblemJSON{}
	for _, p := range imp.Problems {
		problems = append(problems, formProblemJSON{Rule: p.Rule, Code: p.Code, Field: p.Field, Cell: p.Cell, Message: p.Message})
	}
	out := map[string]any{"ok": len(problems) == 0, "problems": problems}
	if imp.Case != nil {
		out["filing"] = caseToJSON(imp.Case, false, "") // masked, as a case is shown
	}
	if imp.Created != nil {
		out["created"] = caseToJSON(imp.Created, false, "")
		if imp.Warning != "" {
			out["warning"] = imp.Warning
		}
		return c.JSON(http.StatusCreated, out)
	}
	if len(problems) > 0 {
		return c.JSON(http.StatusUnprocessableEntity, out)
	}
	return c.JSON(http.StatusOK, out)
}

// uploadedBytes is the uploaded file (the multipart field "file", as
// uploadedFile checks it) and its name.
func uploadedBytes(c echo.Context) ([]byte, string, error) {
	f, err := uploadedFile(c)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, "", err
	}
	name := ""
	if fh, err := c.FormFile("file"); err == nil {
		name = fh.Filename
	}
	return data, name, nil
}

// contentDisposition names a download in UTF-8 (RFC 6266), with an ASCII
// fallback for clients that read only filename.
func contentDisposition(name string) string {
	return fmt.Sprintf(`attachment; filename="download%s"; filename*=UTF-8''%s`, path.Ext(name), url.PathEscape(name))
}
