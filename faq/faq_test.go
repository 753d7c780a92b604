package faq

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// p4Entries is how many questions part P4 of the manual has.
const p4Entries = 46

func loadBank(t testing.TB) *Bank {
	t.Helper()
	b, err := Load()
	require.NoError(t, err)
	return b
}

func TestLoad(t *testing.T) {
	t.Parallel()
	b := loadBank(t)

	all := b.All()
	require.Len(t, all, p4Entries)
	for i, e := range all {
		require.Equal(t, i+1, e.ID)
		require.NotEmpty(t, e.Question)
		require.NotEmpty(t, e.Answer)
		require.NotEmpty(t, e.Keywords, "entry %d has no keywords", e.ID)
	}

	e, ok := b.Get(13)
	require.True(t, ok)
	require.Equal(t, "网站备案密码忘记了怎么办？", e.Question)

	_, ok = b.Get(0)
	require.False(t, ok)
	_, ok = b.Get(p4Entries + 1)
	require.False(t, ok)
}

func TestCallersCannotChangeTheBank(t *testing.T) {
	t.Parallel()
	b := loadBank(t)

	all := b.All()
	all[0].Answer = "changed"
	all[0].Keywords[0] = "changed"
	e, _ := b.Get(1)
	e.Keywords[0] = "changed"
	hits := b.Search("为什么要核验", 1)
	require.NotEmpty(t, hits)
	hits[0].Keywords[0] = "changed"

	got, ok := b.Get(1)
	require.True(t, ok)
	require.Equal(t, "网站接入是属于国家行政许可的范围，真实的信息是法律的要求。", got.Answer)
	require.NotEqual(t, "changed", got.Keywords[0])
}

// TestSearchTopHit holds queries as staff type them, each with the entry a
// specialist would quote.
func TestSearchTopHit(t *testing.T) {
	t.Parallel()
	b := loadBank(t)

	tests := []struct {
		query string
		want  int
	}{
		{"密码忘了", 13}, // 网站备案密码忘记了怎么办？
		{"备案密码忘记了", 13},
		{"找回备案密码", 13},
		{"忘记密码", 13},
		{"找回密码", 13},
		{"备案密码丢失", 13},
		{"备案系统用户名丢了", 46}, // the Anhui filing system account, not the filing password
		{"备案要多长时间", 6},    // 网站备案需要多久？
		{"备案几天能下来", 6},
		{"没有域名只有IP能备案吗", 34},
		{"ｉｐ地址备案", 34}, // full-width as typed with a Chinese IME
		{"可以传真吗", 15},
		{"ＰＳ照片", 16},
		{"照片能P图吗", 16},
		{"怎么查网站有没有备案", 19},
		{"收不到验证码", 45},
		{"企业网站名称能用中国吗", 20},
		{"个人网站能用公司名义备案吗", 20},
		{"一个主体能备几个域名", 21},
		{"备案收费吗", 36},
		{"要交钱吗", 36},
		{"备案被退回了", 22},
		{"提示信息冲突", 25},
		{"怎么修改备案信息", 27},
		{"接入商怎么填", 24},
		{"已有备案号，转入中网", 35},
		{"先备案再买服务器可以吗", 8},
		{"备案期间网站能打开吗", 10},
		{"能选哪个省审核吗", 11},
		{"换机房会注销备案号吗", 5},
		{"备案号被注销了", 14},
		{"备案成功后转走", 18},
		{"首页没挂备案号", 42},
		{"论坛需要办什么手续", 39},
		{"前置审批", 37},
		{"会泄露信息吗", 3},
		{"为什么要核验", 1},
		{"别的公司不用核验", 2},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			hits := b.Search(tt.query, 3)
			require.NotEmpty(t, hits)
			require.Equal(t, tt.want, hits[0].ID, "top hit %q, want entry %d", hits[0].Question, tt.want)
			if len(hits) > 1 {
				require.Greater(t, hits[0].Score, hits[1].Score, "top hit for %q is a tie", tt.query)
			}
		})
	}
}

func TestSearchNothingSearchable(t *testing.T) {
	t.Parallel()
	b := loadBank(t)

	for _, q := range []string{"", " ", "\u3000\t\n", "？！，。“”", "...---"} {
		require.Empty(t, b.Search(q, 10), "query %q", q)
	}
	require.Empty(t, b.Search("zzqx", 10), "a query sharing no character pair with the bank")
}

func TestSearchLimit(t *testing.T) {
	t.Parallel()
	b := loadBank(t)

	all := b.Search("备案", 0)
	require.Greater(t, len(all), 5)
	for i := 1; i < len(all); i++ {
		require.GreaterOrEqual(t, all[i-1].Score, all[i].Score, "hits out of order")
		if all[i-1].Score == all[i].Score {
			require.Less(t, all[i-1].ID, all[i].ID, "ties rank in the manual's order")
		}
	}
	for _, limit := range []int{1, 2, 5} {
		hits := b.Search("备案", limit)
		require.Len(t, hits, limit)
		require.Equal(t, all[:limit], hits)
	}
	require.Equal(t, all, b.Search("备案", -1))
	require.Equal(t, all, b.Search("备案", len(all)+10))
}

// TestTextAsInDataFile checks that Load hands out each question and answer as
// written in faq.json, byte for byte, so a quoted answer is the manual's.
func TestTextAsInDataFile(t *testing.T) {
	t.Parallel()
	b := loadBank(t)

	// Decode the file independently of the package's own record type.
	var raw []map[string]any
	require.NoError(t, json.Unmarshal(bankJSON, &raw))
	require.Len(t, raw, p4Entries)
	for i, r := range raw {
		e, ok := b.Get(i + 1)
		require.True(t, ok)
		require.Equal(t, r["question"], e.Question)
		require.Equal(t, r["answer"], e.Answer)

		// And the encoded text is literally in the file: nothing was escaped
		// away or re-encoded on the way in.
		require.True(t, bytes.Contains(bankJSON, jsonString(t, e.Answer)), "entry %d answer not literally in faq.json", e.ID)
	}

	for _, h := range b.Search("密码忘了", 0) {
		require.Equal(t, raw[h.ID-1]["answer"], h.Answer)
	}
}

func jsonString(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(s))
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestTextAsInManual checks faq.json against the manual itself, where the
// manual is at hand (BEIAN_MANUAL, or the shared seed next to the repo): every
// P4 question and answer is there verbatim, in order, and none is missing.
func TestTextAsInManual(t *testing.T) {
	t.Parallel()
	path := os.Getenv("BEIAN_MANUAL")
	if path == "" {
		path = filepath.Join("..", "..", "shared", "seed", "000_dbdb501b0196a00c.txt")
	}
	manual, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("manual not found at %s; set BEIAN_MANUAL", path)
	}
	require.NoError(t, err)

	text := string(manual)
	start := strings.Index(text, "\nP4 网站备案常见问题\n")
	require.GreaterOrEqual(t, start, 0, "P4 heading not in manual")
	p4 := text[start:]
	require.Equal(t, p4Entries, strings.Count(p4, "\nQ："), "P4 question count")

	b := loadBank(t)
	at := 0
	for _, e := range b.All() {
		q := strings.Index(p4[at:], "\nQ："+e.Question)
		require.GreaterOrEqual(t, q, 0, "entry %d question not next in P4", e.ID)
		at += q
		a := strings.Index(p4[at:], "\nA：")
		require.GreaterOrEqual(t, a, 0, "entry %d has no answer in P4", e.ID)
		at += a + len("\nA：")
		rest := p4[at:]
		if next := strings.Index(rest, "\nQ："); next >= 0 {
			rest = rest[:next]
		}
		require.Equal(t, strings.TrimSpace(rest), e.Answer, "entry %d answer", e.ID)
	}
}

func TestNormalise(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"网站备案密码忘记了怎么办？", "网站备案密码忘记了怎么办"},
		{"ＰＳ照片", "ps照片"},
		{"ＩＰ　地址", "ip地址"},
		{"www.miibeian.gov.cn", "wwwmiibeiangovcn"},
		{"“备案系统”的用户名", "备案系统的用户名"},
		{"２０个工作日", "20个工作日"},
		{"1）个人、公司；", "1个人公司"},
		{"", ""},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, normalise(tt.in), "normalise(%q)", tt.in)
	}
}

func TestSynonymVariants(t *testing.T) {
	t.Parallel()
	b := loadBank(t)

	for _, group := range synonyms {
		for _, m := range group {
			require.Equal(t, normalise(m), m, "synonym %q must be written normalised", m)
			require.GreaterOrEqual(t, len([]rune(m)), 2, "synonym %q: a single character would match everywhere", m)
		}
	}

	weights := map[string]float64{}
	for _, v := range b.queryVariants("个人密码忘了") {
		weights[v.text] = v.weight
	}
	require.Equal(t, 1.0, weights["个人密码忘了"], "the query as typed")
	require.Equal(t, synonymWeight, weights["个人密码忘记"])
	require.Equal(t, synonymWeight, weights["私人密码找回"], "synonyms of two groups combined")
	require.NotContains(t, weights, "私人")

	require.LessOrEqual(t, len(b.queryVariants(strings.Repeat("忘了多久变更注销接入个人企业退回", 4))), maxVariants)
}

func TestParseRejectsBadData(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"not json":        `{`,
		"empty":           `[]`,
		"ids from 2":      `[{"id":2,"question":"q","answer":"a"}]`,
		"gap in ids":      `[{"id":1,"question":"q","answer":"a"},{"id":3,"question":"q","answer":"a"}]`,
		"empty answer":    `[{"id":1,"question":"q","answer":""}]`,
		"padded answer":   `[{"id":1,"question":"q","answer":" a\n"}]`,
		"padded question": `[{"id":1,"question":"q ","answer":"a"}]`,
	}
	for name, data := range tests {
		_, err := parse([]byte(data))
		require.Error(t, err, name)
	}
}

func FuzzSearch(f *testing.F) {
	b := loadBank(f)
	for _, q := range []string{"密码忘了", "", "？", "ＰＳ照片", "备", "\xff\xfe", "多长时间多久几天", strings.Repeat("备案", 100)} {
		f.Add(q, 3)
	}
	f.Fuzz(func(t *testing.T, q string, limit int) {
		hits := b.Search(q, limit)
		if limit > 0 {
			require.LessOrEqual(t, len(hits), limit)
		}
		for i, h := range hits {
			require.Greater(t, h.Score, 0.0)
			e, ok := b.Get(h.ID)
			require.True(t, ok)
			require.Equal(t, e.Answer, h.Answer)
			if i > 0 {
				require.GreaterOrEqual(t, hits[i-1].Score, h.Score)
			}
		}
	})
}
