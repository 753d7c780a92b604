package api

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian/intake"
)

// op describes one operation for the OpenAPI document.
type op struct {
	method, path, summary, roles string
	body                         string // schema name of the JSON body, if any
	ok                           int
}

// operations is the published API. The OpenAPI test checks that every
// route the server serves is here and every operation here is served.
var operations = []op{
	{"GET", "/healthz", "存活检查", "", "", 200},
	{"GET", "/readyz", "就绪检查：数据库、Temporal、任务队列上有工作进程（不可用时 503，附中文说明）", "", "", 200},
	{"GET", "/api/v1/openapi.json", "本文档", "", "", 200},
	{"GET", "/metrics", "Prometheus 指标", "", "", 200},
	{"POST", "/api/v1/filings/check", "预检：运行全部受理规则，不做任何修改", "specialist supervisor", "FilingBody", 200},
	{"POST", "/api/v1/filings", "新建备案申请（已保存但流程引擎暂不可用时 202，附 warning，流程稍后自动启动）", "specialist supervisor", "FilingBody", 201},
	{"GET", "/api/v1/filings", "备案申请列表（status, province（系统或管局省份）, system_province, bureau_province, domain, overdue, q, limit, cursor）", "specialist supervisor bureau", "", 200},
	{"GET", "/api/v1/filings/{id}", "查看备案申请（?reveal=true 主管可见完整证件号与密码，留审计记录）", "specialist supervisor bureau", "", 200},
	{"POST", "/api/v1/filings/{id}/materials", "登记已收到的材料", "specialist supervisor", "Materials", 200},
	{"POST", "/api/v1/filings/{id}/review", "接入商审核：pass 提交管局，fail 退回用户更正", "specialist supervisor", "Review", 200},
	{"POST", "/api/v1/filings/{id}/corrections", "提交更正（与新建相同结构，可只含更正部分）", "specialist supervisor", "FilingBody", 200},
	{"POST", "/api/v1/filings/{id}/bureau-decision", "管局结论或收件确认（?async=true 以信号方式送达，202）", "specialist supervisor bureau", "BureauDecision", 200},
	{"POST", "/api/v1/filings/{id}/withdraw", "撤回备案申请", "specialist supervisor", "Reason", 200},
	{"POST", "/api/v1/filings/{id}/rectification", "要求整改（24小时期限）", "specialist supervisor", "Rectification", 200},
	{"POST", "/api/v1/filings/{id}/rectified", "整改完成", "specialist supervisor", "Reason", 200},
	{"POST", "/api/v1/filings/{id}/restore-access", "恢复接入", "supervisor", "Reason", 200},
	{"POST", "/api/v1/filings/{id}/cancel-access", "立即取消接入（R-PA-2，须写明原因）", "supervisor", "Reason", 200},
	{"POST", "/api/v1/filings/{id}/sms-verified", "记录用户已完成工信部短信核验（R-BR-6；管局审核期限自当日起计）", "specialist supervisor", "Reason", 200},
	{"POST", "/api/v1/filings/{id}/public-security", "登记公安联网备案号（R-PA-6）", "specialist supervisor", "PublicSecurity", 200},
	{"GET", "/api/v1/filings/{id}/mails", "该申请已发送或待发送的邮件", "specialist supervisor", "", 200},
	{"GET", "/api/v1/filings/{id}/attachments/{attachment_id}", "下载用户邮件中的附件（留审计记录）", "specialist supervisor", "", 200},
	{"GET", "/api/v1/mailbox/messages", "备案邮箱收到的邮件（status=unmatched|matched|replied, filing_id）", "specialist supervisor", "", 200},
	{"POST", "/api/v1/mailbox/messages/{id}/match", "将未匹配的邮件归入备案申请（filing_id）", "specialist supervisor", "MailMatch", 200},
	{"POST", "/api/v1/mailbox/messages/{id}/reply", "回复用户来信（经发件箱发出，In-Reply-To 串联；停止当日回复期限 R-RV-6）", "specialist supervisor", "MailReply", 200},
	{"POST", "/api/v1/filings/{id}/attachments/{attachment_id}/checklist", "标明邮件附件是材料清单中的哪一项（code；待收材料时同时登记已收到）", "specialist supervisor", "AttachmentChecklist", 200},
	{"GET", "/api/v1/filings/{id}/dns", "立即解析该申请的域名，是否指向我公司机房IP（R-RV-2）", "specialist supervisor", "", 200},
	{"GET", "/api/v1/filings/{id}/sweeps", "该备案最近的空壳网站排查结果（R-PA-3）", "specialist supervisor", "", 200},
	{"POST", "/api/v1/sweeps", "立即运行空壳网站排查（R-PA-3）；已有排查在运行时返回该排查（joined, 200）", "supervisor", "", 202},
	{"GET", "/api/v1/sweeps", "最近十次排查", "specialist supervisor", "", 200},
	{"GET", "/api/v1/sweeps/{id}", "排查进度与结果（默认列出需处理的 elsewhere、nxdomain、unresolved；class, limit, cursor）", "specialist supervisor", "", 200},
	{"GET", "/api/v1/sweeps/{id}/report.xlsx", "排查报告（.xlsx：各类数量、各省份数量、每个域名的解析证据）", "specialist supervisor", "", 200},
	{"POST", "/api/v1/filings/{id}/verification-calls", "要求对该申请进行一次核验电话（R-VC）", "specialist supervisor", "Reason", 200},
	{"POST", "/api/v1/filings/{id}/false-data", "主管确认核验发现的信息虚假（已与销售核实）：主办者列入黑名单（R-PA-1）", "supervisor", "Reason", 201},
	{"GET", "/api/v1/tasks", "员工任务（kind, status）", "specialist supervisor", "", 200},
	{"POST", "/api/v1/tasks/{id}/complete", "记录核验电话：answered（逐项比对，match/mismatch）或 no_answer", "specialist supervisor", "TaskComplete", 200},
	{"GET", "/api/v1/access-actions", "接入操作（status=pending|confirmed）", "tech specialist supervisor", "", 200},
	{"POST", "/api/v1/access-actions/{id}/confirm", "技术部确认已执行", "tech", "", 200},
	{"GET", "/api/v1/datacenters", "机房与网段", "admin", "", 200},
	{"PUT", "/api/v1/datacenters", "替换机房与网段列表", "admin", "DataCentres", 200},
	{"GET", "/api/v1/calendar/due", "管局审核期限（from, working_days；答复含 known_years、unknown_years）", "specialist supervisor tech bureau", "", 200},
	{"GET", "/api/v1/calendar/days/{date}", "某日是否工作日", "specialist supervisor tech bureau", "", 200},
	{"PUT", "/api/v1/calendar/days/{date}", "补录或更正节假日/调休", "admin", "CalendarDay", 200},
	{"PUT", "/api/v1/calendar/years/{year}", "标记某年节假日安排已公布并录入（published）；未公布且无内置数据的年份，期限按周末规则暂估", "admin", "CalendarYear", 200},
	{"GET", "/api/v1/rules", "当前生效的受理规则（source: default 默认 / override 管理员修改）", "supervisor", "", 200},
	{"PUT", "/api/v1/rules", "替换受理规则（完整规则对象；校验不通过 422，逐条列出；下一次检查即生效）", "admin", "Rules", 200},
	{"DELETE", "/api/v1/rules", "恢复默认受理规则", "admin", "", 200},
	{"GET", "/api/v1/blacklist", "黑名单（R-IN-6；证件号码和电话号码脱敏，?reveal=true 主管可见完整号码，留审计记录）", "specialist supervisor", "", 200},
	{"POST", "/api/v1/blacklist", "加入黑名单（kind: cert_number|name|domain|phone）", "supervisor", "BlacklistEntry", 201},
	{"DELETE", "/api/v1/blacklist/{id}", "移出黑名单", "supervisor", "", 204},
	{"GET", "/api/v1/customers", "客户及其接入产品（计费系统副本）", "admin", "", 200},
	{"GET", "/api/v1/customers/{id}", "查看客户及其接入产品", "admin", "", 200},
	{"PUT", "/api/v1/customers/{id}", "替换客户及其接入产品（一个事务，留审计记录）", "admin", "Customer", 200},
	{"GET", "/api/v1/reports/weekly", "管理周报数据（week=2026-W48，默认本周）：受理、提交、通过、退回及原因、删除、管局用时（按省份中位数与最长）、超期、核验电话结果、接入操作及确认用时", "specialist supervisor", "", 200},
	{"GET", "/api/v1/reports/weekly.xlsx", "管理周报 .xlsx（week=2026-W48）", "specialist supervisor", "", 200},
	{"GET", "/api/v1/reports/tracking.xlsx", "备案跟踪表（R-BR-5 十列；province, status, from, to）", "specialist supervisor", "", 200},
	{"GET", "/api/v1/reports/registration-table.xlsx", "网站备案资料登记表-省份（R-RV-3；province 必填，证件号、手机与邮箱脱敏；?reveal=true 主管可导出完整号码；导出人与时间写入文档属性，留审计记录）", "specialist supervisor", "", 200},
	{"GET", "/api/v1/templates/registration-form.xlsx", "网站备案资料登记表-用户（kind=person|organisation；下拉列表、输入提示、标签单元格锁定）", "specialist supervisor", "", 200},
	{"POST", "/api/v1/imports/registration-form", "导入填好的登记表（multipart 字段 file）：按受理规则检查，问题逐条指明单元格；?create=true 无问题时建立申请（201）", "specialist supervisor", "", 200},
	{"GET", "/api/v1/templates/security-sheet.xlsx", "备案和信息安全规范表模板（R-PA-2）", "specialist supervisor", "", 200},
	{"POST", "/api/v1/imports/security-sheet", "上传信息安全规范表（multipart 字段 file）：预览将取消接入的备案、已取消的、未匹配的；整表校验，任一行有误则不接受", "supervisor", "", 200},
	{"POST", "/api/v1/imports/security-sheet/{id}/confirm", "确认上传的信息安全规范表：经各备案流程取消接入；同一文件再次确认不会重复取消", "supervisor", "", 200},
	{"POST", "/api/v1/imports/customers", "导入客户表（.xlsx，multipart 字段 file，每行一个接入产品；最大 10 MiB）", "admin", "", 200},
	{"GET", "/api/v1/reports/expiring-products", "已到期或 within_days 天内到期、仍有在办或有效备案的接入产品", "specialist supervisor", "", 200},
	{"GET", "/api/v1/faq", "常见问题答复库（q 搜索，limit；无 q 时按手册顺序列出全部）", "specialist supervisor tech bureau", "", 200},
	{"GET", "/api/v1/staff", "员工账号（从不返回密码）", "admin", "", 200},
	{"POST", "/api/v1/staff", "新建员工账号（含初始密码 password，至少 10 个字符；留审计记录）", "admin", "Staff", 201},
	{"GET", "/api/v1/staff/{username}", "查看员工账号", "admin", "", 200},
	{"PUT", "/api/v1/staff/{username}", "修改姓名、角色、邮箱、停用（停用即结束其全部会话）", "admin", "Staff", 200},
	{"DELETE", "/api/v1/staff/{username}", "删除员工账号", "admin", "", 204},
	{"PUT", "/api/v1/staff/{username}/password", "设置密码（结束该账号全部会话）", "admin", "Password", 204},
	{"GET", "/api/v1/stats/open-by-status", "图表：在办申请按状态", "specialist supervisor", "", 200},
	{"GET", "/api/v1/stats/open-by-province", "图表：在办申请按系统省份和审核管局", "specialist supervisor", "", 200},
	{"GET", "/api/v1/stats/bureau-decisions", "图表：管局每周结论（weeks，默认 12）", "specialist supervisor", "", 200},
	{"GET", "/api/v1/stats/bureau-days", "图表：管局审核用时的工作日分布（weeks，默认 12）", "specialist supervisor", "", 200},
	{"GET", "/api/v1/stats/intake", "图表：每周受理量（weeks，默认 12）", "specialist supervisor", "", 200},
	// issue 12 §3: the hash-chained audit trail (audit.go).
	{"GET", "/api/v1/audit", "审计日志，最新在前（actor, case（备案申请 ID）, kind（state|case|reveal|sign_in|admin|export）, from, to（RFC 3339）, limit, cursor）；每条带前一条的哈希", "supervisor", "", 200},
}

var schemas = map[string]any{
	"FilingBody": obj(map[string]any{
		"type":            enum("new", "change", "cancel", "transfer_in", "cancel_access"),
		"sponsor":         ref("Sponsor"),
		"principal":       ref("Principal"),
		"website":         ref("Website"),
		"filing_number":   str(),
		"filing_password": str(),
		"overrides":       arr(enum("REGION_NAME_IN_PERSONAL_SITE", "NATIONAL_WORD_IN_SITE_NAME")),
	}),
	"Sponsor": obj(map[string]any{
		"kind": enum("person", "organisation"), "name": str(), "cert_type": enum("id_card", "uscc"),
		"cert_number": str(), "province": str(), "city": str(), "address": str(),
		"legal_rep": obj(map[string]any{"name": str(), "id_number": str()}),
	}),
	"Principal": obj(map[string]any{"name": str(), "id_number": str(), "mobile": str(), "landline": str(), "email": str(), "qq": str()}),
	"Website": obj(map[string]any{
		"name": str(), "domains": arr(str()), "server_ips": arr(str()), "categories": arr(str()),
		"pre_approvals": arr(obj(map[string]any{"category": str(), "document_no": str()})), "interactive": map[string]any{"type": "boolean"},
	}),
	"Materials":           obj(map[string]any{"received": arr(str())}),
	"Review":              obj(map[string]any{"result": enum("pass", "fail"), "reasons": arr(str()), "dns_note": str()}),
	"BureauDecision":      obj(map[string]any{"decision": enum("approved", "returned"), "filing_number": str(), "filing_password": str(), "reason": str(), "received": map[string]any{"type": "boolean"}}),
	"Reason":              obj(map[string]any{"reason": str()}),
	"MailMatch":           obj(map[string]any{"filing_id": str()}),
	"MailReply":           obj(map[string]any{"body": str()}),
	"PublicSecurity":      obj(map[string]any{"number": str()}),
	"AttachmentChecklist": obj(map[string]any{"code": str()}),
	"Rectification":       obj(map[string]any{"reason": str(), "source": enum("manual", "sweep", "verification", "security")}),
	"DataCentres":         arr(obj(map[string]any{"name": str(), "province": str(), "access_provider": str(), "mailbox": str(), "cidrs": arr(str())})),
	"CalendarDay":         obj(map[string]any{"off": map[string]any{"type": "boolean"}, "name": str()}),
	"CalendarYear":        obj(map[string]any{"published": map[string]any{"type": "boolean"}}),
	"Rules": obj(map[string]any{
		"suspended_residences":    map[string]any{"type": "object", "additionalProperties": arr(str())},
		"landline_provinces":      arr(str()),
		"national_words":          arr(str()),
		"region_names":            arr(str()),
		"pre_approval_categories": map[string]any{"type": "object", "additionalProperties": str()},
		"fileable_suffixes":       arr(str()),
		"legacy_credit_codes":     arr(str()),
		// R-IN-2: the materials checklist as data.
		"checklist": arr(obj(map[string]any{
			"code": str(), "title": str(), "note": str(),
			"required":                  map[string]any{"type": "boolean", "default": true},
			"filing_types":              arr(enum("new", "change", "cancel", "transfer_in", "cancel_access")),
			"sponsor_kinds":             arr(enum("person", "organisation")),
			"provinces":                 arr(str()),
			"except_provinces":          arr(str()),
			"conditions":                arr(enum(slices.Sorted(maps.Keys(intake.ChecklistConditions))...)),
			"per_pre_approval_category": map[string]any{"type": "boolean"},
			"conditional_notes": arr(obj(map[string]any{
				"condition": enum(slices.Sorted(maps.Keys(intake.ChecklistConditions))...), "note": str(), "before": map[string]any{"type": "boolean"},
			})),
		})),
		"form_variants":  arr(obj(map[string]any{"province": str(), "item": str(), "code": str(), "title": str()})),
		"province_notes": arr(obj(map[string]any{"province": str(), "item": str(), "sponsor_kind": enum("", "person", "organisation"), "note": str()})),
	}),
	"BlacklistEntry": obj(map[string]any{"kind": enum("cert_number", "name", "domain", "phone"), "value": str(), "reason": str()}),
	"Customer": obj(map[string]any{
		"name":             str(),
		"contact":          obj(map[string]any{"name": str(), "mobile": str(), "email": str()}),
		"account_manager":  obj(map[string]any{"name": str(), "email": str()}),
		"manager_superior": obj(map[string]any{"name": str(), "email": str()}),
		"products":         arr(obj(map[string]any{"id": str(), "server_ips": arr(str()), "valid_until": map[string]any{"type": "string", "format": "date"}})),
	}),
	"Staff": obj(map[string]any{
		"username": str(), "name": str(), "role": enum("specialist", "supervisor", "tech", "bureau", "admin"),
		"email": str(), "disabled": map[string]any{"type": "boolean"}, "password": str(),
	}),
	"Password": obj(map[string]any{"password": str()}),
	"TaskComplete": obj(map[string]any{
		"outcome": enum("answered", "no_answer"),
		"answers": obj(map[string]any{"sponsor_name": str(), "principal": str(), "phone_last4": str(), "email_domain": str(), "province": str(), "city": str()}),
		"dialled": enum("mobile", "landline"),
	}),
	"Error": obj(map[string]any{"error": obj(map[string]any{
		"code": str(), "message": str(),
		"violations": arr(obj(map[string]any{"rule": str(), "code": str(), "field": str(), "message": str()})),
	})}),
}

func obj(props map[string]any) map[string]any {
	return map[string]any{"type": "object", "properties": props}
}
func str() map[string]any            { return map[string]any{"type": "string"} }
func arr(items any) map[string]any   { return map[string]any{"type": "array", "items": items} }
func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
func enum(vals ...string) map[string]any {
	return map[string]any{"type": "string", "enum": vals}
}

// OpenAPIDocument builds the OpenAPI 3 document of the API.
func OpenAPIDocument() map[string]any {
	paths := map[string]any{}
	errResp := map[string]any{"description": "错误", "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
	for _, o := range operations {
		item, _ := paths[o.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[o.path] = item
		}
		x := map[string]any{
			"summary":     o.summary,
			"operationId": strings.ToLower(o.method) + strings.NewReplacer("/api/v1", "", "/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(o.path),
		}
		responses := map[string]any{strconv.Itoa(o.ok): map[string]any{"description": "成功"}, "default": errResp}
		x["responses"] = responses
		if o.roles != "" {
			x["description"] = "角色：" + o.roles + "（admin 可执行全部操作）"
			x["security"] = []any{map[string]any{"bearer": []any{}}}
		}
		if o.body != "" {
			x["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(o.body)}}}
		}
		var params []any
		for _, seg := range strings.Split(o.path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": str()})
			}
		}
		if o.method != "GET" {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false, "schema": str()})
		}
		if len(params) > 0 {
			x["parameters"] = params
		}
		item[strings.ToLower(o.method)] = x
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "beian — 网站备案受理 API", "version": "1.0.0"},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

func (s *Server) openapi(c echo.Context) error {
	return c.JSON(http.StatusOK, OpenAPIDocument())
}
