package postgres_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

// auditDetails are the details of the audit log for target, oldest first.
func (b testBundle) auditDetails(t *testing.T, target string) []string {
	t.Helper()
	rows, err := b.db.Pool().Query(b.ctx, `SELECT action || ': ' || detail FROM audit_log WHERE target = $1 ORDER BY id`, target)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		require.NoError(t, rows.Scan(&d))
		out = append(out, d)
	}
	require.NoError(t, rows.Err())
	return out
}

// TestSettings: the intake rules are a JSON document admins override and
// reset; every change is audited with the old and new value (R-IN-*).
func TestSettings(t *testing.T) {
	t.Parallel()
	b := setup(t)

	v, err := b.db.GetSetting(b.ctx, "intake_rules")
	require.NoError(t, err)
	require.Nil(t, v, "absent: nil")

	first := `{"landline_provinces": ["辽宁", "重庆"], "national_words": ["中国"]}`
	require.NoError(t, b.db.PutSetting(b.ctx, "intake_rules", []byte(first), "admin:root"))
	v, err = b.db.GetSetting(b.ctx, "intake_rules")
	require.NoError(t, err)
	require.JSONEq(t, first, string(v))

	second := `{"landline_provinces": ["辽宁", "重庆", "广西"], "national_words": ["中国"]}`
	require.NoError(t, b.db.PutSetting(b.ctx, "intake_rules", []byte(second), "admin:li"))
	v, err = b.db.GetSetting(b.ctx, "intake_rules")
	require.NoError(t, err)
	require.JSONEq(t, second, string(v))

	err = b.db.PutSetting(b.ctx, "intake_rules", []byte(`{"broken":`), "admin:li")
	require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err))

	require.NoError(t, b.db.PutSetting(b.ctx, "intake_rules", nil, "admin:root"), "nil removes the setting")
	v, err = b.db.GetSetting(b.ctx, "intake_rules")
	require.NoError(t, err)
	require.Nil(t, v)

	details := b.auditDetails(t, "setting/intake_rules")
	require.Len(t, details, 3, "each change that went through is audited once: %v", details)
	require.True(t, strings.HasPrefix(details[0], "setting.put: 旧值：（无"), details[0])
	require.Contains(t, details[0], "新值：landline_provinces 2 项，national_words 1 项")
	require.Contains(t, details[1], "旧值：landline_provinces 2 项")
	require.Contains(t, details[1], "新值：landline_provinces 3 项")
	require.True(t, strings.HasPrefix(details[2], "setting.delete: 旧值：landline_provinces 3 项"), details[2])
}

// TestBlacklistStore: entries are unique by kind and normalised key; adding
// and removing are audited (R-IN-6).
func TestBlacklistStore(t *testing.T) {
	t.Parallel()
	b := setup(t)

	list, err := b.db.ListBlacklist(b.ctx)
	require.NoError(t, err)
	require.Empty(t, list)

	domain := &beian.BlacklistEntry{Kind: "domain", Value: "WWW.Bad-Site.cn", Key: "bad-site.cn", Reason: "私服游戏", Author: "王主管"}
	require.NoError(t, b.db.AddBlacklistEntry(b.ctx, domain))
	require.NotEmpty(t, domain.ID)
	require.False(t, domain.CreatedAt.IsZero())
	phone := &beian.BlacklistEntry{Kind: "phone", Value: "+86 139-0013-9000", Key: "13900139000", Reason: "虚假信息", Author: "王主管"}
	require.NoError(t, b.db.AddBlacklistEntry(b.ctx, phone))

	// The same key of the same kind again is a conflict; of another kind it is not.
	err = b.db.AddBlacklistEntry(b.ctx, &beian.BlacklistEntry{Kind: "domain", Value: "bad-site.cn", Key: "bad-site.cn", Author: "x"})
	require.Equal(t, beian.CodeConflict, beian.ErrorCode(err))
	require.Contains(t, beian.ErrorMessage(err), "bad-site.cn")
	require.NoError(t, b.db.AddBlacklistEntry(b.ctx, &beian.BlacklistEntry{Kind: "name", Value: "bad-site.cn", Author: "x"}))
	err = b.db.AddBlacklistEntry(b.ctx, &beian.BlacklistEntry{Kind: "email", Value: "a@b.cn", Author: "x"})
	require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err))

	list, err = b.db.ListBlacklist(b.ctx)
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Equal(t, domain.ID, list[0].ID, "oldest first")
	require.Equal(t, "WWW.Bad-Site.cn", list[0].Value)
	require.Equal(t, "bad-site.cn", list[0].Key)
	require.Equal(t, "私服游戏", list[0].Reason)
	require.Equal(t, "王主管", list[0].Author)
	require.Equal(t, "bad-site.cn", list[2].Key, "an empty key is the value")

	require.NoError(t, b.db.DeleteBlacklistEntry(b.ctx, domain.ID, "王主管"))
	for _, id := range []string{domain.ID, "not-a-uuid"} {
		err = b.db.DeleteBlacklistEntry(b.ctx, id, "王主管")
		require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err), id)
	}
	list, err = b.db.ListBlacklist(b.ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)

	details := b.auditDetails(t, "blacklist/"+domain.ID)
	require.Equal(t, []string{
		"blacklist.add: 域名「WWW.Bad-Site.cn」加入黑名单：私服游戏",
		"blacklist.delete: 域名「WWW.Bad-Site.cn」移出黑名单（原因：私服游戏，由 王主管 加入）",
	}, details)
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// TestCustomersStore: a customer and its products round-trip; a put
// replaces the products; a product of another customer is a conflict and
// writes nothing; products are found by IP, expired ones too (R-ENT-2).
func TestCustomersStore(t *testing.T) {
	t.Parallel()
	b := setup(t)

	acme := beian.Customer{
		ID: "C-001", Name: "苏州示例科技有限公司",
		Contact:         beian.Contact{Name: "张三", Mobile: "13800138000", Email: "zhangsan@example.cn"},
		AccountManager:  beian.Contact{Name: "李经理", Email: "li@chinanet.cc"},
		ManagerSuperior: beian.Contact{Name: "赵总监", Email: "zhao@chinanet.cc"},
		Products: []beian.Product{
			{ID: "P-001", ServerIPs: addrs("198.51.100.7", "2001:db8:1::7"), ValidUntil: "2027-12-31"},
			{ID: "P-002", ServerIPs: addrs("198.51.100.8"), ValidUntil: "2025-06-30"},
		},
	}
	other := beian.Customer{ID: "C-002", Name: "另一家公司", Products: []beian.Product{{ID: "P-100", ServerIPs: addrs("203.0.113.9"), ValidUntil: "2030-01-01"}}}
	require.NoError(t, b.db.PutCustomers(b.ctx, []beian.Customer{acme, other}, "admin:root"))

	got, err := b.db.GetCustomer(b.ctx, "C-001")
	require.NoError(t, err)
	require.Equal(t, "admin:root", got.UpdatedBy)
	require.False(t, got.UpdatedAt.IsZero())
	want := acme
	for i := range want.Products {
		want.Products[i].CustomerID = "C-001"
	}
	want.UpdatedBy, want.UpdatedAt = got.UpdatedBy, got.UpdatedAt
	require.Equal(t, want, *got)

	_, err = b.db.GetCustomer(b.ctx, "C-404")
	require.Equal(t, beian.CodeNotFound, beian.ErrorCode(err))

	list, err := b.db.ListCustomers(b.ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "C-001", list[0].ID)
	require.Len(t, list[0].Products, 2)
	require.Equal(t, "P-100", list[1].Products[0].ID)

	// Products are found by any of their IPs, expired or not, IPv6 too.
	ps, err := b.db.ProductsForIPs(b.ctx, addrs("2001:db8:1::7", "198.51.100.8", "192.0.2.1"))
	require.NoError(t, err)
	require.Len(t, ps, 2)
	require.Equal(t, "P-001", ps[0].ID)
	require.Equal(t, addrs("198.51.100.7", "2001:db8:1::7"), ps[0].ServerIPs)
	require.Equal(t, "P-002", ps[1].ID)
	require.False(t, ps[1].ActiveOn("2026-01-01"))
	ps, err = b.db.ProductsForIPs(b.ctx, nil)
	require.NoError(t, err)
	require.Empty(t, ps)

	// A put replaces the products: P-002 is dropped, P-003 added.
	acme.Products = []beian.Product{
		{ID: "P-001", ServerIPs: addrs("198.51.100.7"), ValidUntil: "2028-12-31"},
		{ID: "P-003", ServerIPs: addrs("198.51.100.9"), ValidUntil: "2028-12-31"},
	}
	require.NoError(t, b.db.PutCustomers(b.ctx, []beian.Customer{acme}, "admin:li"))
	got, err = b.db.GetCustomer(b.ctx, "C-001")
	require.NoError(t, err)
	require.Len(t, got.Products, 2)
	require.Equal(t, "P-003", got.Products[1].ID)
	ps, err = b.db.ProductsForIPs(b.ctx, addrs("198.51.100.8"))
	require.NoError(t, err)
	require.Empty(t, ps, "the dropped product's IP has no product now")

	// Another customer's product, a repeated product or IP: refused, nothing written.
	bad := map[string]struct {
		c    beian.Customer
		code string
	}{
		"product of another customer": {beian.Customer{ID: "C-001", Name: "改名", Products: []beian.Product{{ID: "P-100", ServerIPs: addrs("203.0.113.9"), ValidUntil: "2030-01-01"}}}, beian.CodeConflict},
		"product twice":               {beian.Customer{ID: "C-001", Name: "改名", Products: []beian.Product{{ID: "P-9", ValidUntil: "2030-01-01"}, {ID: "P-9", ValidUntil: "2030-01-01"}}}, beian.CodeInvalid},
		"IP twice":                    {beian.Customer{ID: "C-001", Name: "改名", Products: []beian.Product{{ID: "P-9", ServerIPs: addrs("198.51.100.1", "198.51.100.1"), ValidUntil: "2030-01-01"}}}, beian.CodeInvalid},
		"bad date":                    {beian.Customer{ID: "C-001", Name: "改名", Products: []beian.Product{{ID: "P-9", ValidUntil: "2030-13-01"}}}, beian.CodeInvalid},
		"no name":                     {beian.Customer{ID: "C-001"}, beian.CodeInvalid},
	}
	for name, tc := range bad {
		err := b.db.PutCustomers(b.ctx, []beian.Customer{tc.c}, "admin:li")
		require.Equal(t, tc.code, beian.ErrorCode(err), name)
	}
	got, err = b.db.GetCustomer(b.ctx, "C-001")
	require.NoError(t, err)
	require.Equal(t, "苏州示例科技有限公司", got.Name, "a refused put changes nothing")
	require.Len(t, got.Products, 2)

	details := b.auditDetails(t, "customer/C-001")
	require.Len(t, details, 2)
	require.Contains(t, details[0], "原产品：无；现产品：P-001（198.51.100.7 2001:db8:1::7，至 2027-12-31）、P-002")
	require.Contains(t, details[1], "原产品：P-001（198.51.100.7 2001:db8:1::7，至 2027-12-31）")
	require.Contains(t, details[1], "现产品：P-001（198.51.100.7，至 2028-12-31）、P-003")
}

// TestExpiringProducts: products expired or expiring with live filings on
// their IPs are reported with those filings; ended cases and products
// without filings are not (R-ENT-2, R-RV-1).
func TestExpiringProducts(t *testing.T) {
	t.Parallel()
	b := setup(t)

	require.NoError(t, b.db.PutCustomers(b.ctx, []beian.Customer{
		{ID: "C-1", Name: "甲公司", Products: []beian.Product{
			{ID: "P-soon", ServerIPs: addrs("198.51.100.7"), ValidUntil: "2026-03-10"},
			{ID: "P-later", ServerIPs: addrs("198.51.100.20"), ValidUntil: "2027-01-01"},
			{ID: "P-idle", ServerIPs: addrs("198.51.100.30"), ValidUntil: "2026-01-01"},
		}},
		{ID: "C-2", Name: "乙公司", Products: []beian.Product{
			{ID: "P-gone", ServerIPs: addrs("2001:db8:1::7"), ValidUntil: "2025-12-31"},
			{ID: "P-ended", ServerIPs: addrs("198.51.100.40"), ValidUntil: "2025-12-31"},
		}},
	}, "admin"))

	live := b.createCase(t, newCase()) // on 198.51.100.7 and 2001:db8:1::7
	later := newCase()
	later.Website.ServerIPs = []string{"198.51.100.20"}
	b.createCase(t, later)
	ended := newCase()
	ended.Status = beian.StatusWithdrawn
	ended.Website.ServerIPs = []string{"198.51.100.40"}
	b.createCase(t, ended)

	got, err := b.db.ExpiringProducts(b.ctx, "2026-04-01")
	require.NoError(t, err)
	require.Len(t, got, 2, "%+v", got)
	require.Equal(t, "P-gone", got[0].Product.ID, "soonest expiry first")
	require.Equal(t, "乙公司", got[0].CustomerName)
	require.Equal(t, "P-soon", got[1].Product.ID)
	require.Equal(t, "C-1", got[1].Product.CustomerID)
	require.Equal(t, "2026-03-10", got[1].Product.ValidUntil)
	for _, e := range got {
		require.Len(t, e.Cases, 1)
		require.Equal(t, live.ID, e.Cases[0].ID)
		require.Equal(t, live.CaseNo, e.Cases[0].CaseNo)
	}

	got, err = b.db.ExpiringProducts(b.ctx, "2027-01-01")
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.Equal(t, "P-later", got[2].Product.ID)

	_, err = b.db.ExpiringProducts(b.ctx, "soon")
	require.Equal(t, beian.CodeInvalid, beian.ErrorCode(err))
}

// TestOpenApplicationOf: a sponsor's application in progress is found by
// its certificate number; filings on record and ended cases are not (R-IN-5).
func TestOpenApplicationOf(t *testing.T) {
	t.Parallel()
	b := setup(t)

	c, err := b.db.OpenApplicationOf(b.ctx, "91320594MA1XXXXX0X")
	require.NoError(t, err)
	require.Nil(t, c)

	const cert = "91320594MA1XXXXX0X"
	approved := newCase()
	approved.Status = beian.StatusApproved
	approved.Sponsor.CertNumber = cert
	b.createCase(t, approved)
	withdrawn := newCase()
	withdrawn.Status = beian.StatusWithdrawn
	withdrawn.Sponsor.CertNumber = cert
	b.createCase(t, withdrawn)
	c, err = b.db.OpenApplicationOf(b.ctx, "91320594MA1XXXXX0X")
	require.NoError(t, err)
	require.Nil(t, c, "an approved filing and an ended case are no application in progress")

	open := newCase()
	open.Status = beian.StatusBureauReturned
	open.Sponsor.CertNumber = cert
	b.createCase(t, open)
	c, err = b.db.OpenApplicationOf(b.ctx, " 91320594ma1xxxxx0x ")
	require.NoError(t, err)
	require.NotNil(t, c)
	require.Equal(t, open.ID, c.ID)
	require.Equal(t, open.CaseNo, c.CaseNo)

	c, err = b.db.OpenApplicationOf(b.ctx, "")
	require.NoError(t, err)
	require.Nil(t, c)
}
