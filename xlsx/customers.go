// Package xlsx converts Excel workbooks (.xlsx) to and from the domain with
// excelize: the spreadsheets staff exchange with the billing system and the
// bureau. It imports no Echo; the API hands it the uploaded file.
package xlsx

import (
	"bytes"
	"fmt"
	"io"
	"net/mail"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
)

// Columns of the customer import (客户导入), one row per access product; the
// customer's columns repeat on each of its rows (or are left blank after the
// first). Columns are found by their title in the first row, in any order.
const (
	ColCustomerID       = "客户编号"
	ColCustomerName     = "客户名称"
	ColContactName      = "联系人"
	ColContactMobile    = "联系人手机"
	ColContactEmail     = "联系人邮箱"
	ColManagerName      = "客户经理"
	ColManagerEmail     = "客户经理邮箱"
	ColSuperiorName     = "经理上级"
	ColSuperiorEmail    = "上级邮箱"
	ColProductID        = "产品编号"
	ColServerIPs        = "服务器IP" // comma-separated
	ColProductValidThru = "到期日"
)

// CustomerColumns are the column titles of the customer import, in the
// order WriteCustomers writes them.
var CustomerColumns = []string{
	ColCustomerID, ColCustomerName, ColContactName, ColContactMobile, ColContactEmail,
	ColManagerName, ColManagerEmail, ColSuperiorName, ColSuperiorEmail,
	ColProductID, ColServerIPs, ColProductValidThru,
}

// requiredColumns must be in every customer import.
var requiredColumns = []string{ColCustomerID, ColCustomerName, ColProductID, ColServerIPs, ColProductValidThru}

// Violation codes of a spreadsheet import.
const (
	CodeMissingColumn = "MISSING_COLUMN" // a required column title is not in the header row
	CodeInvalidCell   = "INVALID_CELL"   // a cell's value is missing or malformed
	CodeInconsistent  = "INCONSISTENT"   // rows of one customer disagree
	CodeDuplicate     = "DUPLICATE"      // a product given twice
	CodeEmpty         = "EMPTY"          // no data rows
)

// maxUnzipped bounds what a workbook may unpack to, against zip bombs.
const maxUnzipped = 128 << 20

// ReadCustomers reads the customer import from the first sheet of an .xlsx
// workbook (R-ENT-2: the billing system's customers and access products).
// Every problem is reported at once: the error is a *beian.Error with code
// RULE_VIOLATIONS whose violations name the sheet and cell (Field
// "客户!K3") and say what is wrong in Chinese. A file that is not an .xlsx
// workbook is UNSUPPORTED_TYPE.
func ReadCustomers(r io.Reader) ([]beian.Customer, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read customer sheet: %w", err)
	}
	// The same answers as the other importers for a legacy .xls, a CSV, a
	// damaged file or a zip bomb.
	if _, err := checkWorkbook(data); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzipped})
	if err != nil {
		return nil, beian.Errorf(beian.CodeUnsupportedType, "文件不是 Excel 工作簿（.xlsx）：请在 Excel 或 WPS 中另存为 .xlsx 后再上传")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, beian.Errorf(beian.CodeUnsupportedType, "工作簿中没有工作表")
	}
	sheet := sheets[0]
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, beian.Errorf(beian.CodeUnsupportedType, "无法读取工作表「%s」：文件可能已损坏", sheet)
	}
	rd := &customerReader{sheet: sheet}
	return rd.read(rows)
}

type customerReader struct {
	sheet string
	vs    []beian.Violation
}

// cell is the name of the cell at 0-based column col of 1-based row.
func cell(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col+1, row)
	if err != nil {
		return fmt.Sprintf("R%dC%d", row, col+1)
	}
	return name
}

func (rd *customerReader) add(code, cellName, format string, args ...any) {
	rd.vs = append(rd.vs, beian.Violation{
		Rule: "R-ENT-2", Code: code, Field: rd.sheet + "!" + cellName,
		Message: fmt.Sprintf("工作表「%s」单元格 %s：", rd.sheet, cellName) + fmt.Sprintf(format, args...),
	})
}

// normaliseTitle makes header titles comparable: no spaces of any width.
func normaliseTitle(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u3000' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

func (rd *customerReader) read(rows [][]string) ([]beian.Customer, error) {
	if len(rows) == 0 {
		rd.add(CodeEmpty, "A1", "工作表是空的：第 1 行应为标题行（%s）", strings.Join(CustomerColumns, "、"))
		return nil, rd.err()
	}
	col := map[string]int{}
	for i, title := range rows[0] {
		t := normaliseTitle(title)
		if _, dup := col[t]; t != "" && !dup {
			col[t] = i
		}
	}
	for _, want := range requiredColumns {
		if _, ok := col[want]; !ok {
			rd.vs = append(rd.vs, beian.Violation{
				Rule: "R-ENT-2", Code: CodeMissingColumn, Field: rd.sheet + "!1:1",
				Message: fmt.Sprintf("工作表「%s」第 1 行（标题行）缺少列「%s」", rd.sheet, want),
			})
		}
	}
	if len(rd.vs) > 0 {
		return nil, rd.err()
	}

	var (
		order     []string
		customers = map[string]*beian.Customer{}
		firstRow  = map[string]int{} // customer ID → its first row
		products  = map[string]int{} // product ID → row
	)
	for i := 1; i < len(rows); i++ {
		row, n := rows[i], i+1
		get := func(title string) (string, string) {
			c, ok := col[title]
			if !ok {
				return "", ""
			}
			if c < len(row) {
				return strings.TrimSpace(row[c]), cell(c, n)
			}
			return "", cell(c, n)
		}
		if blank(row) {
			continue
		}
		id, idCell := get(ColCustomerID)
		if id == "" {
			rd.add(CodeInvalidCell, idCell, "客户编号不能为空")
			continue
		}
		cu := customers[id]
		if cu == nil {
			cu = &beian.Customer{ID: id}
			customers[id], firstRow[id] = cu, n
			order = append(order, id)
		}
		// The customer's own columns: set on its first row that has them;
		// later rows leave them blank or repeat them.
		setText := func(title, what string, dst *string, check func(string, string) (string, bool)) {
			v, at := get(title)
			if v == "" {
				return
			}
			if check != nil {
				var ok bool
				if v, ok = check(v, at); !ok {
					return
				}
			}
			switch {
			case *dst == "":
				*dst = v
			case *dst != v:
				rd.add(CodeInconsistent, at, "%s「%s」与客户 %s 在第 %d 行起填写的「%s」不一致", what, v, id, firstRow[id], *dst)
			}
		}
		setText(ColCustomerName, "客户名称", &cu.Name, nil)
		setText(ColContactName, "联系人", &cu.Contact.Name, nil)
		setText(ColContactMobile, "联系人手机", &cu.Contact.Mobile, rd.mobile)
		setText(ColContactEmail, "联系人邮箱", &cu.Contact.Email, rd.email)
		setText(ColManagerName, "客户经理", &cu.AccountManager.Name, nil)
		setText(ColManagerEmail, "客户经理邮箱", &cu.AccountManager.Email, rd.email)
		setText(ColSuperiorName, "经理上级", &cu.ManagerSuperior.Name, nil)
		setText(ColSuperiorEmail, "上级邮箱", &cu.ManagerSuperior.Email, rd.email)

		pid, pidCell := get(ColProductID)
		if pid == "" {
			rd.add(CodeInvalidCell, pidCell, "产品编号不能为空（每行填写一个接入产品）")
			continue
		}
		if prev, dup := products[pid]; dup {
			rd.add(CodeDuplicate, pidCell, "产品编号 %s 与第 %d 行重复（每个产品只填一行）", pid, prev)
			continue
		}
		products[pid] = n
		p := beian.Product{ID: pid, CustomerID: id}
		rawIPs, ipCell := get(ColServerIPs)
		p.ServerIPs = rd.ips(rawIPs, ipCell)
		due, dueCell := get(ColProductValidThru)
		p.ValidUntil = rd.date(due, dueCell)
		cu.Products = append(cu.Products, p)
	}
	for _, id := range order {
		if customers[id].Name == "" {
			c, _ := col[ColCustomerName]
			rd.add(CodeInvalidCell, cell(c, firstRow[id]), "客户 %s 的客户名称不能为空", id)
		}
	}
	if len(order) == 0 && len(rd.vs) == 0 {
		rd.add(CodeEmpty, "A2", "没有数据行：从第 2 行起每行填写一个接入产品")
	}
	if len(rd.vs) > 0 {
		return nil, rd.err()
	}
	out := make([]beian.Customer, 0, len(order))
	for _, id := range order {
		out = append(out, *customers[id])
	}
	return out, nil
}

func (rd *customerReader) err() error {
	return &beian.Error{
		Code:       beian.CodeViolations,
		Message:    fmt.Sprintf("客户表有 %d 处错误，未导入任何数据", len(rd.vs)),
		Violations: rd.vs,
	}
}

func blank(row []string) bool {
	for _, v := range row {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func (rd *customerReader) mobile(v, at string) (string, bool) {
	m, err := intake.ValidateMobile(v)
	if err != nil {
		rd.add(CodeInvalidCell, at, "联系人手机「%s」不是有效的手机号码", v)
		return "", false
	}
	return m, true
}

func (rd *customerReader) email(v, at string) (string, bool) {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v {
		rd.add(CodeInvalidCell, at, "邮箱「%s」格式不正确", v)
		return "", false
	}
	return v, true
}

// ipSeparators split the server IPs of one cell.
var ipSeparators = strings.NewReplacer("，", ",", "、", ",", ";", ",", "；", ",", "\n", ",", " ", ",", "\t", ",")

// ips parses the comma-separated server IPs of a cell.
func (rd *customerReader) ips(raw, at string) []netip.Addr {
	if raw == "" {
		rd.add(CodeInvalidCell, at, "服务器IP不能为空（多个 IP 以逗号分隔）")
		return nil
	}
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	for _, part := range strings.Split(ipSeparators.Replace(raw), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil || a.Zone() != "" {
			rd.add(CodeInvalidCell, at, "服务器IP「%s」不是有效的 IPv4 或 IPv6 地址", part)
			continue
		}
		a = a.Unmap()
		if seen[a] {
			rd.add(CodeDuplicate, at, "服务器IP %s 重复", a)
			continue
		}
		seen[a] = true
		out = append(out, a)
	}
	return out
}

// dateLayouts are the ways a date is typed as text.
var dateLayouts = []string{"2006-01-02", "2006-1-2", "2006/01/02", "2006/1/2", "2006.1.2", "2006年1月2日", "20060102"}

// date reads 到期日: an Excel date (a serial number) or a date typed as text.
func (rd *customerReader) date(raw, at string) string {
	if raw == "" {
		rd.add(CodeInvalidCell, at, "到期日不能为空")
		return ""
	}
	// 2958466 is 10000-01-01: larger numbers are no Excel date (20271231 is text).
	if serial, err := strconv.ParseFloat(raw, 64); err == nil && serial >= 1 && serial < 2958466 {
		if t, err := excelize.ExcelDateToTime(serial, false); err == nil {
			return t.Format("2006-01-02")
		}
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, raw); err == nil {
			return t.Format("2006-01-02")
		}
	}
	rd.add(CodeInvalidCell, at, "到期日「%s」不是日期，应如 2027-12-31", raw)
	return ""
}

// WriteCustomers writes customers in the layout ReadCustomers reads: a title
// row, then one row per product with the customer's columns repeated. A
// customer without products gets one row with the product columns blank
// (ReadCustomers refuses such a row: an import is of products).
func WriteCustomers(w io.Writer, cs []beian.Customer) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "客户"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("name sheet: %w", err)
	}
	put := func(row int, values []any) error {
		return f.SetSheetRow(sheet, cell(0, row), &values)
	}
	titles := make([]any, len(CustomerColumns))
	for i, t := range CustomerColumns {
		titles[i] = t
	}
	if err := put(1, titles); err != nil {
		return err
	}
	row := 2
	for _, c := range cs {
		ps := c.Products
		if len(ps) == 0 {
			ps = []beian.Product{{}}
		}
		for _, p := range ps {
			ips := make([]string, len(p.ServerIPs))
			for i, a := range p.ServerIPs {
				ips[i] = a.String()
			}
			if err := put(row, []any{
				c.ID, c.Name, c.Contact.Name, c.Contact.Mobile, c.Contact.Email,
				c.AccountManager.Name, c.AccountManager.Email, c.ManagerSuperior.Name, c.ManagerSuperior.Email,
				p.ID, strings.Join(ips, ","), p.ValidUntil,
			}); err != nil {
				return err
			}
			row++
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}
