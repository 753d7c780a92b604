package xlsx_test

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/beian/beian"
	"github.com/beian/beian/xlsx"
)

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func sampleCustomers() []beian.Customer {
	return []beian.Customer{
		{
			ID: "C-1001", Name: "苏州示例科技有限公司",
			Contact:         beian.Contact{Name: "张三", Mobile: "13800138000", Email: "zhangsan@example.cn"},
			AccountManager:  beian.Contact{Name: "李经理", Email: "li@chinanet.cc"},
			ManagerSuperior: beian.Contact{Name: "赵总监", Email: "zhao@chinanet.cc"},
			Products: []beian.Product{
				{ID: "P-1", CustomerID: "C-1001", ServerIPs: addrs("198.51.100.7", "2001:db8:1::7"), ValidUntil: "2027-12-31"},
				{ID: "P-2", CustomerID: "C-1001", ServerIPs: addrs("198.51.100.8"), ValidUntil: "2026-06-30"},
			},
		},
		{ID: "C-1002", Name: "合肥某某网络有限公司", Products: []beian.Product{
			{ID: "P-3", CustomerID: "C-1002", ServerIPs: addrs("203.0.113.9"), ValidUntil: "2028-01-01"},
		}},
	}
}

// TestCustomersRoundTrip: what WriteCustomers writes, ReadCustomers reads
// back unchanged (R-ENT-2).
func TestCustomersRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, xlsx.WriteCustomers(&buf, sampleCustomers()))
	got, err := xlsx.ReadCustomers(&buf)
	require.NoError(t, err)
	require.Equal(t, sampleCustomers(), got)
}

// workbook builds a sheet from rows of cell values.
func workbook(t *testing.T, sheet string, rows ...[]any) *bytes.Buffer {
	t.Helper()
	f := excelize.NewFile()
	if sheet != "Sheet1" {
		require.NoError(t, f.SetSheetName("Sheet1", sheet))
	}
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, err)
		require.NoError(t, f.SetSheetRow(sheet, cell, &r))
	}
	var buf bytes.Buffer
	_, err := f.WriteTo(&buf)
	require.NoError(t, err)
	return &buf
}

func header() []any {
	out := make([]any, len(xlsx.CustomerColumns))
	for i, c := range xlsx.CustomerColumns {
		out[i] = c
	}
	return out
}

// TestReadCustomersForms: columns in any order with spaces in their
// titles, Excel dates and dates as text, IPs split by Chinese punctuation,
// customer columns left blank on later rows, blank rows skipped.
func TestReadCustomersForms(t *testing.T) {
	buf := workbook(t, "客户清单",
		[]any{"产品编号", "服务器 IP", "到期日", "客户编号", "客户名称", "联系人手机", "备注"},
		[]any{"P-1", "198.51.100.7，198.51.100.8、 2001:DB8:1::7", time.Date(2027, 12, 31, 0, 0, 0, 0, time.UTC), "C-1", "甲公司", "+86 138 0013 8000", "随便"},
		[]any{},
		[]any{"P-2", "198.51.100.9", "2026/6/30", "C-1", "", ""},
		[]any{"P-3", "203.0.113.9", "2028年1月2日", 1002, "乙公司"},
	)
	got, err := xlsx.ReadCustomers(buf)
	require.NoError(t, err)
	require.Equal(t, []beian.Customer{
		{ID: "C-1", Name: "甲公司", Contact: beian.Contact{Mobile: "13800138000"}, Products: []beian.Product{
			{ID: "P-1", CustomerID: "C-1", ServerIPs: addrs("198.51.100.7", "198.51.100.8", "2001:db8:1::7"), ValidUntil: "2027-12-31"},
			{ID: "P-2", CustomerID: "C-1", ServerIPs: addrs("198.51.100.9"), ValidUntil: "2026-06-30"},
		}},
		{ID: "1002", Name: "乙公司", Products: []beian.Product{
			{ID: "P-3", CustomerID: "1002", ServerIPs: addrs("203.0.113.9"), ValidUntil: "2028-01-02"},
		}},
	}, got)
}

// TestReadCustomersErrors: every problem at once, each naming the sheet and
// cell in Chinese; nothing is returned.
func TestReadCustomersErrors(t *testing.T) {
	buf := workbook(t, "客户",
		header(),
		//        A        B         C     D              E               F   G   H   I   J      K                  L
		[]any{"C-1", "甲公司", "张三", "12345", "not-an-email", "", "", "", "", "P-1", "198.51.100.7,1.2.3", "2027-12-31"},
		[]any{"C-1", "甲公司改名", "", "", "", "", "", "", "", "P-1", "198.51.100.8", "2027-12-31"},
		[]any{"C-2", "", "", "", "", "", "", "", "", "P-2", "", "明年"},
		[]any{"", "丙公司", "", "", "", "", "", "", "", "P-3", "203.0.113.9", "2027-01-01"},
	)
	_, err := xlsx.ReadCustomers(buf)
	require.Equal(t, beian.CodeViolations, beian.ErrorCode(err))
	var e *beian.Error
	require.ErrorAs(t, err, &e)
	got := map[string]string{}
	for _, v := range e.Violations {
		require.Equal(t, "R-ENT-2", v.Rule)
		require.True(t, strings.HasPrefix(v.Message, "工作表「客户」单元格 "+strings.TrimPrefix(v.Field, "客户!")+"："), v.Message)
		got[v.Field] = v.Code + " " + v.Message
	}
	want := map[string]string{
		"客户!D2": "联系人手机「12345」",
		"客户!E2": "邮箱「not-an-email」",
		"客户!K2": "服务器IP「1.2.3」不是有效的",
		"客户!B3": "与客户 C-1 在第 2 行起填写的「甲公司」不一致",
		"客户!J3": "产品编号 P-1 与第 2 行重复",
		"客户!K4": "服务器IP不能为空",
		"客户!L4": "到期日「明年」不是日期",
		"客户!A5": "客户编号不能为空",
		"客户!B4": "客户 C-2 的客户名称不能为空",
	}
	for field, msg := range want {
		require.Contains(t, got[field], msg, "%s: %v", field, got)
	}
	require.Len(t, got, len(want), "%v", got)
}

func TestReadCustomersMissingColumnsAndEmpty(t *testing.T) {
	_, err := xlsx.ReadCustomers(workbook(t, "Sheet1", []any{"客户编号", "客户名称", "产品编号"}))
	var e *beian.Error
	require.ErrorAs(t, err, &e)
	require.Len(t, e.Violations, 2)
	require.Equal(t, "MISSING_COLUMN", e.Violations[0].Code)
	require.Equal(t, "工作表「Sheet1」第 1 行（标题行）缺少列「服务器IP」", e.Violations[0].Message)

	_, err = xlsx.ReadCustomers(workbook(t, "Sheet1", header()))
	require.ErrorAs(t, err, &e)
	require.Equal(t, "EMPTY", e.Violations[0].Code)
	_, err = xlsx.ReadCustomers(workbook(t, "Sheet1"))
	require.ErrorAs(t, err, &e)
	require.Equal(t, "EMPTY", e.Violations[0].Code)
}

// TestReadCustomersNotAWorkbook: the same answers as the other importers:
// empty, a CSV, a legacy .xls are 415 with what to do; a damaged file 400.
func TestReadCustomersNotAWorkbook(t *testing.T) {
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...)
	for _, tc := range []struct {
		in   []byte
		code string
		says string
	}{
		{nil, beian.CodeUnsupportedType, "空"},
		{[]byte("客户编号,客户名称\nC-1,甲\n"), beian.CodeUnsupportedType, ".xlsx"},
		{ole, beian.CodeUnsupportedType, ".xls"},
		{[]byte("PK\x03\x04 broken zip"), beian.CodeInvalid, "损坏"},
	} {
		_, err := xlsx.ReadCustomers(bytes.NewReader(tc.in))
		require.Equal(t, tc.code, beian.ErrorCode(err), "%q: %v", tc.in[:min(len(tc.in), 8)], err)
		require.Contains(t, beian.ErrorMessage(err), tc.says)
	}
}

// FuzzReadCustomers: any upload is read without a panic, and every error is
// a domain error with a code and a Chinese message.
func FuzzReadCustomers(f *testing.F) {
	var good bytes.Buffer
	if err := xlsx.WriteCustomers(&good, sampleCustomers()); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := xlsx.ReadCustomers(bytes.NewReader(b))
		if err != nil {
			var e *beian.Error
			require.ErrorAs(t, err, &e)
			require.Regexp(t, `\p{Han}`, e.Message)
			return
		}
		for _, c := range cs {
			require.NotEmpty(t, c.ID)
			require.NotEmpty(t, c.Name)
			for _, p := range c.Products {
				require.NotEmpty(t, p.ServerIPs)
				require.Len(t, p.ValidUntil, 10)
			}
		}
	})
}
