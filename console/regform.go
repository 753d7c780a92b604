package console

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/xlsx"
)

// formCell is one cell of the picture of the uploaded form: a label or an
// input with what was typed there and its problems.
type formCell struct {
	Label    bool
	Text     string
	Span     int // columns an input spans (B:D)
	Problems []string
}

// formRow is one row of the picture.
type formRow struct {
	N     int
	Cells []formCell
}

// formImportView is the form-import page: the upload form and, after an
// upload, the form's cells with each problem on its cell (R-IN-2 item 1).
type formImportView struct {
	Uploaded bool
	Filename string
	Rows     []formRow
	Other    []string // problems not on a cell
	OK       bool
	Data     string // the upload, base64, for 建立申请
	Error    string
}

func (c *Console) formImportPage(w http.ResponseWriter, r *request) {
	c.render(w, r, "formimport", "导入登记表", formImportView{})
}

func (c *Console) formImport(w http.ResponseWriter, r *request) {
	v := formImportView{}
	fail := func(status int, err error) {
		v.Error = beian.ErrorMessage(err)
		c.renderStatus(w, r.Request, r, status, "formimport", "导入登记表", v)
	}
	var data []byte
	if enc := r.PostFormValue("data"); enc != "" {
		var err error
		if data, err = base64.StdEncoding.DecodeString(enc); err != nil {
			fail(http.StatusBadRequest, beian.Errorf(beian.CodeInvalid, "上传内容已损坏，请重新上传"))
			return
		}
		v.Filename = r.PostFormValue("filename")
	} else {
		file, fh, err := r.FormFile("file")
		if err != nil {
			fail(http.StatusBadRequest, beian.Errorf(beian.CodeInvalid, "请选择填好的登记表（.xlsx）"))
			return
		}
		defer file.Close()
		if fh.Size > maxUpload {
			fail(http.StatusRequestEntityTooLarge, beian.Errorf(beian.CodeTooLarge, "上传的文件超过 10 MiB"))
			return
		}
		if data, err = io.ReadAll(file); err != nil {
			fail(http.StatusBadRequest, err)
			return
		}
		v.Filename = fh.Filename
	}
	create := r.PostFormValue("create") == "1"
	imp, err := c.svc.ImportRegistrationForm(r.Context(), r.who, data, r.PostFormValue("filing_password"), create)
	if err != nil {
		status := statusOf(beian.ErrorCode(err))
		if beian.ErrorCode(err) == beian.CodeUnsupportedType {
			status = http.StatusUnsupportedMediaType
		}
		fail(status, err)
		return
	}
	if imp.Created != nil {
		msg := "已由登记表建立申请 " + imp.Created.CaseNo
		if imp.Warning != "" {
			msg += "（" + imp.Warning + "）"
		}
		redirect(w, r, Base+"/filings/"+imp.Created.ID, msg)
		return
	}
	v.Uploaded, v.OK, v.Data = true, len(imp.Problems) == 0, base64.StdEncoding.EncodeToString(data)
	v.Rows, v.Other = formPicture(data, imp)
	status := http.StatusOK
	if !v.OK {
		status = http.StatusUnprocessableEntity
	}
	c.renderStatus(w, r.Request, r, status, "formimport", "导入登记表", v)
}

// formPicture lays the form's cells out as the sheet has them, with the
// values read from the upload and each problem on its cell.
func formPicture(data []byte, imp *desk.FormImport) ([]formRow, []string) {
	kind := imp.Kind
	if kind == "" {
		kind = beian.SponsorPerson
	}
	values := map[string]string{}
	if f, err := excelize.OpenReader(bytes.NewReader(data)); err == nil {
		for _, fld := range xlsx.RegistrationFieldsFor(kind) {
			values[fld.Cell], _ = f.GetCellValue(xlsx.RegistrationSheet, fld.Cell)
		}
		f.Close()
	}
	byCell := map[string][]string{}
	var other []string
	for _, p := range imp.Problems {
		at := strings.TrimPrefix(p.Cell, xlsx.RegistrationSheet+"!")
		msg := p.Message
		if p.Rule != "" {
			msg += "（" + p.Rule + "）"
		}
		if at == "" {
			other = append(other, msg)
			continue
		}
		byCell[at] = append(byCell[at], msg)
	}
	rows := map[int]*formRow{}
	var order []int
	for _, fld := range xlsx.RegistrationFieldsFor(kind) {
		col, n, err := excelize.CellNameToCoordinates(fld.Cell)
		if err != nil {
			continue
		}
		row := rows[n]
		if row == nil {
			row = &formRow{N: n}
			rows[n] = row
			order = append(order, n)
		}
		span := 1
		if col == 2 && !hasFieldAt(kind, fmt.Sprintf("D%d", n)) {
			span = 3
		}
		row.Cells = append(row.Cells, formCell{Label: true, Text: strings.TrimSuffix(fld.Label, " *")},
			formCell{Text: values[fld.Cell], Span: span, Problems: byCell[fld.Cell]})
		delete(byCell, fld.Cell)
	}
	for cell, msgs := range byCell { // problems on cells that are no input (e.g. a moved label)
		for _, m := range msgs {
			other = append(other, cell+"："+m)
		}
	}
	out := make([]formRow, 0, len(order))
	for _, n := range order {
		out = append(out, *rows[n])
	}
	return out, other
}

func hasFieldAt(kind beian.SponsorKind, cell string) bool {
	for _, f := range xlsx.RegistrationFieldsFor(kind) {
		if f.Cell == cell {
			return true
		}
	}
	return false
}
