package xlsx

import (
	"strings"
	"unicode/utf8"
)

// formulaQuote is the prefix CellText puts before formula-looking text: the
// single quote OWASP recommends against CSV/formula injection.
const formulaQuote = "'"

// formulaStart reports whether a spreadsheet program may take text that
// begins with r as a formula (or a DDE call): = + - @, tab and carriage
// return as OWASP lists them, and the full-width ＝＋－＠ that a Chinese
// input method types and that Excel and WPS also accept as operators.
func formulaStart(r rune) bool {
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
		return true
	}
	return false
}

// leadingBlank are the characters CellText looks past: a program that
// trims them on import (a CSV re-saved by staff, a paste) would otherwise
// find the formula character behind them.
const leadingBlank = " \n\u3000"

// CellText is the text to write into a spreadsheet cell for s, whatever a
// filer typed into it: text that Excel or WPS could take as a formula (its
// first character, or the first after leading spaces, is = + - @ ＝ ＋ － ＠,
// a tab or a carriage return) gets a leading single quote ', as OWASP's
// advice on formula injection says. A sponsor named "=HYPERLINK(…)" then
// stays text when staff open the export, edit the cell or re-save the sheet
// as CSV and open that. The quote is part of the cell's text (unlike the
// one Excel hides when it is typed), so staff see it and know the value was
// neutralised; all other text is returned unchanged, and CellText of its
// own output changes nothing.
//
// Every text cell of the exports in this package goes through CellText.
func CellText(s string) string {
	t := strings.TrimLeft(s, leadingBlank)
	if t == "" {
		return s
	}
	r, _ := utf8.DecodeRuneInString(t)
	if formulaStart(r) {
		return formulaQuote + s
	}
	return s
}
