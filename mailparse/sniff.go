package mailparse

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sniffed types for content that http.DetectContentType does not name.
const (
	typePE      = "application/vnd.microsoft.portable-executable"
	typeELF     = "application/x-executable"
	typeMachO   = "application/x-mach-binary"
	typeScript  = "text/x-shellscript"
	typePDF     = "application/pdf"
	typeJPEG    = "image/jpeg"
	typePNG     = "image/png"
	typeTIFF    = "image/tiff"
	typeZIP     = "application/zip"
	typeDOCX    = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	typeXLSX    = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	typePPTX    = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	typeOFD     = "application/ofd"
	typeOLE     = "application/x-ole-storage"
	typeDOC     = "application/msword"
	typeXLS     = "application/vnd.ms-excel"
	typePPT     = "application/vnd.ms-powerpoint"
	sniffPrefix = 64 << 10 // bytes kept for sniffing an attachment whose data is not kept
)

var (
	magicOLE  = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	magicPNG  = []byte("\x89PNG\r\n\x1a\n")
	magicJPEG = []byte{0xFF, 0xD8, 0xFF}
)

// executable tells whether data starts like a program, and what kind in the
// words of a refusal: a Windows/DOS program (MZ), Linux (ELF), macOS
// (Mach-O, including the fat header CAFEBABE that Java classes share) or a
// script (#!).
func executable(data []byte) (sniffed, label string) {
	switch {
	case bytes.HasPrefix(data, []byte("MZ")):
		return typePE, "Windows 可执行程序（MZ 文件头）"
	case bytes.HasPrefix(data, []byte("\x7fELF")):
		return typeELF, "Linux 可执行程序（ELF 文件头）"
	case len(data) >= 4 && isMachO(binary.BigEndian.Uint32(data)):
		return typeMachO, "macOS 可执行程序（Mach-O 文件头）"
	case bytes.HasPrefix(data, []byte("#!")):
		return typeScript, "脚本程序（#! 开头）"
	}
	return "", ""
}

func isMachO(m uint32) bool {
	switch m {
	case 0xFEEDFACE, 0xFEEDFACF, 0xCEFAEDFE, 0xCFFAEDFE, 0xCAFEBABE:
		return true
	}
	return false
}

// executableExts are names that run when opened on a staff PC. Materials
// are documents and images, so none of these is accepted whatever it holds.
var executableExts = map[string]bool{
	".exe": true, ".com": true, ".scr": true, ".pif": true, ".dll": true, ".sys": true, ".cpl": true,
	".msi": true, ".msp": true, ".bat": true, ".cmd": true, ".ps1": true, ".psm1": true, ".vbs": true,
	".vbe": true, ".js": true, ".jse": true, ".wsf": true, ".wsh": true, ".hta": true, ".lnk": true,
	".reg": true, ".jar": true, ".apk": true, ".sh": true, ".elf": true, ".so": true, ".dylib": true,
	".app": true, ".bin": true, ".run": true, ".scf": true, ".msc": true, ".gadget": true,
}

// sniffType names what data holds: http.DetectContentType refined by the
// magic numbers of the materials filers send (PDF, JPEG, PNG, TIFF, ZIP and
// the OOXML and OFD documents inside ZIP, OLE2 Word/Excel/PowerPoint) and of
// executables. complete says data is the whole file rather than a prefix
// (ZIP contents are then read from the central directory). The result has no
// parameters; "" for empty data.
func sniffType(data []byte, complete bool) string {
	if len(data) == 0 {
		return ""
	}
	if t, _ := executable(data); t != "" {
		return t
	}
	head := data[:min(len(data), 1024)]
	switch {
	case bytes.Contains(head, []byte("%PDF-")):
		return typePDF // readers accept junk before the header within 1 KB
	case bytes.HasPrefix(data, magicJPEG):
		return typeJPEG
	case bytes.HasPrefix(data, magicPNG):
		return typePNG
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return typeTIFF
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")),
		bytes.HasPrefix(data, []byte("PK\x07\x08")):
		return zipKind(data, complete)
	case bytes.HasPrefix(data, magicOLE):
		return oleKind(data)
	}
	t := http.DetectContentType(data)
	if mt, _, err := mime.ParseMediaType(t); err == nil {
		return mt
	}
	return t
}

// zipKind tells OOXML (docx, xlsx, pptx) and OFD from a plain ZIP by the
// names of its entries.
func zipKind(data []byte, complete bool) string {
	var names []string
	if complete {
		if zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err == nil {
			for _, f := range zr.File {
				names = append(names, f.Name)
			}
		}
	}
	if names == nil {
		names = localZipNames(data)
	}
	contentTypes := false
	kind := ""
	for _, n := range names {
		switch {
		case n == "[Content_Types].xml":
			contentTypes = true
		case n == "OFD.xml":
			return typeOFD
		case strings.HasPrefix(n, "word/"):
			kind = typeDOCX
		case strings.HasPrefix(n, "xl/"):
			kind = typeXLSX
		case strings.HasPrefix(n, "ppt/"):
			kind = typePPTX
		}
	}
	if contentTypes && kind != "" {
		return kind
	}
	return typeZIP
}

// localZipNames reads entry names from the local file headers in data, for
// a ZIP of which only the start is at hand.
func localZipNames(data []byte) []string {
	var names []string
	sig := []byte("PK\x03\x04")
	for i := 0; len(names) < 1000; {
		j := bytes.Index(data[i:], sig)
		if j < 0 {
			break
		}
		h := i + j
		if h+30 > len(data) {
			break
		}
		n := int(binary.LittleEndian.Uint16(data[h+26:]))
		if h+30+n > len(data) {
			break
		}
		names = append(names, string(data[h+30:h+30+n]))
		i = h + 30 + n
	}
	return names
}

// oleKind tells Word, Excel and PowerPoint (and WPS, which uses the same
// streams) from other OLE2 compound files by the UTF-16 names of their main
// streams.
func oleKind(data []byte) string {
	switch {
	case bytes.Contains(data, utf16le("WordDocument")):
		return typeDOC
	case bytes.Contains(data, utf16le("Workbook")), bytes.Contains(data, utf16le("Book\x00")):
		return typeXLS
	case bytes.Contains(data, utf16le("PowerPoint Document")):
		return typePPT
	}
	return typeOLE
}

func utf16le(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, s[i], 0)
	}
	return b
}

// cleanName makes a decoded filename safe to show and store: the last path
// element only (no C:\fakepath\ or ../), no control characters, no bidi
// overrides (which make "x\u202Efdp.exe" look like "xexe.pdf"), no trailing
// dots or spaces (which Windows drops, turning "a.exe." into "a.exe"), at
// most 255 bytes (the extension kept).
func cleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r):
			return -1
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
			return -1
		}
		return r
	}, name)
	name = strings.TrimRight(strings.TrimSpace(name), ". ")
	if name == "." || name == ".." {
		return ""
	}
	if len(name) > 255 {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		stem := name[:len(name)-len(ext)]
		for len(stem)+len(ext) > 255 {
			_, size := utf8.DecodeLastRuneInString(stem)
			stem = stem[:len(stem)-size]
		}
		name = stem + ext
	}
	return name
}

// extension is the lower-cased last extension of name, with its dot.
func extension(name string) string {
	return strings.ToLower(path.Ext(name))
}
