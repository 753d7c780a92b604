package mailparse

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func parseOK(t *testing.T, raw string, opt Options) *Message {
	t.Helper()
	msg, err := Parse([]byte(raw), opt)
	require.NoError(t, err)
	require.NotNil(t, msg)
	return msg
}

func TestParseGBKSubjectAndBody(t *testing.T) {
	t.Parallel()
	msg := parseOK(t, mailGBK, Options{})

	require.Equal(t, "苏州某某科技有限公司+example.cn", msg.Subject)
	sponsor, domain, ok := SubjectKey(msg.Subject)
	require.True(t, ok)
	require.Equal(t, "苏州某某科技有限公司", sponsor)
	require.Equal(t, "example.cn", domain)

	require.Equal(t, "张三", msg.From.Name)
	require.Equal(t, "zhangsan@example.cn", msg.From.Address)
	require.Len(t, msg.To, 2)
	require.Equal(t, "江苏备案专员", msg.To[0].Name)
	require.Equal(t, "beian-js@example.gov.cn", msg.To[0].Address)
	require.Equal(t, "lisi@example.cn", msg.To[1].Address)
	require.Len(t, msg.Cc, 1)
	require.Equal(t, "wang@example.cn", msg.Cc[0].Address)

	require.True(t, msg.Date.Equal(time.Date(2026, 5, 4, 1, 15, 0, 0, time.UTC)), "date %v", msg.Date)
	require.Equal(t, "20260504091500.1234@example.cn", msg.MessageID)
	require.Equal(t, "abc@desk.example.gov.cn", msg.InReplyTo)
	require.Equal(t, []string{"first@desk.example.gov.cn", "abc@desk.example.gov.cn"}, msg.References)

	require.Equal(t, "您好，附件是张三+example.cn的备案材料，案件编号ＪＳ－２０２６－０００１２３。\n谢谢！", msg.Text)
	require.Equal(t, []string{"JS-2026-000123"}, CaseNumbers(msg.Text))
	require.Empty(t, msg.Attachments)
}

func TestParseQuotedPrintableSubjectAndGBKBody(t *testing.T) {
	t.Parallel()
	msg := parseOK(t, mailQP, Options{})
	require.Equal(t, "回复：张三＋例子.中国", msg.Subject)
	sponsor, domain, ok := SubjectKey(msg.Subject)
	require.True(t, ok)
	require.Equal(t, "张三", sponsor)
	require.Equal(t, "xn--fsqu00a.xn--fiqs8s", domain)
	// Labelled GB2312 but holding GBK-only characters: read as GB18030.
	require.Equal(t, "镕喆，备案", msg.Text)
}

func TestParseSubjectSplitInsideACharacter(t *testing.T) {
	t.Parallel()
	msg := parseOK(t, mailSplitGBK, Options{})
	require.Equal(t, "苏州某某科技有限公司+example.cn", msg.Subject)
}

func TestDecodeHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain ascii", "plain ascii"},
		{"=?gb2312?B?1uzpRrv5?=", "朱镕基"}, // 镕 is GBK, not GB2312
		{"=?big5?B?u0/GVw==?=", "臺灣"},
		{"=?GB18030?B?1cXI/Q?=", "张三"}, // padding missing
		{"=?UTF-8*zh?Q?=E5=BC=A0_=E4=B8=89?=", "张 三"},
		{"=?UTF-8?B?5byg?= =?UTF-8?B?5LiJ?= 先生", "张三 先生"},
		{"回复: =?GBK?B?1cXI/Q==?=", "回复: 张三"},
		{"=?x-unknown?B?5byg5LiJ?=", "张三"},
		{"=?UTF-8?B?not base64!?=", "=?UTF-8?B?not base64!?="},
		{"=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="},
		{"\xd5\xc5\xc8\xfd+example.cn", "张三+example.cn"}, // raw 8-bit GBK
	} {
		require.Equal(t, tc.want, decodeHeader(tc.in), tc.in)
	}
}

func TestParseNoSubject(t *testing.T) {
	t.Parallel()
	msg := parseOK(t, mailNoSubject, Options{})
	require.Equal(t, "", msg.Subject)
	_, _, ok := SubjectKey(msg.Subject)
	require.False(t, ok)
	require.Equal(t, "Zhang San", msg.From.Name)
	require.Equal(t, "材料见附件。", msg.Text)
	require.Empty(t, msg.MessageID)
	require.Nil(t, msg.References)
}

// bigMail carries one generated PDF of size bytes, base64 in 76-column
// lines, and returns the file too.
func bigMail(t *testing.T, size int) (string, []byte) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	copy(data, "%PDF-1.7\n")
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	b.WriteString("From: zhangsan@example.cn\nSubject: =?UTF-8?B?5byg5LiJK2V4YW1wbGUuY24=?=\nMIME-Version: 1.0\n")
	b.WriteString("Content-Type: multipart/mixed; boundary=\"big\"\n\n--big\nContent-Type: text/plain\n\nsee attachment\n--big\n")
	b.WriteString("Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"scan.pdf\"\nContent-Transfer-Encoding: base64\n\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\n--big--\n")
	return crlf(b.String()), data
}

func TestParseLargeAttachment(t *testing.T) {
	t.Parallel()
	raw, data := bigMail(t, 3<<20)
	sum := sha256.Sum256(data)

	t.Run("under the default 20 MiB cap", func(t *testing.T) {
		t.Parallel()
		msg := parseOK(t, raw, Options{})
		require.Len(t, msg.Attachments, 1)
		a := msg.Attachments[0]
		require.Empty(t, a.Rejected)
		require.Equal(t, "scan.pdf", a.Name)
		require.Equal(t, "application/pdf", a.DeclaredType)
		require.Equal(t, "application/pdf", a.SniffedType)
		require.Equal(t, int64(3<<20), a.Size)
		require.Equal(t, hex.EncodeToString(sum[:]), a.SHA256)
		require.True(t, bytes.Equal(data, a.Data), "data decoded exactly")
		require.Equal(t, "see attachment", msg.Text)
	})
	t.Run("over a 1 MiB cap", func(t *testing.T) {
		t.Parallel()
		msg := parseOK(t, raw, Options{MaxAttachment: 1 << 20})
		require.Len(t, msg.Attachments, 1)
		a := msg.Attachments[0]
		require.Equal(t, "附件大小 3.0 MB，超过单个附件上限 1.0 MB，未保存", a.Rejected)
		require.Nil(t, a.Data)
		require.Equal(t, int64(3<<20), a.Size, "size counted past the cap")
		require.Equal(t, hex.EncodeToString(sum[:]), a.SHA256, "hash of the whole file")
		require.Equal(t, "application/pdf", a.SniffedType, "sniffed from the start")
	})
}

func TestParseDisguisedExecutables(t *testing.T) {
	t.Parallel()
	msg := parseOK(t, mailDisguised, Options{})
	require.Len(t, msg.Attachments, 5)
	exeSum := sha256.Sum256(exeBytes)

	pdf := msg.Attachments[0]
	require.Equal(t, "营业执照.pdf", pdf.Name)
	require.Equal(t, "application/pdf", pdf.DeclaredType)
	require.Equal(t, typePE, pdf.SniffedType)
	require.Equal(t, "伪装的可执行文件：文件名是 .pdf，内容却是Windows 可执行程序（MZ 文件头），已拒收", pdf.Rejected)
	require.Nil(t, pdf.Data)
	require.Equal(t, int64(len(exeBytes)), pdf.Size)
	require.Equal(t, hex.EncodeToString(exeSum[:]), pdf.SHA256)

	elf := msg.Attachments[1]
	require.Equal(t, typeELF, elf.SniffedType)
	require.Contains(t, elf.Rejected, "伪装的可执行文件：文件名是 .jpg")
	require.Contains(t, elf.Rejected, "ELF")

	exe := msg.Attachments[2]
	require.Equal(t, "setup.exe", exe.Name)
	require.Equal(t, "不接收可执行文件（Windows 可执行程序（MZ 文件头）），已拒收", exe.Rejected)

	bidi := msg.Attachments[3]
	require.Equal(t, "invoicefdp.exe", bidi.Name, "the bidi override is removed, the real extension shows")
	require.Equal(t, "不接收可执行文件或脚本（.exe），已拒收", bidi.Rejected)

	ok := msg.Attachments[4]
	require.Empty(t, ok.Rejected)
	require.Equal(t, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", string(ok.Data))
}

func TestParseTooManyAttachments(t *testing.T) {
	t.Parallel()
	msg := parseOK(t, mailFilenames, Options{MaxAttachments: 2})
	require.Len(t, msg.Attachments, 5)
	require.Empty(t, msg.Attachments[0].Rejected)
	require.Empty(t, msg.Attachments[1].Rejected)
	for i, a := range msg.Attachments[2:] {
		require.Equal(t, "一封邮件最多接收 2 个附件，这是第 "+string(rune('3'+i))+" 个，未保存", a.Rejected)
		require.Nil(t, a.Data)
		require.NotEmpty(t, a.SHA256)
	}
}

func TestParseForwarded(t *testing.T) {
	t.Parallel()
	msg := parseOK(t, mailForwarded, Options{})
	// The outer headers are the message's.
	require.Equal(t, "王五", msg.From.Name)
	require.Equal(t, "wangwu@agent.example.cn", msg.From.Address)
	require.Equal(t, "fwd-1@agent.example.cn", msg.MessageID)
	require.Equal(t, "Fwd: 张三+example.cn", msg.Subject)
	sponsor, domain, ok := SubjectKey(msg.Subject)
	require.True(t, ok)
	require.Equal(t, "张三", sponsor)
	require.Equal(t, "example.cn", domain)

	require.Equal(t, "请查收转发的材料。\n\n"+
		"---------- 转发的邮件 ----------\n"+
		"发件人: 张三 <zhangsan@example.cn>\n"+
		"日期: Fri, 1 May 2026 10:00:00 +0800\n"+
		"收件人: wangwu@agent.example.cn\n"+
		"主题: 张三+example.cn\n\n"+
		"身份证 扫描件见附件\n\n谢谢&再见", msg.Text)

	// The inner attachment is listed; the .eml itself is not.
	require.Len(t, msg.Attachments, 1)
	a := msg.Attachments[0]
	require.Equal(t, "身份证正面.jpg", a.Name)
	require.Equal(t, "image/jpeg", a.DeclaredType)
	require.Equal(t, "image/jpeg", a.SniffedType)
	require.Equal(t, jpegBytes, a.Data)
}

func TestParseFilenames(t *testing.T) {
	t.Parallel()
	msg := parseOK(t, mailFilenames, Options{})
	require.Equal(t, "材料见附件。 请查收", msg.Text)
	var names []string
	for _, a := range msg.Attachments {
		names = append(names, a.Name)
		require.Empty(t, a.Rejected, a.Name)
	}
	require.Equal(t, []string{
		"营业执照.pdf",         // RFC 2231, UTF-8
		"营业执照-2.pdf",       // RFC 2231, GBK, continued mid-character
		"网站备案信息真实性核验单.pdf", // RFC 2047 GBK in a quoted filename
		"身份证正面.jpg",        // Content-Type name only
		"证书.pdf",           // path removed
	}, names)
	png := msg.Attachments[3]
	require.Equal(t, "image/png", png.SniffedType)
	require.Equal(t, int64(16), png.Size, "base64 without padding decoded")
	require.Equal(t, "%PDF-1.4", string(msg.Attachments[4].Data), "7bit attachment without transfer encoding")
}

func TestParseAlternativePrefersPlain(t *testing.T) {
	t.Parallel()
	msg := parseOK(t, mailAlternative, Options{})
	require.Equal(t, "纯文本正文", msg.Text)
	require.Len(t, msg.Attachments, 1, "the inline picture is still listed")
	require.Equal(t, "image/png", msg.Attachments[0].SniffedType)
	require.Equal(t, "", msg.Attachments[0].Name)
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()

	t.Run("broken boundary keeps the headers", func(t *testing.T) {
		t.Parallel()
		msg, err := Parse([]byte(mailBrokenBoundary), Options{})
		var pe *ParseError
		require.True(t, errors.As(err, &pe), "err %v", err)
		require.Equal(t, "邮件格式错误：找不到 multipart 分隔线“--abc”，正文和附件无法读取", err.Error())
		require.NotNil(t, msg)
		require.Equal(t, "苏州某某科技有限公司+example.cn", msg.Subject)
		require.Equal(t, "zhangsan@example.cn", msg.From.Address)
		require.Empty(t, msg.Attachments)
		require.Empty(t, msg.Text)
	})
	t.Run("missing closing boundary", func(t *testing.T) {
		t.Parallel()
		msg, err := Parse([]byte(mailTruncated), Options{})
		var pe *ParseError
		require.True(t, errors.As(err, &pe), "err %v", err)
		require.Contains(t, pe.Reason, "第 3 部分中途结束（缺少结束分隔线“--t--”）")
		require.NotNil(t, msg)
		require.Equal(t, "第一部分完整", msg.Text)
		require.Len(t, msg.Attachments, 2)
		require.Empty(t, msg.Attachments[0].Rejected)
		require.Equal(t, "whole.pdf", msg.Attachments[0].Name)
		cut := msg.Attachments[1]
		require.Equal(t, "cut.pdf", cut.Name)
		require.Equal(t, "邮件结构损坏，附件可能不完整，未保存；请重新发送", cut.Rejected)
		require.Nil(t, cut.Data)
		require.NotZero(t, cut.Size)
	})
	t.Run("multipart without boundary", func(t *testing.T) {
		t.Parallel()
		msg, err := Parse([]byte("Subject: x\r\nContent-Type: multipart/mixed\r\n\r\nbody\r\n"), Options{})
		var pe *ParseError
		require.True(t, errors.As(err, &pe))
		require.Contains(t, pe.Reason, "缺少 boundary 参数")
		require.Equal(t, "x", msg.Subject)
	})
	for name, raw := range map[string]string{
		"empty":           "",
		"blank":           "\r\n\r\n",
		"header no colon": "这不是邮件\r\n也没有冒号\r\n\r\n正文\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			msg, err := Parse([]byte(raw), Options{})
			require.Nil(t, msg)
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "err %v", err)
			require.True(t, strings.HasPrefix(err.Error(), "邮件格式错误："))
		})
	}
}

func TestParseLenient(t *testing.T) {
	t.Parallel()
	raw := "From sender@example.cn Mon May  4 09:00:00 2026\n" +
		"From: 张三 <zhangsan@example.cn>\n" +
		"To: 专员 <beian-js@example.gov.cn>; \"李四\" <lisi@example.cn>; not an address\n" +
		"Date: 2026-05-04 09:30:00\n" +
		"Subject: =?utf-8?b?5byg5LiJK2V4YW1wbGUuY24?=\n" +
		"Content-Type: text/html; charset=\"utf-8\n" +
		"Content-Transfer-Encoding: quoted-printable\n" +
		"\n" +
		"<p>=E4=BD=A0=E5=A5=BD =ZZ</p>\n"
	msg := parseOK(t, raw, Options{})
	require.Equal(t, "张三", msg.From.Name)
	require.Equal(t, "张三+example.cn", msg.Subject)
	require.True(t, msg.Date.Equal(time.Date(2026, 5, 4, 1, 30, 0, 0, time.UTC)), "date %v", msg.Date)
	require.Equal(t, "你好 =ZZ", msg.Text)
	require.Equal(t, []mail.Address{
		{Name: "专员", Address: "beian-js@example.gov.cn"},
		{Name: "李四", Address: "lisi@example.cn"},
	}, msg.To, "semicolon-separated, the unreadable item left out")
}

func TestSniffType(t *testing.T) {
	t.Parallel()
	zipWith := func(names ...string) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for _, n := range names {
			w, err := zw.Create(n)
			require.NoError(t, err)
			_, err = w.Write([]byte("x"))
			require.NoError(t, err)
		}
		require.NoError(t, zw.Close())
		return b.Bytes()
	}
	docx := zipWith("[Content_Types].xml", "_rels/.rels", "word/document.xml")
	ole := append(append([]byte{}, magicOLE...), make([]byte, 600)...)
	oleDoc := append(append([]byte{}, ole...), utf16le("WordDocument")...)
	for _, tc := range []struct {
		name     string
		data     []byte
		complete bool
		want     string
	}{
		{"pdf after junk", []byte("\r\n\r\n%PDF-1.5 ..."), true, typePDF},
		{"jpeg", jpegBytes, true, typeJPEG},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), true, typePNG},
		{"tiff", []byte("II*\x00\x08\x00\x00\x00"), true, typeTIFF},
		{"docx", docx, true, typeDOCX},
		{"docx prefix only", docx[:bytes.Index(docx, []byte("PK\x01\x02"))], false, typeDOCX},
		{"xlsx", zipWith("[Content_Types].xml", "xl/workbook.xml"), true, typeXLSX},
		{"pptx", zipWith("[Content_Types].xml", "ppt/presentation.xml"), true, typePPTX},
		{"ofd", zipWith("OFD.xml", "Doc_0/Document.xml"), true, typeOFD},
		{"zip", zipWith("a.txt"), true, typeZIP},
		{"ole2", ole, true, typeOLE},
		{"doc", oleDoc, true, typeDOC},
		{"xls", append(append([]byte{}, ole...), utf16le("Workbook")...), true, typeXLS},
		{"exe", exeBytes, true, typePE},
		{"elf", []byte("\x7fELF\x02"), true, typeELF},
		{"text", []byte("hello"), true, "text/plain"},
		{"empty", nil, true, ""},
	} {
		require.Equal(t, tc.want, sniffType(tc.data, tc.complete), tc.name)
	}
}

func TestCleanName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"营业执照.pdf", "营业执照.pdf"},
		{`C:\fakepath\证书.pdf`, "证书.pdf"},
		{"../../etc/passwd", "passwd"},
		{"a.exe. . ", "a.exe"},
		{"x\u202efdp.exe", "xfdp.exe"},
		{"tab\tname\x00.pdf", "tabname.pdf"},
		{"..", ""},
		{strings.Repeat("长", 100) + ".pdf", strings.Repeat("长", 83) + ".pdf"},
	} {
		require.Equal(t, tc.want, cleanName(tc.in), tc.in)
	}
}

func TestParseLimits(t *testing.T) {
	t.Parallel()

	t.Run("nesting", func(t *testing.T) {
		t.Parallel()
		var b strings.Builder
		b.WriteString("Subject: deep\r\n")
		for i := 0; i < 40; i++ {
			b.WriteString("Content-Type: multipart/mixed; boundary=\"b" + string(rune('A'+i)) + "\"\r\n\r\n--b" + string(rune('A'+i)) + "\r\n")
		}
		b.WriteString("Content-Type: text/plain\r\n\r\ntoo deep\r\n")
		for i := 39; i >= 0; i-- {
			b.WriteString("--b" + string(rune('A'+i)) + "--\r\n")
		}
		msg, err := Parse([]byte(b.String()), Options{})
		var pe *ParseError
		require.True(t, errors.As(err, &pe), "err %v", err)
		require.Equal(t, "邮件嵌套超过 16 层，更深的内容未读取", pe.Reason)
		require.Equal(t, "deep", msg.Subject)
	})
	t.Run("parts", func(t *testing.T) {
		t.Parallel()
		var b strings.Builder
		b.WriteString("Subject: many\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n")
		for i := 0; i < maxParts+10; i++ {
			b.WriteString("--p\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n")
		}
		b.WriteString("--p--\r\n")
		msg, err := Parse([]byte(b.String()), Options{})
		var pe *ParseError
		require.True(t, errors.As(err, &pe), "err %v", err)
		require.Contains(t, pe.Reason, "MIME 部分超过 10000 个")
		require.Len(t, msg.Attachments, maxParts-1, "the top entity counts as a part")
		require.Empty(t, msg.Attachments[0].Rejected)
		require.Contains(t, msg.Attachments[DefaultMaxAttachments].Rejected, "最多接收 50 个附件")
	})
}

func TestParseSinglePartAndDigest(t *testing.T) {
	t.Parallel()
	msg := parseOK(t, crlf(`Subject: only a file
Content-Type: application/pdf; name="a.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjcKJeLjz9MK
`), Options{})
	require.Empty(t, msg.Text)
	require.Len(t, msg.Attachments, 1)
	require.Equal(t, "a.pdf", msg.Attachments[0].Name)

	// Parts of a digest are mails by default; a forwarded mail may itself
	// be base64-encoded.
	inner := base64.StdEncoding.EncodeToString([]byte("Subject: second\r\n\r\n第二封\r\n"))
	msg = parseOK(t, crlf(`Subject: digest
Content-Type: multipart/digest; boundary=d

--d

Subject: first

第一封
--d
Content-Type: message/rfc822
Content-Transfer-Encoding: base64

`+inner+`
--d--
`), Options{})
	require.Equal(t, "---------- 转发的邮件 ----------\n主题: first\n\n第一封\n\n"+
		"---------- 转发的邮件 ----------\n主题: second\n\n第二封", msg.Text)
}
