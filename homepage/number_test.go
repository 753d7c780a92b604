package homepage

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// TestParseNumber: the forms of a filing number staff record (R-PA-5).
func TestParseNumber(t *testing.T) {
	t.Parallel()
	for in, key := range map[string]string{
		"苏ICP备12345678号-1":       "苏ICP备12345678",
		"苏ICP备12345678号":         "苏ICP备12345678",
		"苏ＩＣＰ备１２３４５６７８号－１":       "苏ICP备12345678",
		" 皖 icp 备 2024001234 号 ": "皖ICP备2024001234",
		"京ICP备05012345号-12":      "京ICP备05012345",
		// R-PA-6: the public-security number is looked for the same way.
		"苏公网安备32050502000001号":  "苏公网安备32050502000001",
		"苏公网安备 ３２０５０５０２０００００１号": "苏公网安备32050502000001",
	} {
		n, err := parseNumber(in)
		require.NoError(t, err, in)
		require.Equal(t, key, n.key, in)
	}
	for _, in := range []string{"", "12345678", "ICP备12345678号", "苏ICP备号", "AICP备123号", "苏ICP证12345678号", "公网安备32050502000001号", "苏公网安备号"} {
		_, err := parseNumber(in)
		require.Error(t, err, in)
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	n, err := parseNumber("苏ICP备12345678号-1")
	require.NoError(t, err)
	for text, want := range map[string]bool{
		"苏ICP备12345678号":                 true,
		"苏ICP备12345678号-1":               true,
		"苏ICP备12345678号-2":               true, // another site of the same filing
		"苏ICP备12345678":                  true,
		"x苏ICP备123456789号苏ICP备12345678号": true, // the second one
		"苏ICP备123456789号":                false,
		"苏ICP备1234567号":                  false,
		"浙ICP备12345678号":                 false,
	} {
		require.Equal(t, want, n.find(normalize(text)) >= 0, text)
	}
}

func TestSnippet(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("前", 300) + "苏ICP备12345678" + strings.Repeat("后", 300)
	i := strings.Index(long, "苏ICP备")
	s := snippet(long, i, len("苏ICP备12345678"), 200)
	require.Equal(t, 200, utf8.RuneCountInString(s))
	require.Contains(t, s, "苏ICP备12345678")
	require.Equal(t, "苏ICP备12", snippet("苏ICP备12345678", 0, len("苏ICP备12345678"), 7))
	require.Equal(t, "a苏ICP备1b", snippet("a苏ICP备1b", 1, len("苏ICP备1"), 200))
}

// FuzzFindNumber: any page text and filing number: no panic, and a match
// gives a snippet of at most 200 characters holding the number.
func FuzzFindNumber(f *testing.F) {
	f.Add("<p>苏ICP备12345678号</p>", "苏ICP备12345678号-1")
	f.Add("苏ＩＣＰ备１２３４５６７８号", "苏ICP备12345678号")
	f.Add("<b>苏icp备</b>1234", "苏ICP备1234号")
	f.Add("\xff\xfe苏ICP备1", "苏ICP备1")
	f.Fuzz(func(t *testing.T, page, filing string) {
		n, err := parseNumber(filing)
		if err != nil {
			return
		}
		again, err := parseNumber(n.key)
		require.NoError(t, err)
		require.Equal(t, n.key, again.key)
		s := findNumber(page, n)
		if s == "" {
			return
		}
		require.LessOrEqual(t, utf8.RuneCountInString(s), SnippetRunes)
		if utf8.RuneCountInString(n.key) <= SnippetRunes {
			require.Contains(t, upperASCII(s), n.key)
		}
	})
}
