package mailparse

import (
	"encoding/base64"
	"strings"
)

// The fixtures below are mails as filers' clients send them, written as
// RFC 5322 text. The encoded words and bodies were produced with Python's
// own gbk/utf-8 codecs, not with the library under test.

// crlf turns the LF line ends of a fixture into the CRLF of the wire.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// mailGBK: a subject in RFC 2047 base64 GBK, a sender name in GBK, and a
// GBK body in base64 that names a case number in full-width digits.
var mailGBK = crlf(`From: =?GBK?B?1cXI/Q==?= <zhangsan@example.cn>
To: "=?UTF-8?B?5rGf6IuP5aSH5qGI5LiT5ZGY?=" <beian-js@example.gov.cn>, lisi@example.cn
Cc: wang@example.cn
Subject: =?GBK?B?y9XW3cSzxLO/xry809DP3rmry74rZXhhbXBsZS5jbg==?=
Date: Mon, 4 May 2026 09:15:00 +0800
Message-ID: <20260504091500.1234@example.cn>
In-Reply-To: <abc@desk.example.gov.cn>
References: <first@desk.example.gov.cn>
 <abc@desk.example.gov.cn>
MIME-Version: 1.0
Content-Type: text/plain; charset=GBK
Content-Transfer-Encoding: base64

xPq6w6OsuL28/srH1cXI/StleGFtcGxlLmNutcSxuLC4ssTBz6OssLi8/rHgusWjyqPTo62jsqOw
o7KjtqOto7CjsKOwo7GjsqOzoaMK0LvQu6OhCg==
`)

// mailQP: a subject in quoted-printable UTF-8 with full-width ＋ and a
// reply prefix; an 8-bit GBK body labelled GB2312 that holds 镕 and 喆,
// which are GBK but not GB2312.
var mailQP = crlf("From: zhangsan@example.cn\n" +
	"To: beian-js@example.gov.cn\n" +
	"Subject: =?UTF-8?Q?=E5=9B=9E=E5=A4=8D=EF=BC=9A=E5=BC=A0=E4=B8=89=EF=BC=8B?=\n" +
	" =?UTF-8?Q?=E4=BE=8B=E5=AD=90.=E4=B8=AD=E5=9B=BD?=\n" +
	"MIME-Version: 1.0\n" +
	"Content-Type: text/plain; charset=gb2312\n" +
	"Content-Transfer-Encoding: 8bit\n" +
	"\n" +
	"\xe9F\x86\xb4\xa3\xac\xb1\xb8\xb0\xb8\n")

// mailSplitGBK: a GBK subject split between the two bytes of 州, as
// some clients fold long subjects.
var mailSplitGBK = crlf(`From: zhangsan@example.cn
Subject: =?GBK?B?y9XW?=
 =?GBK?B?3cSzxLO/xry809DP3rmry74rZXhhbXBsZS5jbg==?=

body
`)

// mailNoSubject has no Subject header at all.
var mailNoSubject = crlf(`From: "Zhang San" <zhangsan@example.cn>
To: beian-js@example.gov.cn
Date: Tue, 5 May 2026 08:00:00 +0800

材料见附件。
`)

// mailForwarded: an agent forwards the filer's mail as message/rfc822;
// the inner mail has only an HTML body and a JPEG named in RFC 2047.
var mailForwarded = crlf(`From: =?UTF-8?B?546L5LqU?= <wangwu@agent.example.cn>
To: beian-js@example.gov.cn
Subject: Fwd: 张三+example.cn
Message-ID: <fwd-1@agent.example.cn>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer-b"

--outer-b
Content-Type: text/plain; charset=UTF-8

请查收转发的材料。
--outer-b
Content-Type: message/rfc822
Content-Disposition: attachment; filename="original.eml"

From: =?GBK?B?1cXI/Q==?= <zhangsan@example.cn>
To: wangwu@agent.example.cn
Subject: =?UTF-8?B?5byg5LiJK2V4YW1wbGUuY24=?=
Date: Fri, 1 May 2026 10:00:00 +0800
Message-ID: <orig-1@example.cn>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="inner-b"

--inner-b
Content-Type: text/html; charset=UTF-8

<html><head><title>t</title><style>p{color:red}</style></head><body><p>身份证&nbsp;扫描件见附件</p><div>谢谢&amp;再见</div><script>alert(1)</script></body></html>
--inner-b
Content-Type: image/jpeg; name="=?UTF-8?B?6Lqr5Lu96K+B5q2j6Z2iLmpwZw==?="
Content-Transfer-Encoding: base64

` + base64.StdEncoding.EncodeToString(jpegBytes) + `
--inner-b--
--outer-b--
`)

// jpegBytes starts like a JFIF file.
var jpegBytes = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}, []byte(strings.Repeat("jpeg-data ", 20))...)

// mailFilenames: filenames in RFC 2231 (UTF-8, and GBK continued across
// segments mid-character), in RFC 2047 GBK inside a quoted filename, in a
// Content-Type name only, and behind a Windows path.
var mailFilenames = crlf(`From: zhangsan@example.cn
Subject: =?UTF-8?B?5byg5LiJK2V4YW1wbGUuY24=?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

=E6=9D=90=E6=96=99=E8=A7=81=E9=99=84=E4=BB=B6=E3=80=82=20=E8=AF=B7=E6=9F=A5=
=E6=94=B6
--b1
Content-Type: application/pdf
Content-Disposition: attachment; filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjcKJeLjz9MK
--b1
Content-Type: application/pdf
Content-Disposition: attachment;
 filename*0*=GBK''%D3%AA%D2;
 filename*1*=%B5%D6%B4%D5%D5;
 filename*2="-2.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjcKJeLjz9MK
--b1
Content-Type: application/pdf; name="ignored.pdf"
Content-Disposition: attachment; filename="=?GBK?B?zfjVvrG4sLjQxc+i1ebKtdDUusvR6bWlLnBkZg==?="
Content-Transfer-Encoding: base64

JVBERi0xLjcKJeLjz9MK
--b1
Content-Type: image/png; name="=?UTF-8?B?6Lqr5Lu96K+B5q2j6Z2iLmpwZw==?="
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUg
--b1
Content-Type: application/pdf
Content-Disposition: attachment; filename="C:\\fakepath\\证书.pdf"

%PDF-1.4
--b1--
`)

// exeBytes is the start of a Windows program: the MZ header, the DOS stub
// and the PE signature.
var exeBytes = func() []byte {
	b := make([]byte, 0x100)
	copy(b, "MZ\x90\x00\x03")
	b[0x3c] = 0x80
	copy(b[0x40:], "This program cannot be run in DOS mode.\r\r\n$")
	copy(b[0x80:], "PE\x00\x00")
	return b
}()

// mailDisguised: a Windows program named 营业执照.pdf and declared
// application/pdf, a Linux program named scan.jpg, an honest setup.exe, a
// name whose bidi override hides ".exe", and a real PDF.
var mailDisguised = crlf(`From: attacker@example.net
Subject: =?UTF-8?B?5byg5LiJK2V4YW1wbGUuY24=?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="x"

--x
Content-Type: application/pdf; name="=?UTF-8?B?6JCl5Lia5omn54WnLnBkZg==?="
Content-Disposition: attachment; filename="=?UTF-8?B?6JCl5Lia5omn54WnLnBkZg==?="
Content-Transfer-Encoding: base64

` + base64.StdEncoding.EncodeToString(exeBytes) + `
--x
Content-Type: image/jpeg
Content-Disposition: attachment; filename="scan.jpg"
Content-Transfer-Encoding: base64

` + base64.StdEncoding.EncodeToString([]byte("\x7fELF\x02\x01\x01\x00rest-of-elf")) + `
--x
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="setup.exe"
Content-Transfer-Encoding: base64

` + base64.StdEncoding.EncodeToString(exeBytes) + `
--x
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe
Content-Transfer-Encoding: base64

` + base64.StdEncoding.EncodeToString([]byte("plain text, but named .exe")) + `
--x
Content-Type: application/pdf
Content-Disposition: attachment; filename="ok.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjcKJeLjz9MK
--x--
`)

// mailBrokenBoundary declares boundary "abc" but its body uses "abd".
var mailBrokenBoundary = crlf(`From: =?GBK?B?1cXI/Q==?= <zhangsan@example.cn>
Subject: =?GBK?B?y9XW3cSzxLO/xry809DP3rmry74rZXhhbXBsZS5jbg==?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="abc"

--abd
Content-Type: text/plain; charset=UTF-8

材料见附件
--abd
Content-Type: application/pdf; name="a.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjcKJeLjz9MK
--abd--
`)

// mailTruncated loses its end in the middle of an attachment: the closing
// boundary never comes.
var mailTruncated = crlf(`From: zhangsan@example.cn
Subject: =?UTF-8?B?5byg5LiJK2V4YW1wbGUuY24=?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="t"

--t
Content-Type: text/plain; charset=UTF-8

第一部分完整
--t
Content-Type: application/pdf; name="whole.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjcKJeLjz9MK
--t
Content-Type: application/pdf; name="cut.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjcKJeLjz9MKJVBERi0x
`)

// mailAlternative has a plain and an HTML alternative, and an inline
// picture in a related part.
var mailAlternative = crlf(`From: zhangsan@example.cn
Subject: plain wins
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=UTF-8

纯文本正文
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=UTF-8

<p>HTML 正文</p>
--rel
Content-Type: image/png
Content-ID: <logo>
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUg
--rel--
--alt--
`)

// allMails seeds FuzzParse.
var allMails = []string{
	mailGBK, mailQP, mailSplitGBK, mailNoSubject, mailForwarded, mailFilenames,
	mailDisguised, mailBrokenBoundary, mailTruncated, mailAlternative,
}
