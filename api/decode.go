package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
)

// Codes of the violations decodeJSON names a field with (the error itself
// is INVALID, 400): they say which bound of limits.go a body broke.
const (
	CodeJSONTooDeep     = "JSON_TOO_DEEP"
	CodeStringTooLong   = "STRING_TOO_LONG"
	CodeNumberTooLong   = "NUMBER_TOO_LONG"
	CodeNULInString     = "NUL_IN_STRING"
	CodeBodyInvalidUTF8 = "INVALID_UTF8"
)

// decodeJSON reads a JSON body strictly into v: every handler's body goes
// through it. Over maxBody it is a 413; malformed JSON, invalid UTF-8, a
// field of the wrong type, an unknown field, more than one value, nesting
// deeper than maxJSONDepth, a string over maxJSONString or with a NUL
// character (PostgreSQL refuses it in text), a number over maxJSONNumber
// are each a 400 that names the problem and, where there is one, the
// field's path (website.domains[2]).
func decodeJSON(c echo.Context, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBody+1))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return beian.Errorf(beian.CodeTooLarge, "请求体超过 1 MiB")
	case err != nil:
		return beian.Errorf(beian.CodeInvalid, "读取请求体失败")
	}
	return decodeBody(body, v)
}

// decodeBody is decodeJSON on a body already read (fuzzed by FuzzDecodeBody).
func decodeBody(body []byte, v any) error {
	if len(body) > maxBody {
		return beian.Errorf(beian.CodeTooLarge, "请求体超过 1 MiB")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return beian.Errorf(beian.CodeInvalid, "请求体为空，需要 JSON")
	}
	if !utf8.Valid(body) {
		return shapeError(CodeBodyInvalidUTF8, "", "%s不是有效的 UTF-8 编码")
	}
	if err := checkShape(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return beian.Errorf(beian.CodeInvalid, "请求体只能包含一个 JSON 对象")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return beian.Errorf(beian.CodeInvalid, "JSON 格式错误（第 %d 字节）", syn.Offset)
	case errors.As(err, &typ):
		return beian.Errorf(beian.CodeInvalid, "字段 %s 的类型错误：应为 %s", shown(typ.Field), typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return beian.Errorf(beian.CodeInvalid, "JSON 不完整")
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return beian.Errorf(beian.CodeInvalid, "未知字段 %s", shown(strings.TrimPrefix(err.Error(), "json: unknown field ")))
	}
	return beian.Errorf(beian.CodeInvalid, "JSON 无法解析：%s", shown(err.Error()))
}

// shapeError is a 400 whose one violation names the field at path ("" is
// the body itself) and the bound it broke; format's first verb is the field.
func shapeError(code, path, format string, args ...any) error {
	field := path
	if field == "" {
		field = "请求体"
	}
	msg := fmt.Sprintf(format, append([]any{field}, args...)...)
	return &beian.Error{Code: beian.CodeInvalid, Message: msg,
		Violations: []beian.Violation{{Code: code, Field: path, Message: msg}}}
}

// jsonFrame is one open object or array while checkShape walks a body.
type jsonFrame struct {
	array   bool
	index   int    // array: the element being read
	key     string // object: the member being read
	wantKey bool   // object: the next token is a member name or '}'
}

// checkShape walks the body token by token and refuses it at the first
// bound it breaks (limits.go), before anything is decoded into a struct. A
// syntax error is left to the decoder, whose message says where it is.
func checkShape(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []jsonFrame
	// done moves the innermost container past the value just read.
	done := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].wantKey = true
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF, or a syntax error the decoder reports
		}
		if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:n-1]
				done()
				continue
			}
			k, _ := tok.(string)
			if len(k) > maxJSONString {
				return shapeError(CodeStringTooLong, jsonPath(stack), "%s 中有过长的字段名（超过 %d KiB）", maxJSONString>>10)
			}
			stack[n-1].key, stack[n-1].wantKey = k, false
			continue
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= maxJSONDepth {
					return shapeError(CodeJSONTooDeep, jsonPath(stack), "JSON 嵌套过深：%s 超过 %d 层", maxJSONDepth)
				}
				stack = append(stack, jsonFrame{array: t == '[', wantKey: t == '{'})
			default: // '}' is read as a key above; ']'
				stack = stack[:len(stack)-1]
				done()
			}
		case string:
			if len(t) > maxJSONString {
				return shapeError(CodeStringTooLong, jsonPath(stack), "字段 %s 过长：最多 %d KiB", maxJSONString>>10)
			}
			if strings.IndexByte(t, 0) >= 0 {
				return shapeError(CodeNULInString, jsonPath(stack), "字段 %s 含有空字符（\\u0000），无法保存")
			}
			done()
		case json.Number:
			if len(t) > maxJSONNumber {
				return shapeError(CodeNumberTooLong, jsonPath(stack), "字段 %s 的数字过长：最多 %d 位", maxJSONNumber)
			}
			done()
		default: // bool, null
			done()
		}
	}
}

// maxPathShown is the longest field path an error repeats: the names in
// it are the client's, up to 32 of 64 KiB each.
const maxPathShown = 200

// jsonPath is where the walk is, as the API's field names read:
// sponsor.legal_rep.name, website.domains[2]; "" at the top; cut after
// maxPathShown bytes with "…".
func jsonPath(stack []jsonFrame) string {
	var b strings.Builder
	for _, f := range stack {
		if f.array {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
			continue
		}
		if f.wantKey { // between members: the object itself
			break
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(f.key)
	}
	return shown(b.String())
}

// shown is a client's name as an error repeats it: cut after maxPathShown
// bytes with "…".
func shown(name string) string {
	if len(name) > maxPathShown {
		return strings.ToValidUTF8(name[:maxPathShown], "") + "…"
	}
	return name
}
