package postgres_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

// caseNos are the case numbers of the page's items, in order.
func caseNos(p beian.CasePage) []string {
	nos := []string{}
	for _, c := range p.Items {
		nos = append(nos, c.CaseNo)
	}
	return nos
}

func TestListCasesFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)

	base := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	mk := func(i int, mutate func(c *beian.Case)) *beian.Case {
		c := newCase()
		c.CreatedAt = base.Add(time.Duration(i) * time.Hour)
		c.Overdue = false
		mutate(c)
		return b.createCase(t, c)
	}
	// Jiangsu system, Guangdong bureau.
	gd := mk(1, func(c *beian.Case) {
		c.Sponsor.Name, c.Principal.Name = "ACME 网络有限公司", "赵六"
		c.Website.Domains = []string{"Shop-One.cn"}
	})
	// Anhui system and bureau, overdue.
	ah := mk(2, func(c *beian.Case) {
		c.Routing.Province, c.Routing.BureauProvince = "安徽", "安徽"
		c.Status, c.Overdue = beian.StatusBureauReview, true
		c.Sponsor.Name, c.Principal.Name = "合肥某某", "钱七"
		c.Website.Domains = []string{"hefei-news.cn", "hefei-news.com.cn"}
	})
	// Jiangsu, withdrawn later: ended.
	ended := mk(3, func(c *beian.Case) {
		c.Routing.BureauProvince = "江苏"
		c.Sponsor.Name, c.Principal.Name = "已撤回公司", "孙八"
		c.Website.Domains = []string{"gone.cn"}
	})
	ended.Status = beian.StatusWithdrawn
	_, err := b.db.SaveTransition(b.ctx, &beian.Transition{Seq: 1, Case: ended, Event: beian.Event{Event: "withdrawn"}})
	require.NoError(t, err)
	// Jiangsu, approved: a live filing, not ended.
	live := mk(4, func(c *beian.Case) {
		c.Routing.BureauProvince = "江苏"
		c.Status = beian.StatusApproved
		c.Sponsor.Name, c.Principal.Name = "百分之百_公司", "周九"
		c.Website.Domains = []string{"live.cn"}
	})

	yes, no := true, false
	tests := []struct {
		name   string
		filter beian.CaseFilter
		want   []*beian.Case
	}{
		{"all open, newest first", beian.CaseFilter{}, []*beian.Case{live, ah, gd}},
		{"status", beian.CaseFilter{Status: beian.StatusBureauReview}, []*beian.Case{ah}},
		{"ended only when asked for", beian.CaseFilter{Status: beian.StatusWithdrawn}, []*beian.Case{ended}},
		{"status without cases", beian.CaseFilter{Status: beian.StatusPurged}, nil},
		{"bureau province", beian.CaseFilter{Province: "广东"}, []*beian.Case{gd}},
		{"system province", beian.CaseFilter{Province: "安徽"}, []*beian.Case{ah}},
		{"system or bureau province", beian.CaseFilter{Province: "江苏"}, []*beian.Case{live, gd}},
		{"system province only", beian.CaseFilter{SystemProvince: "江苏"}, []*beian.Case{live, gd}},
		{"bureau province only", beian.CaseFilter{BureauProvince: "江苏"}, []*beian.Case{live}},
		{"domain, any case", beian.CaseFilter{Domain: "SHOP-ONE.CN"}, []*beian.Case{gd}},
		{"second domain", beian.CaseFilter{Domain: "hefei-news.com.cn"}, []*beian.Case{ah}},
		{"domain is exact", beian.CaseFilter{Domain: "hefei-news"}, nil},
		{"domain of an ended case", beian.CaseFilter{Domain: "gone.cn"}, nil},
		{"domain of an ended case, asked for", beian.CaseFilter{Domain: "gone.cn", Status: beian.StatusWithdrawn}, []*beian.Case{ended}},
		{"overdue", beian.CaseFilter{Overdue: &yes}, []*beian.Case{ah}},
		{"not overdue", beian.CaseFilter{Overdue: &no}, []*beian.Case{live, gd}},
		{"q case number", beian.CaseFilter{Q: "js-2026-000001"}, []*beian.Case{gd}},
		{"q sponsor, any case", beian.CaseFilter{Q: "acme"}, []*beian.Case{gd}},
		{"q principal", beian.CaseFilter{Q: "钱七"}, []*beian.Case{ah}},
		{"q domain part", beian.CaseFilter{Q: "NEWS.COM"}, []*beian.Case{ah}},
		{"q no match", beian.CaseFilter{Q: "nothing-like-this"}, nil},
		{"q wildcards are literal", beian.CaseFilter{Q: "%"}, nil},
		{"q underscore is literal", beian.CaseFilter{Q: "百_公"}, []*beian.Case{live}},
		{"q and province", beian.CaseFilter{Q: "hefei", Province: "江苏"}, nil},
		{"q on an ended case", beian.CaseFilter{Q: "gone", Status: beian.StatusWithdrawn}, []*beian.Case{ended}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := b.db.ListCases(b.ctx, tt.filter)
			require.NoError(t, err)
			want := []string{}
			for _, c := range tt.want {
				want = append(want, c.CaseNo)
			}
			require.Equal(t, want, caseNos(page))
			require.Empty(t, page.NextCursor)
		})
	}

	// Items are whole cases.
	page, err := b.db.ListCases(b.ctx, beian.CaseFilter{Domain: "shop-one.cn"})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	got := inUTC(page.Items[0])
	want := inUTC(*gd)
	want.Timeline, got.Timeline = nil, nil
	require.Equal(t, want, got)
}

func TestListCasesPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)

	// Seven cases, three of them created at the same instant: the cursor
	// must break the tie by ID and neither skip nor repeat one.
	base := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	for i := range 7 {
		c := newCase()
		c.CreatedAt = base.Add(time.Duration(min(i, 4)) * time.Minute)
		b.createCase(t, c)
	}
	all, err := b.db.ListCases(b.ctx, beian.CaseFilter{})
	require.NoError(t, err)
	require.Len(t, all.Items, 7)
	require.Empty(t, all.NextCursor)
	for i := 1; i < len(all.Items); i++ {
		prev, cur := all.Items[i-1], all.Items[i]
		require.False(t, cur.CreatedAt.After(prev.CreatedAt), "newest first")
		if cur.CreatedAt.Equal(prev.CreatedAt) {
			require.Less(t, cur.ID, prev.ID, "ties broken by id, descending")
		}
	}

	var paged []string
	sizes := []int{}
	f := beian.CaseFilter{Limit: 3}
	for {
		page, err := b.db.ListCases(b.ctx, f)
		require.NoError(t, err)
		paged = append(paged, caseNos(page)...)
		sizes = append(sizes, len(page.Items))
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
		require.Less(t, len(sizes), 10, "paging does not end")
	}
	require.Equal(t, []int{3, 3, 1}, sizes)
	require.Equal(t, caseNos(all), paged)

	// A page that ends exactly on the last case has no next cursor.
	page, err := b.db.ListCases(b.ctx, beian.CaseFilter{Limit: 7})
	require.NoError(t, err)
	require.Len(t, page.Items, 7)
	require.Empty(t, page.NextCursor)
}

func TestListCasesLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)

	for range 201 {
		b.createCase(t, newCase())
	}
	page, err := b.db.ListCases(b.ctx, beian.CaseFilter{})
	require.NoError(t, err)
	require.Len(t, page.Items, 50, "default page size")
	require.NotEmpty(t, page.NextCursor)

	page, err = b.db.ListCases(b.ctx, beian.CaseFilter{Limit: 1000})
	require.NoError(t, err)
	require.Len(t, page.Items, 200, "largest page")
	require.NotEmpty(t, page.NextCursor)

	page, err = b.db.ListCases(b.ctx, beian.CaseFilter{Limit: 200, Cursor: page.NextCursor})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	require.Empty(t, page.NextCursor)
}

func TestListCasesBadCursor(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createCase(t, newCase())

	enc := base64.RawURLEncoding.EncodeToString
	for _, cursor := range []string{
		"!!!",
		"not base64 at all",
		enc([]byte("garbage")),
		enc([]byte("123/not-a-uuid")),
		enc([]byte("soon/00000000-0000-0000-0000-000000000000")),
		enc([]byte("/00000000-0000-0000-0000-000000000000")),
	} {
		_, err := b.db.ListCases(b.ctx, beian.CaseFilter{Cursor: cursor})
		require.Error(t, err, cursor)
		require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err), cursor)
	}
}
