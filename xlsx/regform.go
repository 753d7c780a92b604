package xlsx

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
)

// RegistrationFormTitle is the name of the registration form
// 《网站备案资料登记表-用户》, item 1 of the materials checklist (R-IN-2): the
// filer's own record of sponsor, site principal, site and filing type.
const RegistrationFormTitle = "网站备案资料登记表-用户"

// RegistrationSheet is the one sheet of the registration form (R-IN-2
// item 1) that ReadRegistrationForm reads; cells are named "登记表!B4".
const RegistrationSheet = "登记表"

// RegistrationListsSheet is the hidden sheet of the registration form that
// feeds its drop-down lists, one column a list under a defined name.
const RegistrationListsSheet = "列表"

// Names of the drop-down lists of the registration form (FormField.List):
// each is a defined name over one column of RegistrationListsSheet.
const (
	ListProvince    = "省份"    // intake.Provinces (R-ENT-3)
	ListSponsorKind = "主办者性质" // 个人, 单位
	ListCertType    = "证件类型"  // 居民身份证, 统一社会信用代码
	ListCategory    = "内容类别"  // titles of intake's pre-approval categories (前置审批, R-IN-4)
	ListFilingType  = "备案类型"  // beian.CaseType titles (R-TY)
	ListYesNo       = "是否"    // 是, 否
)

// CodeNotForm is the violation code of a workbook that is not the
// registration form: no sheet 「登记表」, or its title or labels are not where
// WriteRegistrationForm put them.
const CodeNotForm = "NOT_FORM"

// FormField is one input of the registration form (R-IN-2 item 1): the API
// field it fills, its label and where the filer types it.
type FormField struct {
	// Key is the field's path in the API's JSON body ("sponsor.name",
	// "principal.mobile"), which is also the Field of intake's violations.
	// The three content-category slots are "website.categories[0]" … "[2]"
	// and their document numbers "website.pre_approvals[0].document_no" …;
	// the map ReadRegistrationForm returns gives each category and
	// pre-approval under its index in the case read, blank slots skipped.
	Key string
	// Label is the Chinese label in the cell left of Cell (column A or C),
	// shown with " *" when Required.
	Label string
	// Cell is the input cell on RegistrationSheet, e.g. "B4"; for an input
	// that spans B:D it is the first cell of the merge.
	Cell string
	// Kinds are the sponsor kinds whose form has the field; empty: both.
	// A key may appear twice with different kinds and labels (主办者姓名 and
	// 主办单位名称 are both sponsor.name in B5), never twice for one kind.
	Kinds []beian.SponsorKind
	// Required marks a field intake requires of a new filing; the reader
	// does not enforce it (intake.Check does).
	Required bool
	// List is the name of the field's drop-down list (ListProvince …), or
	// "" for free text.
	List string
	// Hint is the input prompt Excel and WPS show when the cell is selected.
	Hint string
}

// For reports whether the field is on the form of sponsor kind k.
func (f FormField) For(k beian.SponsorKind) bool {
	return len(f.Kinds) == 0 || slices.Contains(f.Kinds, k)
}

// LabelCell is the cell of the field's label: the one left of Cell.
func (f FormField) LabelCell() string {
	col, row, err := excelize.CellNameToCoordinates(f.Cell)
	if err != nil || col < 2 {
		return ""
	}
	return cell(col-2, row)
}

func regKindsOf(k ...beian.SponsorKind) []beian.SponsorKind { return k }

// RegistrationFields is the layout of the registration form (R-IN-2 item
// 1), in form order. It is stable: cells do not move between releases, so
// filled forms of an earlier download still read. The organisation-only
// row 8 (法定代表人) is hidden on the personal form.
var RegistrationFields = []FormField{
	// 主办者信息
	{Key: "sponsor.kind", Label: "主办者性质", Cell: "B4", Required: true, List: ListSponsorKind,
		Hint: "已按本表的主办者性质预先选好，无须改动。个人与单位的登记表不同：性质不符请下载对应的登记表。"},
	{Key: "sponsor.cert_type", Label: "证件类型", Cell: "D4", Required: true, List: ListCertType,
		Hint: "已预先选好：个人主办者为居民身份证，单位主办者为统一社会信用代码。"},
	{Key: "sponsor.name", Label: "主办者姓名", Cell: "B5", Kinds: regKindsOf(beian.SponsorPerson), Required: true,
		Hint: "与居民身份证上的姓名一致。个人网站须以本人名义备案，不能以公司名义备案。"},
	{Key: "sponsor.name", Label: "主办单位名称", Cell: "B5", Kinds: regKindsOf(beian.SponsorOrganisation), Required: true,
		Hint: "与营业执照等证件上的单位全称一致。单位网站不能以个人名义备案。"},
	{Key: "sponsor.cert_number", Label: "身份证号码", Cell: "B6", Kinds: regKindsOf(beian.SponsorPerson), Required: true,
		Hint: "主办者本人的18位居民身份证号码，末位可为X。"},
	{Key: "sponsor.cert_number", Label: "统一社会信用代码", Cell: "B6", Kinds: regKindsOf(beian.SponsorOrganisation), Required: true,
		Hint: "营业执照等证件上的18位统一社会信用代码。"},
	{Key: "sponsor.province", Label: "所在省份", Cell: "D6", Required: true, List: ListProvince,
		Hint: "主办者属地所在的省、自治区或直辖市，从下拉列表选择。备案由该省通信管理局审核。"},
	{Key: "sponsor.city", Label: "所在城市", Cell: "B7", Hint: "地级市，如：苏州。"},
	{Key: "sponsor.address", Label: "通信地址", Cell: "D7", Required: true,
		Hint: "能收到邮件的详细地址，如：江苏省苏州市工业园区星湖街1号。"},
	{Key: "sponsor.legal_rep.name", Label: "法定代表人姓名", Cell: "B8", Kinds: regKindsOf(beian.SponsorOrganisation), Required: true,
		Hint: "营业执照上的法定代表人（负责人）姓名。"},
	{Key: "sponsor.legal_rep.id_number", Label: "法定代表人身份证号码", Cell: "D8", Kinds: regKindsOf(beian.SponsorOrganisation), Required: true,
		Hint: "法定代表人的18位居民身份证号码，末位可为X。"},
	// 网站负责人
	{Key: "principal.name", Label: "负责人姓名", Cell: "B10", Kinds: regKindsOf(beian.SponsorPerson), Required: true,
		Hint: "个人备案的网站负责人须为主办者本人：填写本人姓名。"},
	{Key: "principal.name", Label: "负责人姓名", Cell: "B10", Kinds: regKindsOf(beian.SponsorOrganisation), Required: true,
		Hint: "负责网站的人员姓名；不是法定代表人时，另需提交授权书。"},
	{Key: "principal.id_number", Label: "负责人身份证号码", Cell: "D10", Required: true,
		Hint: "网站负责人的18位居民身份证号码，末位可为X。"},
	{Key: "principal.mobile", Label: "手机号码", Cell: "B11", Required: true,
		Hint: "11位大陆手机号码：管局以短信反馈审核结果，我公司据此做真实性核验电话。"},
	{Key: "principal.landline", Label: "固定电话", Cell: "D11", Hint: regLandlineHint()},
	{Key: "principal.email", Label: "电子邮箱", Cell: "B12", Required: true,
		Hint: "常用邮箱，如：zhangsan@example.cn。管局通过手机和邮箱反馈审核结果。"},
	{Key: "principal.qq", Label: "QQ", Cell: "D12", Hint: "选填。"},
	// 网站信息
	{Key: "website.name", Label: "网站名称", Cell: "B14", Kinds: regKindsOf(beian.SponsorPerson), Required: true,
		Hint: "个人网站名称不能含地域名称（如苏州、江苏），不能含公司、官网等单位字样。"},
	{Key: "website.name", Label: "网站名称", Cell: "B14", Kinds: regKindsOf(beian.SponsorOrganisation), Required: true,
		Hint: "单位网站名称不能使用中国、中华、全国等全国性字样（单位名称本身含有的除外）。"},
	{Key: "website.domains", Label: "网站域名", Cell: "B15",
		Hint: "主域名，如：example.cn（子域名无须填写）。多个域名用顿号、逗号、分号、空格或换行分隔。仅通过IP访问的网站可不填。域名持有者须为主办者。"},
	{Key: "website.server_ips", Label: "服务器IP", Cell: "B16", Required: true,
		Hint: "在我公司接入产品的服务器IP（IPv4或IPv6），如：198.51.100.7。多个IP用顿号、逗号、分号、空格或换行分隔。"},
	{Key: "website.categories[0]", Label: "内容类别（一）", Cell: "B17", List: ListCategory, Hint: regCategoryHint()},
	{Key: "website.pre_approvals[0].document_no", Label: "审批文号（一）", Cell: "D17", Hint: regDocumentNoHint},
	{Key: "website.categories[1]", Label: "内容类别（二）", Cell: "B18", List: ListCategory, Hint: regCategoryHint()},
	{Key: "website.pre_approvals[1].document_no", Label: "审批文号（二）", Cell: "D18", Hint: regDocumentNoHint},
	{Key: "website.categories[2]", Label: "内容类别（三）", Cell: "B19", List: ListCategory, Hint: regCategoryHint()},
	{Key: "website.pre_approvals[2].document_no", Label: "审批文号（三）", Cell: "D19", Hint: regDocumentNoHint},
	{Key: "website.interactive", Label: "电子公告服务", Cell: "B20", List: ListYesNo,
		Hint: "网站有论坛（BBS）、留言板、评论等交互式栏目时选“是”：须另向通信管理局办理电子公告服务专项备案。没有的选“否”或留空。"},
	// 备案类型
	{Key: "type", Label: "备案类型", Cell: "B22", Required: true, List: ListFilingType, Hint: regFilingTypeHint()},
	{Key: "filing_number", Label: "原备案号", Cell: "D22",
		Hint: "变更、注销、接入备案和取消接入时必填：网站已有的备案号，如：苏ICP备12345678号-1。新增备案不填。备案密码请勿填写在本表中。"},
}

const regDocumentNoHint = "左侧选了内容类别时填写：主管部门前置审批文件的文号。"

// RegistrationFieldsFor is RegistrationFields of the form of sponsor kind
// k, in form order: each key once.
func RegistrationFieldsFor(k beian.SponsorKind) []FormField {
	var out []FormField
	for _, f := range RegistrationFields {
		if f.For(k) {
			out = append(out, f)
		}
	}
	return out
}

// The fixed rows of the form around the fields.
const (
	regTitleRow    = 1
	regNoteRow     = 2
	regLegalRepRow = 8 // organisation only; hidden on the personal form
	regFootRow     = 23
	regLastCol     = "D"
)

// regSections are the section headings (merged A:D).
var regSections = []struct {
	row   int
	title string
}{
	{3, "主办者信息"}, {9, "网站负责人"}, {13, "网站信息"}, {21, "备案类型"},
}

// regWide are the inputs that span B:D.
var regWide = []string{"sponsor.name", "website.name", "website.domains", "website.server_ips"}

// regPrefilled are the inputs the form carries filled in for its kind.
var regPrefilled = []string{"sponsor.kind", "sponsor.cert_type"}

const regNote = "填写说明：只在白色单元格中填写，标 * 的为必填（以提交时的检查为准）；带下拉箭头的单元格从列表中选择；" +
	"多个域名或IP可用顿号、逗号、分号、空格或换行分隔。标签已锁定，请勿改动表格的行列和工作表名称，填好后直接上传本文件。"

const regFoot = "备案密码属于保密信息，请勿填写在本表中：办理变更、注销、接入备案时，请在提交备案时另行提供。"

// regKindTitle is the form's title for a sponsor kind (row 1): it tells
// ReadRegistrationForm which form it reads.
func regKindTitle(k beian.SponsorKind) string {
	return RegistrationFormTitle + "（" + regKindLabel(k) + "主办者）"
}

// regKindLabel is the kind's title in the 主办者性质 list.
func regKindLabel(k beian.SponsorKind) string {
	for _, v := range regKindValues {
		if v.kind == k {
			return v.title
		}
	}
	return string(k)
}

// regKindValues are the 主办者性质 list: each kind's label, in list order.
var regKindValues = []struct {
	kind  beian.SponsorKind
	title string
}{
	{beian.SponsorPerson, "个人"}, {beian.SponsorOrganisation, "单位"},
}

// regCertValues are the 证件类型 list, and the kind each belongs to.
var regCertValues = []struct {
	code, title string
	kind        beian.SponsorKind
}{
	{beian.CertIDCard, "居民身份证", beian.SponsorPerson},
	{beian.CertUSCC, "统一社会信用代码", beian.SponsorOrganisation},
}

// regTypes are the filing types in the order of the 备案类型 list.
var regTypes = []beian.CaseType{beian.TypeNew, beian.TypeChange, beian.TypeTransferIn, beian.TypeCancel, beian.TypeCancelAccess}

// regCategories are the pre-approval categories (code, title) of the
// shipped rules (前置审批, R-IN-4), by code. Rules an admin changed are not
// seen: the form is a download without a store behind it.
var regCategories = sync.OnceValue(func() [][2]string {
	cats := intake.DefaultRules().PreApprovalCategories
	var out [][2]string
	for _, code := range slices.Sorted(maps.Keys(cats)) {
		out = append(out, [2]string{code, cats[code]})
	}
	return out
})

func regCategoryTitles() []string {
	var out []string
	for _, c := range regCategories() {
		out = append(out, c[1])
	}
	return out
}

func regCategoryHint() string {
	return "网站内容涉及" + strings.Join(regCategoryTitles(), "、") + "时从下拉列表选择，并在右侧填写前置审批文号；不涉及的留空。"
}

func regLandlineHint() string {
	return "区号加号码，如：0512-88868888。个人主办者属地为" + strings.Join(intake.DefaultRules().LandlineProvinces, "、") + "的必填，其他选填。"
}

func regFilingTypeHint() string {
	var ts []string
	for _, t := range regTypes {
		ts = append(ts, t.Title())
	}
	return "从下拉列表选择：" + strings.Join(ts, "、") + "。已有备案号的网站转到我公司接入，选“" + beian.TypeTransferIn.Title() + "”。"
}

// regLists are the drop-down lists in column order on RegistrationListsSheet.
func regLists() []struct {
	name   string
	values []string
} {
	var kindsList, certs, types []string
	for _, k := range regKindValues {
		kindsList = append(kindsList, k.title)
	}
	for _, c := range regCertValues {
		certs = append(certs, c.title)
	}
	for _, t := range regTypes {
		types = append(types, t.Title())
	}
	return []struct {
		name   string
		values []string
	}{
		{ListProvince, intake.Provinces},
		{ListSponsorKind, kindsList},
		{ListCertType, certs},
		{ListCategory, regCategoryTitles()},
		{ListFilingType, types},
		{ListYesNo, []string{"是", "否"}},
	}
}

// WriteRegistrationForm writes the registration form 《网站备案资料登记表-用户》
// (R-IN-2 item 1) for a sponsor of kind k as an .xlsx workbook: one sheet
// 「登记表」 laid out as a form by RegistrationFields — the title (which
// names the kind), a note on filling it in, the sections 主办者信息,
// 网站负责人, 网站信息 and 备案类型 with labels in columns A and C and the
// inputs beside them — and the hidden sheet 「列表」 that feeds the
// drop-downs (provinces, sponsor kinds, certificate types, pre-approval
// content categories, filing types, 是/否). Every input has an input hint;
// the inputs are unlocked text cells and everything else is locked, the
// sheet and the workbook's structure protected (without a password: the
// protection guides filers, it is no security). Only the fields of k are
// on the form (the legal representative for organisations); the kind and
// its certificate type are filled in. ReadRegistrationForm reads it back.
func WriteRegistrationForm(w io.Writer, k beian.SponsorKind) error {
	if k != beian.SponsorPerson && k != beian.SponsorOrganisation {
		return beian.Errorf(beian.CodeInvalid, "主办者性质“%s”无效，应为 person（个人）或 organisation（单位）", k)
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = RegistrationSheet
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("name sheet: %w", err)
	}
	if err := writeRegLists(f); err != nil {
		return err
	}
	st, err := newRegStyles(f)
	if err != nil {
		return fmt.Errorf("registration form styles: %w", err)
	}
	fields := RegistrationFieldsFor(k)

	steps := []func() error{
		func() error { return f.SetColWidth(sheet, "A", "A", 20) },
		func() error { return f.SetColWidth(sheet, "B", "B", 30) },
		func() error { return f.SetColWidth(sheet, "C", "C", 20) },
		func() error { return f.SetColWidth(sheet, "D", "D", 34) },
		func() error { return f.MergeCell(sheet, "A1", regLastCol+"1") },
		func() error { return f.SetCellStr(sheet, "A1", CellText(regKindTitle(k))) },
		func() error { return f.SetCellStyle(sheet, "A1", regLastCol+"1", st.title) },
		func() error { return f.SetRowHeight(sheet, regTitleRow, 30) },
		func() error { return f.MergeCell(sheet, "A2", regLastCol+"2") },
		func() error { return f.SetCellStr(sheet, "A2", CellText(regNote)) },
		func() error { return f.SetCellStyle(sheet, "A2", regLastCol+"2", st.note) },
		func() error { return f.SetRowHeight(sheet, regNoteRow, 48) },
		func() error { return f.MergeCell(sheet, cell(0, regFootRow), regLastCol+fmt.Sprint(regFootRow)) },
		func() error { return f.SetCellStr(sheet, cell(0, regFootRow), CellText(regFoot)) },
		func() error {
			return f.SetCellStyle(sheet, cell(0, regFootRow), regLastCol+fmt.Sprint(regFootRow), st.note)
		},
		func() error { return f.SetRowHeight(sheet, regFootRow, 30) },
	}
	for _, s := range regSections {
		first, last := cell(0, s.row), fmt.Sprintf("%s%d", regLastCol, s.row)
		steps = append(steps,
			func() error { return f.MergeCell(sheet, first, last) },
			func() error { return f.SetCellStr(sheet, first, CellText(s.title)) },
			func() error { return f.SetCellStyle(sheet, first, last, st.section) },
			func() error { return f.SetRowHeight(sheet, s.row, 22) },
		)
	}
	// Every cell of the form's rows is a locked label cell until an input
	// claims it, so the grid reads as a form.
	for _, fl := range fields {
		_, row, _ := excelize.CellNameToCoordinates(fl.Cell)
		steps = append(steps,
			func() error {
				return f.SetCellStyle(sheet, cell(0, row), fmt.Sprintf("%s%d", regLastCol, row), st.label)
			},
			func() error { return f.SetRowHeight(sheet, row, 22) },
		)
	}
	for _, fl := range fields {
		steps = append(steps, func() error { return writeRegField(f, st, fl, k) })
	}
	if k == beian.SponsorPerson {
		steps = append(steps, func() error { return f.SetRowVisible(sheet, regLegalRepRow, false) })
	}
	noGrid, a4, portrait := false, 9, "portrait"
	fit, wide, tall := true, 1, 1
	steps = append(steps,
		func() error { return f.SetSheetView(sheet, 0, &excelize.ViewOptions{ShowGridLines: &noGrid}) },
		func() error { // the cursor starts on the first field to type
			return f.SetPanes(sheet, &excelize.Panes{Selection: []excelize.Selection{{SQRef: "B5", ActiveCell: "B5"}}})
		},
		func() error { return f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}) },
		func() error {
			return f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &portrait, FitToWidth: &wide, FitToHeight: &tall})
		},
		func() error {
			return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", Scope: sheet,
				RefersTo: fmt.Sprintf("'%s'!$A$1:$%s$%d", sheet, regLastCol, regFootRow)})
		},
		// Filers may select any cell but type only into the inputs; no
		// password, so staff can lift it when they must.
		func() error {
			return f.ProtectSheet(sheet, &excelize.SheetProtectionOptions{SelectLockedCells: true, SelectUnlockedCells: true})
		},
		func() error { return f.ProtectSheet(RegistrationListsSheet, &excelize.SheetProtectionOptions{}) },
		func() error { return f.ProtectWorkbook(&excelize.WorkbookProtectionOptions{LockStructure: true}) },
		func() error {
			return f.SetDocProps(&excelize.DocProperties{Title: RegistrationFormTitle, Subject: regKindTitle(k), Language: "zh-CN"})
		},
	)
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("lay out registration form: %w", err)
		}
	}
	f.SetActiveSheet(0)
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

// writeRegLists writes the drop-down lists onto the hidden lists sheet,
// each under a header and a defined name, so the drop-downs work in every
// Excel and WPS version.
func writeRegLists(f *excelize.File) error {
	const ls = RegistrationListsSheet
	if _, err := f.NewSheet(ls); err != nil {
		return fmt.Errorf("add lists sheet: %w", err)
	}
	for c, l := range regLists() {
		col, err := excelize.ColumnNumberToName(c + 1)
		if err != nil {
			return err
		}
		if err := f.SetCellStr(ls, cell(c, 1), l.name); err != nil {
			return fmt.Errorf("write list %s: %w", l.name, err)
		}
		for i, v := range l.values {
			if err := f.SetCellStr(ls, cell(c, i+2), CellText(v)); err != nil {
				return fmt.Errorf("write list %s: %w", l.name, err)
			}
		}
		if err := f.SetDefinedName(&excelize.DefinedName{
			Name:     l.name,
			RefersTo: fmt.Sprintf("'%s'!$%s$2:$%s$%d", ls, col, col, len(l.values)+1),
		}); err != nil {
			return fmt.Errorf("name list %s: %w", l.name, err)
		}
	}
	if err := f.SetSheetVisible(ls, false); err != nil {
		return fmt.Errorf("hide lists sheet: %w", err)
	}
	return nil
}

type regStyles struct{ title, note, section, label, input int }

func newRegStyles(f *excelize.File) (regStyles, error) {
	var st regStyles
	grid := []excelize.Border{
		{Type: "left", Color: "A6A6A6", Style: 1}, {Type: "right", Color: "A6A6A6", Style: 1},
		{Type: "top", Color: "A6A6A6", Style: 1}, {Type: "bottom", Color: "A6A6A6", Style: 1},
	}
	for _, s := range []struct {
		dst   *int
		style excelize.Style
	}{
		{&st.title, excelize.Style{
			Font:       &excelize.Font{Bold: true, Size: 16},
			Alignment:  &excelize.Alignment{Horizontal: "center", Vertical: "center"},
			Protection: &excelize.Protection{Locked: true},
		}},
		{&st.note, excelize.Style{
			Font:       &excelize.Font{Italic: true, Color: "595959", Size: 10},
			Alignment:  &excelize.Alignment{WrapText: true, Vertical: "center"},
			Protection: &excelize.Protection{Locked: true},
		}},
		{&st.section, excelize.Style{
			Font:       &excelize.Font{Bold: true, Size: 12},
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment:  &excelize.Alignment{Vertical: "center"},
			Border:     grid,
			Protection: &excelize.Protection{Locked: true},
		}},
		{&st.label, excelize.Style{
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}},
			Alignment:  &excelize.Alignment{Vertical: "center", WrapText: true},
			Border:     grid,
			Protection: &excelize.Protection{Locked: true},
		}},
		{&st.input, excelize.Style{ // "@": typed ID numbers and IPs stay text
			NumFmt:     49,
			Alignment:  &excelize.Alignment{Vertical: "center", WrapText: true},
			Border:     grid,
			Protection: &excelize.Protection{Locked: false},
		}},
	} {
		id, err := f.NewStyle(&s.style)
		if err != nil {
			return st, err
		}
		*s.dst = id
	}
	return st, nil
}

// writeRegField writes one field: its label (with a red * when required),
// its unlocked input cell (merged across B:D for the wide ones, filled in
// for the kind's own sponsor kind and certificate type) and its input hint
// and drop-down.
func writeRegField(f *excelize.File, st regStyles, fl FormField, k beian.SponsorKind) error {
	const sheet = RegistrationSheet
	runs := []excelize.RichTextRun{{Text: CellText(fl.Label)}}
	if fl.Required {
		runs = append(runs, excelize.RichTextRun{Text: " *", Font: &excelize.Font{Color: "C00000", Bold: true}})
	}
	if err := f.SetCellRichText(sheet, fl.LabelCell(), runs); err != nil {
		return fmt.Errorf("label %s: %w", fl.Key, err)
	}
	last := fl.Cell
	if slices.Contains(regWide, fl.Key) {
		_, row, _ := excelize.CellNameToCoordinates(fl.Cell)
		last = fmt.Sprintf("%s%d", regLastCol, row)
		if err := f.MergeCell(sheet, fl.Cell, last); err != nil {
			return fmt.Errorf("merge %s: %w", fl.Key, err)
		}
		if fl.Key == "website.domains" || fl.Key == "website.server_ips" {
			if err := f.SetRowHeight(sheet, row, 36); err != nil {
				return err
			}
		}
	}
	if err := f.SetCellStyle(sheet, fl.Cell, last, st.input); err != nil {
		return fmt.Errorf("style %s: %w", fl.Key, err)
	}
	if v := regPrefill(fl.Key, k); v != "" {
		if err := f.SetCellStr(sheet, fl.Cell, CellText(v)); err != nil {
			return fmt.Errorf("fill %s: %w", fl.Key, err)
		}
	}
	// Excel refuses to open a file whose prompt title passes 32 characters
	// or whose prompt or error message passes 255.
	if regUTF16Len(fl.Label) > 32 || regUTF16Len(fl.Hint) > 255 {
		return fmt.Errorf("input hint %s: label or hint too long for Excel", fl.Key)
	}
	dv := excelize.NewDataValidation(true)
	dv.Sqref = fl.Cell
	dv.SetInput(fl.Label, fl.Hint)
	if fl.List != "" {
		dv.SetSqrefDropList(fl.List)
		msg := fl.Label + "只能从下拉列表中选择：" + strings.Join(regListValues(fl.List), "、")
		if regUTF16Len(msg) > 255 {
			msg = fl.Label + "只能从下拉列表中选择。"
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "请从下拉列表中选择", msg)
	}
	if err := f.AddDataValidation(sheet, dv); err != nil {
		return fmt.Errorf("input hint %s: %w", fl.Key, err)
	}
	return nil
}

// regPrefill is what the form of kind k carries in an input: its sponsor
// kind and that kind's certificate type.
func regPrefill(key string, k beian.SponsorKind) string {
	switch key {
	case "sponsor.kind":
		return regKindLabel(k)
	case "sponsor.cert_type":
		for _, c := range regCertValues {
			if c.kind == k {
				return c.title
			}
		}
	}
	return ""
}

// regListValues are the values of the drop-down list of that name.
func regListValues(name string) []string {
	for _, l := range regLists() {
		if l.name == name {
			return l.values
		}
	}
	return nil
}

// regLabelKey makes labels and titles comparable: foldKey without the
// required mark.
func regLabelKey(s string) string {
	return strings.NewReplacer("*", "", "＊", "").Replace(foldKey(s))
}

// ReadRegistrationForm reads a filled registration form 《网站备案资料登记表-用户》
// (R-IN-2 item 1), as WriteRegistrationForm wrote it, into the case the API
// would build from the same data as JSON (nothing checked: the caller runs
// intake.Check). The sheet 「登记表」 must be there with its title (which
// says the sponsor kind) and its labels where RegistrationFields puts them.
// Values are trimmed; drop-down values are read by their list title or
// their code, in full- or half-width (个人 or person, 江苏省 or 江苏, 新闻 or
// news, 新增备案 or new): kind and type become their codes, the certificate
// type id_card or uscc, the province its short name, a content category its
// pre-approval category code, with a document number also a pre-approval.
// Domains and server IPs may be several to a cell, separated by 、 , ; space
// or newline; IPs are parsed (full-width digits allowed) and given in
// canonical form; domains are left for intake to normalise. A blank sponsor
// kind is the form's. The filing number is read for the types that work on
// an existing filing (NeedsFilingNumber) and when the type is not known; the
// filing password is never on the form.
//
// The map gives, for each field key of the form's kind, its cell
// ("sponsor.cert_number" → "登记表!B6"), so that intake's violations (Field
// "sponsor.cert_number", "website.domains[1]") can be shown on cells: every
// key of RegistrationFieldsFor(kind) except the slot keys, each domain and
// server IP by index ("website.domains[1]", "website.server_ips[0]" → the
// one cell they share), each category and pre-approval by its index in the
// case ("website.categories[0]", "website.pre_approvals[0].category" and
// ".document_no", "website.pre_approvals[0]"), and the whole lists and
// objects intake may name ("website.domains", "website.server_ips",
// "website.categories", "website.pre_approvals", "sponsor.legal_rep").
//
// Every problem is reported at once as a *beian.Error with code
// RULE_VIOLATIONS whose violations (rule R-IN-2) name the cell (Field
// "登记表!D6") in Chinese: NOT_FORM (no sheet 「登记表」, a title or label
// not in its place), EMPTY (nothing filled in), INVALID_CELL (a value not in
// its drop-down list, an IP that does not parse, a number Excel turned into
// a rounded one, a formula, a document number without a category, a filing
// number on a new filing) and DUPLICATE (a category twice); no case is
// returned then. NOT_FORM violations come alone: on a sheet whose labels
// moved no value is read, since it would land under another field. A file
// that is no .xlsx workbook is UNSUPPORTED_TYPE, a damaged one INVALID, one
// that unpacks past 128 MiB TOO_LARGE, as for the other imports of this
// package.
func ReadRegistrationForm(r io.Reader) (*beian.Case, map[string]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read registration form: %w", err)
	}
	formulas, err := checkWorkbook(data)
	if err != nil {
		return nil, nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzipped})
	if err != nil {
		return nil, nil, beian.Errorf(beian.CodeUnsupportedType, msgNotWorkbook)
	}
	defer f.Close()
	rd := &regReader{f: f, formulas: formulas, labels: map[string]string{}}
	c, cells := rd.read()
	if rd.broken != nil {
		return nil, nil, rd.broken
	}
	if len(rd.vs) > 0 {
		return nil, nil, &beian.Error{
			Code:       beian.CodeViolations,
			Message:    fmt.Sprintf("登记表有 %d 处错误，未读取任何内容", len(rd.vs)),
			Violations: rd.vs,
		}
	}
	return c, cells, nil
}

type regReader struct {
	f        *excelize.File
	formulas bool              // a worksheet may hold formulas: check each input
	kind     beian.SponsorKind // the form's, from its title
	labels   map[string]string // input cell → label, for messages
	vs       []beian.Violation
	broken   error // the sheet could not be read at all
}

func (rd *regReader) add(code, at, format string, args ...any) {
	what := ""
	if l := rd.labels[at]; l != "" {
		what = "（" + l + "）"
	}
	rd.vs = append(rd.vs, beian.Violation{
		Rule: "R-IN-2", Code: code, Field: RegistrationSheet + "!" + at,
		Message: fmt.Sprintf("工作表「%s」单元格 %s%s：", RegistrationSheet, at, what) + fmt.Sprintf(format, args...),
	})
}

// value is the trimmed text of a cell as stored (no number format applied).
func (rd *regReader) value(at string) string {
	v, err := rd.f.GetCellValue(RegistrationSheet, at, excelize.Options{RawCellValue: true})
	if err != nil {
		if rd.broken == nil {
			rd.broken = beian.Errorf(beian.CodeInvalid, "无法读取工作表「%s」：%s", RegistrationSheet, msgCorrupt)
		}
		return ""
	}
	return strings.TrimSpace(v)
}

func (rd *regReader) read() (*beian.Case, map[string]string) {
	if i, err := rd.f.GetSheetIndex(RegistrationSheet); err != nil || i < 0 {
		rd.vs = append(rd.vs, beian.Violation{
			Rule: "R-IN-2", Code: CodeNotForm, Field: RegistrationSheet + "!A1",
			Message: fmt.Sprintf("工作簿中没有工作表「%s」（现有：%s）：这不是《%s》，或工作表被改了名。请用下载的登记表填写，不要修改工作表名称",
				RegistrationSheet, shortText(strings.Join(rd.f.GetSheetList(), "、")), RegistrationFormTitle),
		})
		return nil, nil
	}
	if !rd.readKind() || !rd.checkLabels() {
		return nil, nil
	}
	fields := RegistrationFieldsFor(rd.kind)
	vals := map[string]string{}
	at := map[string]string{}
	for _, fl := range fields {
		rd.labels[fl.Cell] = fl.Label
		at[fl.Key] = fl.Cell
		vals[fl.Key] = rd.input(fl)
	}
	if rd.broken != nil {
		return nil, nil
	}
	if len(rd.vs) == 0 && rd.empty(fields, vals) {
		rd.add(CodeEmpty, at["sponsor.name"], "登记表是空的：请在白色单元格中填写主办者、网站负责人、网站和备案类型的信息后再上传")
		return nil, nil
	}

	cells := map[string]string{}
	for _, fl := range fields {
		if !strings.Contains(fl.Key, "[") {
			cells[fl.Key] = RegistrationSheet + "!" + fl.Cell
		}
	}
	c := &beian.Case{}
	s := &c.Sponsor
	s.Kind = rd.sponsorKind(vals["sponsor.kind"], at["sponsor.kind"])
	s.CertType = rd.certType(vals["sponsor.cert_type"], at["sponsor.cert_type"])
	s.Name, s.CertNumber = vals["sponsor.name"], vals["sponsor.cert_number"]
	s.Province = rd.province(vals["sponsor.province"], at["sponsor.province"])
	s.City, s.Address = vals["sponsor.city"], vals["sponsor.address"]
	if rd.kind == beian.SponsorOrganisation {
		cells["sponsor.legal_rep"] = cells["sponsor.legal_rep.name"]
		if name, id := vals["sponsor.legal_rep.name"], vals["sponsor.legal_rep.id_number"]; name != "" || id != "" {
			s.LegalRep = &beian.Person{Name: name, IDNumber: id}
		}
	}
	c.Principal = beian.Principal{
		Name: vals["principal.name"], IDNumber: vals["principal.id_number"], Mobile: vals["principal.mobile"],
		Landline: vals["principal.landline"], Email: vals["principal.email"], QQ: vals["principal.qq"],
	}

	w := &c.Website
	w.Name = vals["website.name"]
	w.Domains = regSplit(vals["website.domains"])
	for i := range w.Domains {
		cells[fmt.Sprintf("website.domains[%d]", i)] = cells["website.domains"]
	}
	for _, raw := range regSplit(vals["website.server_ips"]) {
		a, err := netip.ParseAddr(width.Fold.String(raw))
		if err != nil || a.Zone() != "" {
			rd.add(CodeInvalidCell, at["website.server_ips"], "「%s」不是有效的 IPv4 或 IPv6 地址（多个 IP 用顿号、逗号、分号、空格或换行分隔）", shortText(raw))
			continue
		}
		cells[fmt.Sprintf("website.server_ips[%d]", len(w.ServerIPs))] = cells["website.server_ips"]
		w.ServerIPs = append(w.ServerIPs, a.Unmap().String())
	}
	rd.categories(c, vals, at, cells)
	w.Interactive = rd.yesNo(vals["website.interactive"], at["website.interactive"])

	c.Type = rd.filingType(vals["type"], at["type"])
	switch n := vals["filing_number"]; {
	case n == "":
	case c.Type == beian.TypeNew:
		rd.add(CodeInvalidCell, at["filing_number"], "新增备案不填原备案号（现为「%s」）：网站已有备案号的，转到我公司接入请选“%s”，修改备案信息请选“%s”",
			shortText(n), beian.TypeTransferIn.Title(), beian.TypeChange.Title())
	default: // a type that needs it, or one not known (intake names the type)
		c.FilingNumber = n
	}
	if len(rd.vs) > 0 {
		return nil, nil
	}
	return c, cells
}

// readKind finds the form's sponsor kind by its title in row 1.
func (rd *regReader) readKind() bool {
	title := rd.value("A1")
	for _, k := range regKindValues {
		if regLabelKey(title) == regLabelKey(regKindTitle(k.kind)) {
			rd.kind = k.kind
			return true
		}
	}
	if rd.broken != nil {
		return false
	}
	rd.add(CodeNotForm, "A1", "标题应为「%s」或「%s」，现为「%s」：这不是下载的《%s》，或表格的行列被改动过。请用下载的登记表重新填写",
		regKindTitle(beian.SponsorPerson), regKindTitle(beian.SponsorOrganisation), shortText(title), RegistrationFormTitle)
	return false
}

// checkLabels requires every label and section heading of the kind's form
// in its cell: a moved row or column would put values under other keys.
func (rd *regReader) checkLabels() bool {
	want := map[string]string{}
	for _, s := range regSections {
		want[cell(0, s.row)] = s.title
	}
	for _, fl := range RegistrationFieldsFor(rd.kind) {
		want[fl.LabelCell()] = fl.Label
	}
	ok := true
	for _, at := range slices.SortedFunc(maps.Keys(want), regCellOrder) {
		got := rd.value(at)
		if rd.broken != nil {
			return false
		}
		if regLabelKey(got) != regLabelKey(want[at]) {
			rd.add(CodeNotForm, at, "应为标签「%s」，现为「%s」：表格的行列被移动或改动过，请用下载的登记表重新填写", want[at], shortText(got))
			ok = false
		}
	}
	return ok
}

// regCellOrder orders cell names by row, then column.
func regCellOrder(a, b string) int {
	ca, ra, _ := excelize.CellNameToCoordinates(a)
	cb, rb, _ := excelize.CellNameToCoordinates(b)
	if ra != rb {
		return ra - rb
	}
	return ca - cb
}

// regScientific matches a number as Excel stores a long one it rounded.
var regScientific = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+$`)

// regNumberKeys are the fields that hold long digit strings, which Excel
// rounds to 15 digits when they are typed into a cell not formatted as text.
var regNumberKeys = []string{"sponsor.cert_number", "sponsor.legal_rep.id_number", "principal.id_number", "principal.mobile", "principal.landline", "principal.qq"}

// input reads an input cell: its text, refusing a formula and a number
// Excel rounded.
func (rd *regReader) input(fl FormField) string {
	v := rd.value(fl.Cell)
	if rd.formulas {
		if fm, err := rd.f.GetCellFormula(RegistrationSheet, fl.Cell); err == nil && fm != "" {
			rd.add(CodeInvalidCell, fl.Cell, "含公式（=%s）：请直接填写内容，不要使用公式", shortText(fm))
			return ""
		}
	}
	if slices.Contains(regNumberKeys, fl.Key) && v != "" {
		digits := strings.Trim(v, "0123456789") == ""
		switch {
		case regScientific.MatchString(v) || (digits && len(v) > 15 && rd.numeric(fl.Cell)):
			rd.add(CodeInvalidCell, fl.Cell, "「%s」被 Excel 当作数字保存，超过 15 位的部分已丢失：请把单元格设为文本（或先输入英文单引号 '）后重新输入完整号码", shortText(v))
			return ""
		case fl.Key == "principal.landline" && digits && rd.numeric(fl.Cell):
			rd.add(CodeInvalidCell, fl.Cell, "「%s」被 Excel 当作数字保存，区号开头的 0 已丢失：请把单元格设为文本后按“区号-号码”重新输入，如 0512-88868888", shortText(v))
			return ""
		}
	}
	return v
}

func (rd *regReader) numeric(at string) bool {
	t, err := rd.f.GetCellType(RegistrationSheet, at)
	return err == nil && (t == excelize.CellTypeNumber || t == excelize.CellTypeUnset)
}

// empty reports whether nothing was typed: every input blank or as the
// form was downloaded.
func (rd *regReader) empty(fields []FormField, vals map[string]string) bool {
	for _, fl := range fields {
		v := vals[fl.Key]
		if v == "" || (slices.Contains(regPrefilled, fl.Key) && regLabelKey(v) == regLabelKey(regPrefill(fl.Key, rd.kind))) {
			continue
		}
		return false
	}
	return true
}

func (rd *regReader) notInList(at, v, list string) {
	rd.add(CodeInvalidCell, at, "「%s」不在下拉列表中，应为：%s", shortText(v), strings.Join(regListValues(list), "、"))
}

func (rd *regReader) sponsorKind(v, at string) beian.SponsorKind {
	if v == "" {
		return rd.kind
	}
	key := regLabelKey(v)
	for _, k := range regKindValues {
		if key == regLabelKey(k.title) || key == regLabelKey(string(k.kind)) ||
			(k.kind == beian.SponsorOrganisation && (key == "企业" || key == "单位/企业" || key == "ORGANIZATION")) {
			if k.kind != rd.kind {
				rd.add(CodeInvalidCell, at, "本表是%s主办者的登记表（见标题），主办者性质应为“%s”：%s主办者请下载%s主办者的登记表重新填写",
					regKindLabel(rd.kind), regKindLabel(rd.kind), k.title, k.title)
			}
			return rd.kind
		}
	}
	rd.notInList(at, v, ListSponsorKind)
	return rd.kind
}

func (rd *regReader) certType(v, at string) string {
	if v == "" {
		return ""
	}
	key := regLabelKey(v)
	for _, c := range regCertValues {
		if key == regLabelKey(c.title) || key == regLabelKey(c.code) || (c.code == beian.CertIDCard && key == "身份证") {
			return c.code
		}
	}
	rd.notInList(at, v, ListCertType)
	return ""
}

func (rd *regReader) province(v, at string) string {
	if v == "" {
		return ""
	}
	if p, ok := intake.CanonicalProvince(normaliseTitle(v)); ok {
		return p
	}
	rd.add(CodeInvalidCell, at, "「%s」不是大陆的省、自治区或直辖市：请从下拉列表中选择", shortText(v))
	return ""
}

func (rd *regReader) filingType(v, at string) beian.CaseType {
	if v == "" {
		return ""
	}
	key := regLabelKey(v)
	for _, t := range regTypes {
		title := regLabelKey(t.Title())
		if key == title || key == regLabelKey(string(t)) || key+"备案" == title {
			return t
		}
	}
	rd.notInList(at, v, ListFilingType)
	return ""
}

// regYes and regNo are the spellings of 是 and 否 (after regLabelKey).
var (
	regYes = []string{"是", "有", "Y", "YES", "TRUE", "1", "√"}
	regNo  = []string{"否", "无", "没有", "N", "NO", "FALSE", "0", "×"}
)

func (rd *regReader) yesNo(v, at string) bool {
	key := regLabelKey(v)
	switch {
	case v == "" || slices.Contains(regNo, key):
		return false
	case slices.Contains(regYes, key):
		return true
	}
	rd.notInList(at, v, ListYesNo)
	return false
}

// categories reads the three content-category slots: a category is a
// content category of the site and, with a document number, a pre-approval
// (前置审批, R-IN-4).
func (rd *regReader) categories(c *beian.Case, vals, at, cells map[string]string) {
	w := &c.Website
	seen := map[string]string{} // code → label of its slot
	for i := 0; ; i++ {
		catKey := fmt.Sprintf("website.categories[%d]", i)
		docKey := fmt.Sprintf("website.pre_approvals[%d].document_no", i)
		catAt, ok := at[catKey]
		if !ok {
			return
		}
		docAt := at[docKey]
		if i == 0 {
			cells["website.categories"] = RegistrationSheet + "!" + catAt
			cells["website.pre_approvals"] = RegistrationSheet + "!" + docAt
		}
		cat, doc := vals[catKey], vals[docKey]
		if cat == "" {
			if doc != "" {
				rd.add(CodeInvalidCell, catAt, "右侧填写了审批文号「%s」，但没有选择内容类别：请在本格选择该文号对应的类别", shortText(doc))
			}
			continue
		}
		code := regCategoryCode(cat)
		if code == "" {
			rd.notInList(catAt, cat, ListCategory)
			continue
		}
		if prev, dup := seen[code]; dup {
			rd.add(CodeDuplicate, catAt, "类别「%s」与%s重复：每个类别只选一次", shortText(cat), prev)
			continue
		}
		seen[code] = rd.labels[catAt]
		cells[fmt.Sprintf("website.categories[%d]", len(w.Categories))] = RegistrationSheet + "!" + catAt
		w.Categories = append(w.Categories, code)
		if doc != "" {
			j := len(w.PreApprovals)
			cells[fmt.Sprintf("website.pre_approvals[%d]", j)] = RegistrationSheet + "!" + catAt
			cells[fmt.Sprintf("website.pre_approvals[%d].category", j)] = RegistrationSheet + "!" + catAt
			cells[fmt.Sprintf("website.pre_approvals[%d].document_no", j)] = RegistrationSheet + "!" + docAt
			w.PreApprovals = append(w.PreApprovals, beian.PreApproval{Category: code, DocumentNo: doc})
		}
	}
}

// regCategoryCode is the pre-approval category code of a category given by
// its title or code; "" when it is none of the list.
func regCategoryCode(v string) string {
	key := regLabelKey(v)
	for _, c := range regCategories() {
		if key == regLabelKey(c[0]) || key == regLabelKey(c[1]) {
			return c[0]
		}
	}
	return ""
}

// regSplit splits a cell of several domains or IPs; nil for none, as the
// JSON without the list gives.
func regSplit(s string) []string {
	out := strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case '、', ',', '，', ';', '；', ' ', '\u3000', '\u00a0', '\t', '\n', '\r':
			return true
		}
		return false
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

// regUTF16Len is a text's length as Excel counts it (UTF-16 units): input
// prompts and error messages hold at most 255.
func regUTF16Len(s string) int { return len(utf16.Encode([]rune(s))) }
