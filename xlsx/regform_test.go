package xlsx_test

import (
	"archive/zip"
	"bytes"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
	"github.com/beian/beian/xlsx"
)

// Known-valid numbers (the same as intake's tests use).
const (
	regIDZhang = "32050519900307123X" // 苏州 1990-03-07
	regIDLi    = "440304198512310011" // 深圳 1985-12-31
	regIDWang  = "110101200002290026" // 北京 2000-02-29
	regUSCC    = "91320505MA1M111107" // 苏州 enterprise
)

var regKinds = []beian.SponsorKind{beian.SponsorPerson, beian.SponsorOrganisation}

// regForm is the blank form of a kind as filers download it (R-IN-2 item 1).
func regForm(t *testing.T, k beian.SponsorKind) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, xlsx.WriteRegistrationForm(&buf, k))
	return buf.Bytes()
}

// regField is the layout's field of a key on the form of kind k.
func regField(t *testing.T, k beian.SponsorKind, key string) xlsx.FormField {
	t.Helper()
	for _, f := range xlsx.RegistrationFieldsFor(k) {
		if f.Key == key {
			return f
		}
	}
	require.Failf(t, "no such field", "%s has no field %s", k, key)
	return xlsx.FormField{}
}

// regEdit opens the blank form of kind k, lets edit change it as a filer
// (or a careless one) would in Excel, and saves it.
func regEdit(t *testing.T, k beian.SponsorKind, edit func(f *excelize.File)) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(regForm(t, k)))
	require.NoError(t, err)
	defer f.Close()
	edit(f)
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	require.NoError(t, err)
	return buf.Bytes()
}

// regFill types values into the input cells of the form of kind k, by
// field key: text as typed, any other value as Excel stores it.
func regFill(t *testing.T, k beian.SponsorKind, values map[string]any) []byte {
	t.Helper()
	return regEdit(t, k, func(f *excelize.File) {
		for key, v := range values {
			at := regField(t, k, key).Cell
			if s, ok := v.(string); ok {
				require.NoError(t, f.SetCellStr(xlsx.RegistrationSheet, at, s))
			} else {
				require.NoError(t, f.SetCellValue(xlsx.RegistrationSheet, at, v))
			}
		}
	})
}

func regRead(t *testing.T, data []byte) (*beian.Case, map[string]string) {
	t.Helper()
	c, cells, err := xlsx.ReadRegistrationForm(bytes.NewReader(data))
	require.NoError(t, err)
	require.NotNil(t, c)
	return c, cells
}

// regViolations returns the violations of a refused form, requiring that
// nothing was read and that each names its cell in a Chinese message.
func regViolations(t *testing.T, data []byte) []beian.Violation {
	t.Helper()
	c, cells, err := xlsx.ReadRegistrationForm(bytes.NewReader(data))
	require.Nil(t, c, "a refused form gives no case")
	require.Nil(t, cells)
	var e *beian.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, beian.CodeViolations, e.Code, e.Message)
	require.NotEmpty(t, e.Violations)
	for _, v := range e.Violations {
		require.Equal(t, "R-IN-2", v.Rule)
		at, ok := strings.CutPrefix(v.Field, xlsx.RegistrationSheet+"!")
		require.True(t, ok, v.Field)
		if v.Code != xlsx.CodeNotForm || at != "A1" { // A1 also stands for a missing sheet
			require.Contains(t, v.Message, at, "the message names the cell")
		}
		require.Regexp(t, `\p{Han}`, v.Message)
	}
	return e.Violations
}

type regFound struct{ Code, Field string }

func regCodes(vs []beian.Violation) []regFound {
	out := make([]regFound, len(vs))
	for i, v := range vs {
		out[i] = regFound{v.Code, v.Field}
	}
	return out
}

// personValues fill every input of the personal form.
func personValues() map[string]any {
	return map[string]any{
		"sponsor.kind": "个人", "sponsor.cert_type": "居民身份证",
		"sponsor.name": " 张三 ", "sponsor.cert_number": regIDZhang, "sponsor.province": "江苏省",
		"sponsor.city": "苏州", "sponsor.address": "江苏省苏州市工业园区星湖街1号",
		"principal.name": "张三", "principal.id_number": regIDZhang, "principal.mobile": "13812345678",
		"principal.landline": "0512-88868888", "principal.email": "zhangsan@example.cn", "principal.qq": "10001",
		"website.name":          "张三的技术博客",
		"website.domains":       "example.cn、Example.net.cn, 例子.中国;blog-example.cn\nzhang-san.cn  x.cn",
		"website.server_ips":    "198.51.100.7，2001:DB8:1::7\n１９８.５１.１００.８",
		"website.categories[0]": "新闻", "website.pre_approvals[0].document_no": "苏新闻〔2026〕1号",
		"website.categories[2]": "education", // a code, the second slot left blank
		"website.interactive":   "是",
		"type":                  "变更备案", "filing_number": "苏ICP备12345678号-1",
	}
}

// orgValues fill every input of the organisation's form.
func orgValues() map[string]any {
	return map[string]any{
		"sponsor.kind": "单位", "sponsor.cert_type": "统一社会信用代码",
		"sponsor.name": "苏州示例科技有限公司", "sponsor.cert_number": regUSCC, "sponsor.province": "江苏",
		"sponsor.city": "苏州", "sponsor.address": "江苏省苏州市工业园区星湖街2号",
		"sponsor.legal_rep.name": "李四", "sponsor.legal_rep.id_number": regIDLi,
		"principal.name": "王五", "principal.id_number": regIDWang, "principal.mobile": "+86 139 1234 5678",
		"principal.email": "wangwu@example.com.cn",
		"website.name":    "示例科技官网", "website.domains": "example.com.cn",
		"website.server_ips":    "198.51.100.8",
		"website.categories[1]": "药品和医疗器械", "website.pre_approvals[1].document_no": "（苏）-非经营性-2026-0001",
		"website.categories[2]": "文化",
		"website.interactive":   "否",
		"type":                  "新增备案",
	}
}

// TestRegistrationFieldsLayout: the exported layout (R-IN-2 item 1) is one
// a form can be: per kind each key and each cell once, labels in A or C
// with their inputs beside them, the legal representative only for
// organisations, every drop-down a list of the form.
func TestRegistrationFieldsLayout(t *testing.T) {
	lists := []string{xlsx.ListProvince, xlsx.ListSponsorKind, xlsx.ListCertType, xlsx.ListCategory, xlsx.ListFilingType, xlsx.ListYesNo}
	for _, k := range regKinds {
		keys, cells := map[string]bool{}, map[string]bool{}
		for _, f := range xlsx.RegistrationFieldsFor(k) {
			require.False(t, keys[f.Key], "%s: key %s twice", k, f.Key)
			require.False(t, cells[f.Cell], "%s: cell %s twice", k, f.Cell)
			keys[f.Key], cells[f.Cell] = true, true
			require.Contains(t, []string{"B", "D"}, f.Cell[:1], f.Key)
			require.Equal(t, string(rune(f.Cell[0]-1))+f.Cell[1:], f.LabelCell(), f.Key)
			require.False(t, cells[f.LabelCell()], "%s: a label on an input", f.Key)
			require.Regexp(t, `^\p{Han}|^QQ$`, f.Label)
			require.NotEmpty(t, f.Hint, f.Key)
			if f.List != "" {
				require.Contains(t, lists, f.List, f.Key)
			}
		}
		require.Equal(t, k == beian.SponsorOrganisation, keys["sponsor.legal_rep.name"], k)
		require.Equal(t, k == beian.SponsorOrganisation, keys["sponsor.legal_rep.id_number"], k)
		for _, key := range []string{"sponsor.kind", "sponsor.name", "sponsor.cert_type", "sponsor.cert_number", "sponsor.province",
			"sponsor.address", "principal.name", "principal.id_number", "principal.mobile", "principal.email",
			"website.name", "website.domains", "website.server_ips", "type", "filing_number"} {
			require.True(t, keys[key], "%s form lacks %s", k, key)
		}
	}
	require.Equal(t, "身份证号码", regField(t, beian.SponsorPerson, "sponsor.cert_number").Label)
	require.Equal(t, "统一社会信用代码", regField(t, beian.SponsorOrganisation, "sponsor.cert_number").Label)
}

// TestRegistrationFormTemplate (R-IN-2 item 1): the sheet 「登记表」 has the
// title of its kind, the section headings and every label in its cell,
// the kind and certificate type filled in; each input has its hint, the
// drop-downs take their values from the hidden sheet 「列表」; inputs are
// unlocked, labels locked, the sheet and the workbook's structure
// protected; the personal form hides the legal representative's row.
func TestRegistrationFormTemplate(t *testing.T) {
	for _, k := range regKinds {
		t.Run(string(k), func(t *testing.T) {
			data := regForm(t, k)
			f, err := excelize.OpenReader(bytes.NewReader(data))
			require.NoError(t, err)
			defer f.Close()
			const sheet = xlsx.RegistrationSheet
			require.Equal(t, []string{sheet, xlsx.RegistrationListsSheet}, f.GetSheetList())
			require.Equal(t, sheet, f.GetSheetName(f.GetActiveSheetIndex()))
			visible, err := f.GetSheetVisible(xlsx.RegistrationListsSheet)
			require.NoError(t, err)
			require.False(t, visible, "the lists sheet is hidden")

			get := func(at string) string {
				v, err := f.GetCellValue(sheet, at)
				require.NoError(t, err)
				return v
			}
			wantKind, wantCert := "个人", "居民身份证"
			if k == beian.SponsorOrganisation {
				wantKind, wantCert = "单位", "统一社会信用代码"
			}
			require.Equal(t, "网站备案资料登记表-用户（"+wantKind+"主办者）", get("A1"))
			for at, title := range map[string]string{"A3": "主办者信息", "A9": "网站负责人", "A13": "网站信息", "A21": "备案类型"} {
				require.Equal(t, title, get(at))
			}
			require.Equal(t, wantKind, get("B4"))
			require.Equal(t, wantCert, get("D4"))
			require.Contains(t, get("A23"), "备案密码", "the password is asked for elsewhere")

			dvs, err := f.GetDataValidations(sheet)
			require.NoError(t, err)
			bySqref := map[string]*excelize.DataValidation{}
			for _, dv := range dvs {
				require.NotContains(t, bySqref, dv.Sqref)
				bySqref[dv.Sqref] = dv
			}
			fields := xlsx.RegistrationFieldsFor(k)
			require.Len(t, bySqref, len(fields), "one validation per input, none elsewhere")
			names := map[string]string{}
			for _, dn := range f.GetDefinedName() {
				names[dn.Name] = dn.RefersTo
			}
			for _, fl := range fields {
				label := fl.Label
				if fl.Required {
					label += " *"
				}
				require.Equal(t, label, get(fl.LabelCell()), fl.Key)

				dv := bySqref[fl.Cell]
				require.NotNil(t, dv, "%s: no input hint on %s", fl.Key, fl.Cell)
				require.True(t, dv.ShowInputMessage, fl.Key)
				require.Equal(t, fl.Label, *dv.PromptTitle)
				require.Equal(t, fl.Hint, *dv.Prompt)
				require.LessOrEqual(t, len([]rune(*dv.PromptTitle)), 32, "Excel's limit")
				require.LessOrEqual(t, len([]rune(*dv.Prompt)), 255, "Excel's limit")
				if fl.List == "" {
					require.NotEqual(t, "list", dv.Type, fl.Key)
					continue
				}
				require.Equal(t, "list", dv.Type, fl.Key)
				require.Equal(t, fl.List, dv.Formula1, "%s: fed by a defined name", fl.Key)
				require.True(t, dv.ShowErrorMessage, "%s: anything else is refused in Excel", fl.Key)
				require.Equal(t, "stop", *dv.ErrorStyle)
				require.LessOrEqual(t, len([]rune(*dv.Error)), 255)
			}

			// The lists, as the defined names find them on the hidden sheet.
			listValues := func(name string) []string {
				ref, ok := names[name]
				require.True(t, ok, "defined name %s", name)
				ls, rng, ok := strings.Cut(ref, "!")
				require.True(t, ok, ref)
				require.Equal(t, xlsx.RegistrationListsSheet, strings.Trim(ls, "'"))
				from, to, ok := strings.Cut(strings.ReplaceAll(rng, "$", ""), ":")
				require.True(t, ok, ref)
				c1, r1, err := excelize.CellNameToCoordinates(from)
				require.NoError(t, err)
				c2, r2, err := excelize.CellNameToCoordinates(to)
				require.NoError(t, err)
				require.Equal(t, c1, c2, "one column")
				var out []string
				for r := r1; r <= r2; r++ {
					at, _ := excelize.CoordinatesToCellName(c1, r)
					v, err := f.GetCellValue(xlsx.RegistrationListsSheet, at)
					require.NoError(t, err)
					out = append(out, v)
				}
				return out
			}
			require.Equal(t, intake.Provinces, listValues(xlsx.ListProvince))
			require.Len(t, listValues(xlsx.ListProvince), 31)
			require.Equal(t, []string{"个人", "单位"}, listValues(xlsx.ListSponsorKind))
			require.Equal(t, []string{"居民身份证", "统一社会信用代码"}, listValues(xlsx.ListCertType))
			require.Equal(t, []string{"新增备案", "变更备案", "接入备案", "注销备案", "取消接入"}, listValues(xlsx.ListFilingType))
			require.Equal(t, []string{"是", "否"}, listValues(xlsx.ListYesNo))
			cats := intake.DefaultRules().PreApprovalCategories
			require.ElementsMatch(t, slices.Collect(maps.Values(cats)), listValues(xlsx.ListCategory))
			require.Contains(t, listValues(xlsx.ListCategory), "新闻")

			// Locked labels, unlocked inputs.
			locked := func(at string) bool {
				id, err := f.GetCellStyle(sheet, at)
				require.NoError(t, err)
				st, err := f.GetStyle(id)
				require.NoError(t, err)
				return st.Protection == nil || st.Protection.Locked // Excel's default is locked
			}
			for _, fl := range fields {
				require.False(t, locked(fl.Cell), "%s: input %s unlocked", fl.Key, fl.Cell)
				require.True(t, locked(fl.LabelCell()), "%s: label %s locked", fl.Key, fl.LabelCell())
			}
			for _, at := range []string{"A1", "A2", "A3", "C20", "D20", "E4"} {
				require.True(t, locked(at), at)
			}

			// Protected, without a password; the structure too, so the
			// lists stay hidden and the sheet keeps its name.
			sheetXML, workbookXML := regPart(t, data, "xl/worksheets/sheet1.xml"), regPart(t, data, "xl/workbook.xml")
			require.Regexp(t, `<sheetProtection sheet="true"[^>]*formatRows="true"`, sheetXML)
			require.NotContains(t, sheetXML, "password")
			require.Contains(t, workbookXML, `<workbookProtection lockStructure="true">`)
			prot, err := f.GetSheetProtection(sheet)
			require.NoError(t, err)
			require.False(t, prot.FormatCells || prot.InsertRows || prot.DeleteRows || prot.FormatRows, "%+v", prot)
			require.True(t, prot.SelectUnlockedCells)

			shown, err := f.GetRowVisible(sheet, 8)
			require.NoError(t, err)
			require.Equal(t, k == beian.SponsorOrganisation, shown, "legal representative's row")
			require.Equal(t, k == beian.SponsorOrganisation, bySqref["B8"] != nil)

			// As downloaded, the form is empty.
			require.Equal(t, []regFound{{xlsx.CodeEmpty, "登记表!B5"}}, regCodes(regViolations(t, data)))
		})
	}
	require.Error(t, xlsx.WriteRegistrationForm(io.Discard, "company"))
}

// regPart is one part of a workbook's zip.
func regPart(t *testing.T, data []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	rc, err := zr.Open(name)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

// TestRegistrationFormRoundTrip: what a filer types into the form reads
// back as the case the API builds from the same data in JSON (R-IN-2 item
// 1): codes for the drop-downs, several domains and IPs to a cell, a
// category with its document number a pre-approval too; and the map puts
// every field intake may name on its cell.
func TestRegistrationFormRoundTrip(t *testing.T) {
	t.Run("person", func(t *testing.T) {
		c, cells := regRead(t, regFill(t, beian.SponsorPerson, personValues()))
		require.Equal(t, beian.TypeChange, c.Type)
		require.Equal(t, "苏ICP备12345678号-1", c.FilingNumber)
		require.Equal(t, beian.Sponsor{
			Kind: beian.SponsorPerson, Name: "张三", CertType: beian.CertIDCard, CertNumber: regIDZhang,
			Province: "江苏", City: "苏州", Address: "江苏省苏州市工业园区星湖街1号",
		}, c.Sponsor)
		require.Nil(t, c.Sponsor.LegalRep)
		require.Equal(t, beian.Principal{
			Name: "张三", IDNumber: regIDZhang, Mobile: "13812345678", Landline: "0512-88868888",
			Email: "zhangsan@example.cn", QQ: "10001",
		}, c.Principal)
		require.Equal(t, "张三的技术博客", c.Website.Name)
		require.Equal(t, []string{"example.cn", "Example.net.cn", "例子.中国", "blog-example.cn", "zhang-san.cn", "x.cn"}, c.Website.Domains)
		require.Equal(t, []string{"198.51.100.7", "2001:db8:1::7", "198.51.100.8"}, c.Website.ServerIPs)
		require.Equal(t, []string{"news", "education"}, c.Website.Categories)
		require.Equal(t, []beian.PreApproval{{Category: "news", DocumentNo: "苏新闻〔2026〕1号"}}, c.Website.PreApprovals)
		require.True(t, c.Website.Interactive)

		want := map[string]string{
			"type": "B22", "filing_number": "D22",
			"sponsor.kind": "B4", "sponsor.cert_type": "D4", "sponsor.name": "B5", "sponsor.cert_number": "B6",
			"sponsor.province": "D6", "sponsor.city": "B7", "sponsor.address": "D7",
			"principal.name": "B10", "principal.id_number": "D10", "principal.mobile": "B11", "principal.landline": "D11",
			"principal.email": "B12", "principal.qq": "D12",
			"website.name": "B14", "website.domains": "B15", "website.server_ips": "B16", "website.interactive": "B20",
			"website.categories": "B17", "website.categories[0]": "B17", "website.categories[1]": "B19",
			"website.pre_approvals": "D17", "website.pre_approvals[0]": "B17",
			"website.pre_approvals[0].category": "B17", "website.pre_approvals[0].document_no": "D17",
			"website.server_ips[0]": "B16", "website.server_ips[1]": "B16", "website.server_ips[2]": "B16",
		}
		for i := range c.Website.Domains {
			want["website.domains["+string(rune('0'+i))+"]"] = "B15"
		}
		for k, v := range want {
			want[k] = "登记表!" + v
		}
		require.Equal(t, want, cells)
	})
	t.Run("organisation", func(t *testing.T) {
		c, cells := regRead(t, regFill(t, beian.SponsorOrganisation, orgValues()))
		require.Equal(t, &beian.Case{
			Type: beian.TypeNew,
			Sponsor: beian.Sponsor{
				Kind: beian.SponsorOrganisation, Name: "苏州示例科技有限公司", CertType: beian.CertUSCC, CertNumber: regUSCC,
				Province: "江苏", City: "苏州", Address: "江苏省苏州市工业园区星湖街2号",
				LegalRep: &beian.Person{Name: "李四", IDNumber: regIDLi},
			},
			Principal: beian.Principal{Name: "王五", IDNumber: regIDWang, Mobile: "+86 139 1234 5678", Email: "wangwu@example.com.cn"},
			Website: beian.Website{
				Name: "示例科技官网", Domains: []string{"example.com.cn"}, ServerIPs: []string{"198.51.100.8"},
				Categories:   []string{"drugs", "culture"},
				PreApprovals: []beian.PreApproval{{Category: "drugs", DocumentNo: "（苏）-非经营性-2026-0001"}},
			},
		}, c)
		for key, at := range map[string]string{
			"sponsor.legal_rep": "B8", "sponsor.legal_rep.name": "B8", "sponsor.legal_rep.id_number": "D8",
			"website.categories[0]": "B18", "website.categories[1]": "B19", "website.pre_approvals[0].document_no": "D18",
			"website.domains[0]": "B15", "filing_number": "D22",
		} {
			require.Equal(t, "登记表!"+at, cells[key], key)
		}
		require.NotContains(t, cells, "website.domains[1]")
		require.NotContains(t, cells, "filing_password", "the password is not on the form")
	})
	t.Run("spellings", func(t *testing.T) {
		// Codes and other spellings of the drop-down values; a blank kind is the form's.
		c, _ := regRead(t, regFill(t, beian.SponsorPerson, map[string]any{
			"sponsor.kind": "", "sponsor.cert_type": "ID_CARD", "sponsor.name": "张三", "sponsor.province": "广西壮族自治区",
			"website.categories[0]": "ｎｅｗｓ", "website.interactive": "Ｙ", "type": "transfer_in", "filing_number": "苏ICP备12345678号",
		}))
		require.Equal(t, beian.SponsorPerson, c.Sponsor.Kind)
		require.Equal(t, beian.CertIDCard, c.Sponsor.CertType)
		require.Equal(t, "广西", c.Sponsor.Province)
		require.Equal(t, []string{"news"}, c.Website.Categories)
		require.Empty(t, c.Website.PreApprovals)
		require.True(t, c.Website.Interactive)
		require.Equal(t, beian.TypeTransferIn, c.Type)
		require.Equal(t, "苏ICP备12345678号", c.FilingNumber)
		require.Nil(t, c.Website.Domains, "an IP-only site has no domain (R-IN-7)")

		c, _ = regRead(t, regFill(t, beian.SponsorOrganisation, map[string]any{"sponsor.name": "苏州示例科技有限公司", "type": "新增"}))
		require.Nil(t, c.Sponsor.LegalRep, "no legal representative given: intake asks for one")
		require.Equal(t, beian.TypeNew, c.Type)
	})
}

// regDataCentres hold the test IPs (R-ENT-1/2).
func regDataCentres() []beian.DataCentre {
	return []beian.DataCentre{{
		Name: "苏州园区机房", Province: "江苏", AccessProvider: "中网科技（苏州）股份有限公司", Mailbox: "JSBA@ChinaNet.CC",
		CIDRs: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8:1::/48")},
	}}
}

func regCheck(c *beian.Case) intake.Result {
	return intake.Check(c, intake.Input{
		Rules: intake.DefaultRules(), DataCentres: regDataCentres(), Now: time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC),
	})
}

// TestRegistrationFormPassesIntake: a filled form of either kind is a case
// intake accepts (R-IN-2, R-IN-4), and intake's violations of a wrong one
// land on the cells the filer typed them in.
func TestRegistrationFormPassesIntake(t *testing.T) {
	person := map[string]any{
		"sponsor.name": "张三", "sponsor.cert_number": regIDZhang, "sponsor.province": "江苏", "sponsor.city": "苏州",
		"sponsor.address": "江苏省苏州市工业园区星湖街1号",
		"principal.name":  "张三", "principal.id_number": regIDZhang, "principal.mobile": "13812345678", "principal.email": "zhangsan@example.cn",
		"website.name": "张三的技术博客", "website.domains": "example.cn", "website.server_ips": "198.51.100.7", "type": "新增备案",
	}
	org := orgValues()
	delete(org, "website.categories[2]") // 文化 without its document: see below
	for name, tc := range map[string]struct {
		kind   beian.SponsorKind
		values map[string]any
	}{"person": {beian.SponsorPerson, person}, "organisation": {beian.SponsorOrganisation, org}} {
		t.Run(name, func(t *testing.T) {
			c, _ := regRead(t, regFill(t, tc.kind, tc.values))
			res := regCheck(c)
			require.Empty(t, res.Violations)
			require.Equal(t, "江苏", res.Routing.Province)
			require.NotEmpty(t, res.Checklist)
		})
	}

	// A category that needs a pre-approval, without its document number:
	// intake names the category, the map its slot.
	c, cells := regRead(t, regFill(t, beian.SponsorOrganisation, orgValues()))
	vs := regCheck(c).Violations
	require.Equal(t, []string{"website.categories[1] PRE_APPROVAL_REQUIRED"}, []string{vs[0].Field + " " + vs[0].Code})
	require.Len(t, vs, 1)
	require.Equal(t, "登记表!B19", cells[vs[0].Field])

	bad := maps.Clone(person)
	bad["principal.id_number"] = "320505199003071234"           // wrong check digit
	bad["website.domains"] = "example.cn、example.invalidsuffix" // the second not fileable
	bad["sponsor.address"] = ""
	c, cells = regRead(t, regFill(t, beian.SponsorPerson, bad))
	res := regCheck(c)
	var on []string
	for _, v := range res.Violations {
		at, ok := cells[v.Field]
		require.True(t, ok, "intake's field %s has a cell", v.Field)
		on = append(on, at)
	}
	require.ElementsMatch(t, []string{"登记表!D7", "登记表!D10", "登记表!D10", "登记表!B15"}, on, "%v", res.Violations)

	c, cells = regRead(t, regFill(t, beian.SponsorOrganisation, map[string]any{"sponsor.name": "苏州示例科技有限公司"}))
	for _, v := range regCheck(c).Violations {
		if v.Field == "filing_password" {
			continue
		}
		require.Contains(t, cells, v.Field, "%+v", v)
	}
}

// TestReadRegistrationFormBadFiles: what is no .xlsx workbook is refused
// as a whole, in Chinese, as the package's other imports refuse it.
func TestReadRegistrationFormBadFiles(t *testing.T) {
	for name, tc := range map[string]struct {
		data       []byte
		code, want string
	}{
		"not a spreadsheet": {[]byte{0x89, 'P', 'N', 'G', 0, 0, 0, 0x0d, 0xff, 0xfe}, beian.CodeUnsupportedType, "不是 Excel 工作簿"},
		"a CSV renamed":     {[]byte("主办者名称,证件号码\n张三," + regIDZhang + "\n"), beian.CodeUnsupportedType, "文本文件（如 CSV）"},
		"empty file":        {nil, beian.CodeUnsupportedType, "文件是空的"},
		"a zip, no workbook": {func() []byte {
			var b bytes.Buffer
			zw := zip.NewWriter(&b)
			w, _ := zw.Create("hello.txt")
			w.Write([]byte("hi"))
			zw.Close()
			return b.Bytes()
		}(), beian.CodeUnsupportedType, "不是 Excel 工作簿"},
		"truncated": {regForm(t, beian.SponsorPerson)[:2000], beian.CodeInvalid, "已损坏"},
	} {
		t.Run(name, func(t *testing.T) {
			c, cells, err := xlsx.ReadRegistrationForm(bytes.NewReader(tc.data))
			require.Nil(t, c)
			require.Nil(t, cells)
			var e *beian.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tc.code, e.Code, e.Message)
			require.Contains(t, e.Message, tc.want)
		})
	}
}

// TestReadRegistrationFormNotTheForm: a workbook that is not this form —
// the sheet renamed, rows inserted, the title changed, another of our
// templates — is refused naming where it differs, before any value is read.
func TestReadRegistrationFormNotTheForm(t *testing.T) {
	renamed := regFill(t, beian.SponsorPerson, personValues())
	f, err := excelize.OpenReader(bytes.NewReader(renamed))
	require.NoError(t, err)
	require.NoError(t, f.SetSheetName(xlsx.RegistrationSheet, "Sheet1"))
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	require.NoError(t, err)
	f.Close()
	vs := regViolations(t, buf.Bytes())
	require.Equal(t, []regFound{{xlsx.CodeNotForm, "登记表!A1"}}, regCodes(vs))
	require.Contains(t, vs[0].Message, "没有工作表「登记表」（现有：Sheet1、列表）")

	moved := regEdit(t, beian.SponsorOrganisation, func(f *excelize.File) {
		require.NoError(t, f.InsertRows(xlsx.RegistrationSheet, 6, 1))
	})
	vs = regViolations(t, moved)
	require.Equal(t, xlsx.CodeNotForm, vs[0].Code)
	require.Equal(t, "登记表!A6", vs[0].Field)
	require.Contains(t, vs[0].Message, "应为标签「统一社会信用代码」，现为「」")
	require.Greater(t, len(vs), 10, "every label below is off")

	retitled := regEdit(t, beian.SponsorPerson, func(f *excelize.File) {
		require.NoError(t, f.SetCellStr(xlsx.RegistrationSheet, "A1", "网站备案资料登记表-江苏"))
	})
	vs = regViolations(t, retitled)
	require.Equal(t, []regFound{{xlsx.CodeNotForm, "登记表!A1"}}, regCodes(vs))
	require.Contains(t, vs[0].Message, "现为「网站备案资料登记表-江苏」")

	relabelled := regEdit(t, beian.SponsorPerson, func(f *excelize.File) {
		require.NoError(t, f.SetCellStr(xlsx.RegistrationSheet, "C11", "传真"))
	})
	require.Equal(t, []regFound{{xlsx.CodeNotForm, "登记表!C11"}}, regCodes(regViolations(t, relabelled)))

	var sec bytes.Buffer
	require.NoError(t, xlsx.WriteSecurityTemplate(&sec))
	require.Equal(t, []regFound{{xlsx.CodeNotForm, "登记表!A1"}}, regCodes(regViolations(t, sec.Bytes())))
}

// TestReadRegistrationFormBadValues: every value that is not what its cell
// takes is reported at once, naming the cell and its label in Chinese;
// intake's own rules are left to intake.
func TestReadRegistrationFormBadValues(t *testing.T) {
	values := personValues()
	values["sponsor.kind"] = "公司"
	values["sponsor.cert_type"] = "护照"
	values["sponsor.province"] = "火星"
	values["website.server_ips"] = "198.51.100.7、300.1.1.1, 198.51.100.0/24\nfe80::1%eth0"
	values["website.categories[1]"] = "游戏"
	values["website.interactive"] = "也许"
	values["type"] = "新建备案"
	values["principal.id_number"] = "不是号码" // intake's to judge: read as typed
	vs := regViolations(t, regFill(t, beian.SponsorPerson, values))
	require.Equal(t, []regFound{
		{xlsx.CodeInvalidCell, "登记表!B4"}, {xlsx.CodeInvalidCell, "登记表!D4"}, {xlsx.CodeInvalidCell, "登记表!D6"},
		{xlsx.CodeInvalidCell, "登记表!B16"}, {xlsx.CodeInvalidCell, "登记表!B16"}, {xlsx.CodeInvalidCell, "登记表!B16"},
		{xlsx.CodeInvalidCell, "登记表!B18"}, {xlsx.CodeInvalidCell, "登记表!B20"}, {xlsx.CodeInvalidCell, "登记表!B22"},
	}, regCodes(vs))
	msgs := map[string][]string{}
	for _, v := range vs {
		msgs[v.Field] = append(msgs[v.Field], v.Message)
	}
	require.Equal(t, "工作表「登记表」单元格 B4（主办者性质）：「公司」不在下拉列表中，应为：个人、单位", msgs["登记表!B4"][0])
	require.Contains(t, msgs["登记表!D6"][0], "「火星」不是大陆的省、自治区或直辖市")
	require.Contains(t, msgs["登记表!B16"][0], "（服务器IP）：「300.1.1.1」不是有效的 IPv4 或 IPv6 地址")
	require.Contains(t, msgs["登记表!B16"][1], "「198.51.100.0/24」")
	require.Contains(t, msgs["登记表!B16"][2], "「fe80::1%eth0」")
	require.Contains(t, msgs["登记表!B18"][0], "「游戏」不在下拉列表中，应为：")
	require.Contains(t, msgs["登记表!B18"][0], "新闻")
	require.Contains(t, msgs["登记表!B20"][0], "应为：是、否")
	require.Contains(t, msgs["登记表!B22"][0], "新增备案、变更备案、接入备案、注销备案、取消接入")

	for name, tc := range map[string]struct {
		kind   beian.SponsorKind
		values map[string]any
		want   []regFound
		msg    string
	}{
		"the other kind's form": {beian.SponsorPerson, map[string]any{"sponsor.kind": "单位", "sponsor.name": "苏州示例科技有限公司"},
			[]regFound{{xlsx.CodeInvalidCell, "登记表!B4"}}, "本表是个人主办者的登记表"},
		"a document number without its category": {beian.SponsorOrganisation, map[string]any{"sponsor.name": "苏州示例科技有限公司", "website.pre_approvals[1].document_no": "X-1"},
			[]regFound{{xlsx.CodeInvalidCell, "登记表!B18"}}, "没有选择内容类别"},
		"a category twice": {beian.SponsorOrganisation, map[string]any{"website.categories[0]": "新闻", "website.categories[2]": "news"},
			[]regFound{{xlsx.CodeDuplicate, "登记表!B19"}}, "与内容类别（一）重复"},
		"a filing number on a new filing": {beian.SponsorPerson, map[string]any{"type": "新增备案", "filing_number": "苏ICP备12345678号-1"},
			[]regFound{{xlsx.CodeInvalidCell, "登记表!D22"}}, "新增备案不填原备案号"},
		"an ID number Excel rounded": {beian.SponsorPerson, map[string]any{"sponsor.cert_number": 440304198512310011, "principal.id_number": 4.4030419851231e17},
			[]regFound{{xlsx.CodeInvalidCell, "登记表!B6"}, {xlsx.CodeInvalidCell, "登记表!D10"}}, "超过 15 位的部分已丢失"},
		"a landline Excel took for a number": {beian.SponsorPerson, map[string]any{"sponsor.name": "张三", "principal.landline": 51288868888},
			[]regFound{{xlsx.CodeInvalidCell, "登记表!D11"}}, "区号开头的 0 已丢失"},
	} {
		t.Run(name, func(t *testing.T) {
			vs := regViolations(t, regFill(t, tc.kind, tc.values))
			require.Equal(t, tc.want, regCodes(vs))
			require.Contains(t, vs[0].Message, tc.msg)
		})
	}

	formula := regEdit(t, beian.SponsorPerson, func(f *excelize.File) {
		require.NoError(t, f.SetCellStr(xlsx.RegistrationSheet, "B5", "张三"))
		require.NoError(t, f.SetCellFormula(xlsx.RegistrationSheet, "B14", `B5&"的博客"`))
	})
	vs = regViolations(t, formula)
	require.Equal(t, []regFound{{xlsx.CodeInvalidCell, "登记表!B14"}}, regCodes(vs))
	require.Contains(t, vs[0].Message, "含公式")
}

// TestReadRegistrationFormEmpty: a form with nothing typed in — as
// downloaded, or with only its filled-in kind cleared — is one violation
// on its first input, not a case of empty fields.
func TestReadRegistrationFormEmpty(t *testing.T) {
	for _, k := range regKinds {
		vs := regViolations(t, regFill(t, k, map[string]any{"sponsor.kind": "", "sponsor.cert_type": " "}))
		require.Equal(t, []regFound{{xlsx.CodeEmpty, "登记表!B5"}}, regCodes(vs), k)
		require.Contains(t, vs[0].Message, "登记表是空的")
	}
}
