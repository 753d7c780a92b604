package desk_test

import (
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
)

// TestSuggestChecklist (R-IN-3): a mailed file's name suggests the
// checklist item, one not yet received first; a name that says nothing
// suggests nothing.
func TestSuggestChecklist(t *testing.T) {
	t.Parallel()
	list := []beian.ChecklistItem{
		{Code: "verification_sheet_guangdong", Title: "《网站备案真实性核验单-广东》"},
		{Code: "security_commitment", Title: "《网站备案信息安全责任书》"},
		{Code: "principal_id", Title: "网站负责人身份证原件扫描件", Received: true},
		{Code: "curtain_photo", Title: "幕布照片"},
		{Code: "legal_rep_id", Title: "法定代表人身份证原件扫描件"},
		{Code: "pre_approval_news", Title: "前置审批文件：新闻"},
	}
	for name, want := range map[string]string{
		"张三核验单.pdf":      "verification_sheet_guangdong",
		"信息安全责任书-盖章.pdf": "security_commitment",
		"IMG_幕布照片.JPG":   "curtain_photo",
		"Photo.jpg":      "curtain_photo",
		"法人身份证.jpg":      "legal_rep_id",
		"负责人身份证正反面.jpg":  "principal_id", // received already, still the only fit
		"新闻出版前置审批.pdf":   "pre_approval_news",
		"scan0001.pdf":   "",
		"":               "",
	} {
		if got := desk.SuggestChecklist(name, list); got != want {
			t.Errorf("SuggestChecklist(%q) = %q, want %q", name, got, want)
		}
	}
}
