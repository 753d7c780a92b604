package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

// nested is a body of depth objects, {"a":{"a":…{}}}.
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + "{}" + strings.Repeat("}", depth-1)
}

// TestDecodeBodyBounds: the bounds of limits.go refuse a body with a 400
// (413 over the size) whose violation names the field's path and which
// bound; a body just inside each bound is decoded (issue 12 §6).
func TestDecodeBodyBounds(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("域", maxJSONString/3+1) // 3 bytes a character: just over
	for _, tc := range []struct {
		name, body  string
		code, field string // violation; "" for an error without one
		status      string // error code, "" for success
	}{
		{"depth 32", nested(32), "", "", ""},
		{"depth 33", nested(33), CodeJSONTooDeep, strings.TrimSuffix(strings.Repeat("a.", 32), "."), beian.CodeInvalid},
		{"arrays too", strings.Repeat("[", 40) + strings.Repeat("]", 40), CodeJSONTooDeep, strings.Repeat("[0]", 32), beian.CodeInvalid},
		{"depth in a field", `{"sponsor":{"legal_rep":{"name":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}}}`,
			CodeJSONTooDeep, "sponsor.legal_rep.name" + strings.Repeat("[0]", 29), beian.CodeInvalid},
		{"string at the bound", `{"website":{"name":"` + strings.Repeat("x", maxJSONString) + `"}}`, "", "", ""},
		{"string over", `{"website":{"name":"` + long + `"}}`, CodeStringTooLong, "website.name", beian.CodeInvalid},
		{"string in a list", `{"website":{"domains":["a.cn","b.cn","` + long + `"]}}`, CodeStringTooLong, "website.domains[2]", beian.CodeInvalid},
		{"escaped string over", `{"website":{"name":"` + strings.Repeat(`\u57df`, maxJSONString/3+1) + `"}}`, CodeStringTooLong, "website.name", beian.CodeInvalid},
		{"key over", `{"` + long + `":1}`, CodeStringTooLong, "", beian.CodeInvalid},
		{"NUL", `{"principal":{"name":"张\u0000三"}}`, CodeNULInString, "principal.name", beian.CodeInvalid},
		{"number over", `{"n":` + strings.Repeat("9", maxJSONNumber+1) + `}`, CodeNumberTooLong, "n", beian.CodeInvalid},
		{"top-level string over", `"` + long + `"`, CodeStringTooLong, "", beian.CodeInvalid},
		{"invalid UTF-8", "{\"name\":\"\xff\xfe\"}", CodeBodyInvalidUTF8, "", beian.CodeInvalid},
		{"after a member", `{"a":1,"b":` + nested(32) + `}`, CodeJSONTooDeep, "b" + strings.Repeat(".a", 31), beian.CodeInvalid},
		{"long names cut", `{"` + strings.Repeat("名", 100) + `":` + nested(32) + `}`, CodeJSONTooDeep, strings.Repeat("名", 66) + "…", beian.CodeInvalid},
		{"size", `{"a":"` + strings.Repeat("x", maxBody) + `"}`, "", "", beian.CodeTooLarge},
		{"syntax", `{"a":`, "", "", beian.CodeInvalid},
		{"empty", "  ", "", "", beian.CodeInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			err := decodeBody([]byte(tc.body), &v)
			if tc.status == "" {
				require.NoError(t, err)
				return
			}
			var e *beian.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tc.status, e.Code, e.Message)
			require.Regexp(t, `\p{Han}`, e.Message)
			if tc.code == "" {
				require.Empty(t, e.Violations)
				return
			}
			require.Len(t, e.Violations, 1)
			require.Equal(t, tc.code, e.Violations[0].Code)
			require.Equal(t, tc.field, e.Violations[0].Field)
			if tc.field != "" {
				require.Contains(t, e.Message, tc.field)
			}
		})
	}
}

// TestDecodeBodyKeepsItsRules: the strict rules decodeJSON had stay:
// unknown fields, wrong types and a second value are refused by name.
func TestDecodeBodyKeepsItsRules(t *testing.T) {
	t.Parallel()
	var b filingBody
	err := decodeBody([]byte(`{"sponsor":{"nmae":"x"}}`), &b)
	require.ErrorContains(t, err, `未知字段 "nmae"`)
	err = decodeBody([]byte(`{"website":{"domains":"a.cn"}}`), &b)
	require.ErrorContains(t, err, "字段 website.domains 的类型错误")
	err = decodeBody([]byte(`{} {}`), &b)
	require.ErrorContains(t, err, "只能包含一个 JSON 对象")
	require.NoError(t, decodeBody([]byte(`{"type":"new","website":{"domains":["例子.中国"],"pre_approvals":[{"category":"新闻"}]}}`), &b))
	require.Equal(t, []string{"例子.中国"}, b.Website.Domains)
}

// decodeTargets are the named bodies of the API with the conversion each
// handler applies after decoding (dto.go, rules.go, customers.go,
// staff.go, admin.go); the anonymous bodies of the other handlers are the
// generic "any" here and, with their handlers, in FuzzWriteRoutes.
var decodeTargets = []struct {
	name string
	run  func([]byte) error
}{
	{"any", func(b []byte) error { var v any; return decodeBody(b, &v) }},
	{"filing", func(b []byte) error {
		var v filingBody
		if err := decodeBody(b, &v); err != nil {
			return err
		}
		// A correction applies its body onto bodyFromCase of the current
		// case: once through the conversions, a body must stay as it is.
		once := bodyFromCase(caseFromBody(v))
		if twice := bodyFromCase(caseFromBody(once)); !reflect.DeepEqual(once, twice) {
			return fmt.Errorf("filing body round trip: %+v, then %+v", once, twice)
		}
		return nil
	}},
	{"rules", func(b []byte) error {
		var v rulesBody
		if err := decodeBody(b, &v); err != nil {
			return err
		}
		_, vs := rulesFromBody(v)
		for _, x := range vs {
			if x.Code == "" || x.Field == "" || x.Message == "" {
				return fmt.Errorf("rules violation %+v", x)
			}
		}
		return nil
	}},
	{"customer", func(b []byte) error {
		var v customerBody
		if err := decodeBody(b, &v); err != nil {
			return err
		}
		_ = customerInput(v)
		return nil
	}},
	{"staff", func(b []byte) error { var v staffBody; return decodeBody(b, &v) }},
	{"datacentres", func(b []byte) error { var v []dataCentreJSON; return decodeBody(b, &v) }},
}

// depthAndLongest measures a decoded value: its nesting and its longest
// string or key.
func depthAndLongest(v any) (depth, longest int) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			d, l := depthAndLongest(e)
			depth, longest = max(depth, d), max(longest, l, len(k))
		}
		return depth + 1, longest
	case []any:
		for _, e := range x {
			d, l := depthAndLongest(e)
			depth, longest = max(depth, d), max(longest, l)
		}
		return depth + 1, longest
	case string:
		return 0, len(x)
	}
	return 0, 0
}

var knownDecodeCodes = []string{beian.CodeInvalid, beian.CodeTooLarge}
var knownShapeCodes = []string{CodeJSONTooDeep, CodeStringTooLong, CodeNumberTooLong, CodeNULInString, CodeBodyInvalidUTF8}

// FuzzDecodeBody: whatever a client sends, decodeJSON's core and each
// body's conversion do not panic; every refusal is a *beian.Error of
// INVALID or TOO_LARGE with a Chinese message (and at most one shape
// violation of limits.go's codes); every body it accepts is within the
// bounds, measured independently of checkShape.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		// The bodies of the API's own tests (writes_test.go, e2e) and of api.md.
		`{"type":"new","sponsor":{"kind":"person","name":"张三","cert_type":"id_card","cert_number":"11010519491231002X","province":"广东省","city":"深圳市","address":"南山区科技园1号"},` +
			`"principal":{"name":"张三","id_number":"11010519491231002X","mobile":"13800138000","email":"zhang@example.cn"},` +
			`"website":{"name":"张三的博客","domains":["example.cn"],"server_ips":["198.51.100.7"],"categories":["博客"],"pre_approvals":[],"interactive":false}}`,
		`{"sponsor":{"kind":"organisation","legal_rep":{"name":"李四","id_number":"110105194912310029"}},"overrides":["REGION_NAME_IN_PERSONAL_SITE"]}`,
		`{"source":"admin","suspended_residences":{"江苏省":["3205"]},"landline_provinces":["江苏省"],"national_words":["中国"],"region_names":["苏州"],"pre_approval_categories":{"新闻":"新闻"}}`,
		`{"id":"C-1","name":"示例客户","contact":{"name":"王五","mobile":"13900139000","email":"w@example.cn"},"products":[{"id":"P-1","server_ips":["198.51.100.7"],"valid_until":"2099-12-31"}]}`,
		`{"username":"li","name":"小李","role":"specialist","email":"li@example.cn","password":"a long enough password"}`,
		`[{"name":"苏州机房","province":"江苏省","access_provider":"电信","mailbox":"JSBA","cidrs":["198.51.100.0/24"]}]`,
		`{"reason":"资料不全","note":"x"}`, `{"decision":"approved","filing_number":"苏ICP备12345678号-1"}`,
		`{"` + strings.Repeat("k", 70000) + `":1}`, `{"` + strings.Repeat("k", 60000) + `":1}`, nested(32), nested(33), `{"a":"\u0000"}`, `{"a":1e999999}`, `{"a":-0.0000001}`, "\xef\xbb\xbf{}", `{"a":"\ud800"}`, `[`, `null`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	han := regexp.MustCompile(`\p{Han}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, tg := range decodeTargets {
			err := tg.run(body)
			if err == nil {
				continue
			}
			var e *beian.Error
			if !errors.As(err, &e) {
				t.Fatalf("%s: not a *beian.Error: %v", tg.name, err)
			}
			if !slices.Contains(knownDecodeCodes, e.Code) || !han.MatchString(e.Message) {
				t.Fatalf("%s: code %s, message %q", tg.name, e.Code, e.Message)
			}
			if len(e.Message) > 2*maxPathShown+200 {
				t.Fatalf("%s: a message of %d bytes repeats the client's names whole", tg.name, len(e.Message))
			}
			if len(e.Violations) > 1 || (len(e.Violations) == 1 && !slices.Contains(knownShapeCodes, e.Violations[0].Code)) {
				t.Fatalf("%s: violations %+v", tg.name, e.Violations)
			}
		}
		var v any
		if decodeBody(body, &v) != nil {
			return
		}
		depth, longest := depthAndLongest(v)
		if depth > maxJSONDepth || longest > maxJSONString {
			t.Fatalf("accepted a body %d deep with a string of %d bytes", depth, longest)
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("accepted a body that does not encode again: %v", err)
		}
	})
}
