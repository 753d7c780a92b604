package console

import (
	"io"
	"net/http"
	"slices"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/intake"
)

// sheetsView is the 报表与导入 page: the tracking worksheet (R-BR-5) and
// the province table (R-RV-3) to download, the security sheet (R-PA-2) to
// upload, and, after an upload, what it will cancel.
type sheetsView struct {
	Provinces []string
	// SystemProvinces are the data centres' provinces (R-ENT-1), where
	// the registration tables are kept.
	SystemProvinces []string
	Statuses        []choice
	MayImport       bool
	Import          *beian.SecurityImport
	Summary         map[string]int
	Error           string
	ImportError     []string
}

func (c *Console) sheetsBase(r *request) sheetsView {
	v := sheetsView{Provinces: intake.Provinces, MayImport: r.who.Is(beian.RoleSupervisor)}
	if dcs, err := c.svc.Store.ListDataCentres(r.Context()); err == nil {
		for _, dc := range dcs {
			if !slices.Contains(v.SystemProvinces, dc.Province) {
				v.SystemProvinces = append(v.SystemProvinces, dc.Province)
			}
		}
	}
	for _, st := range beian.AllStatuses {
		v.Statuses = append(v.Statuses, choice{string(st), st.Title()})
	}
	return v
}

func (c *Console) sheets(w http.ResponseWriter, r *request) {
	c.render(w, r, "sheets", "报表与导入", c.sheetsBase(r))
}

// securityUpload previews an uploaded security sheet: nothing is cut yet.
func (c *Console) securityUpload(w http.ResponseWriter, r *request) {
	v := c.sheetsBase(r)
	fail := func(err error) {
		status := statusOf(beian.ErrorCode(err))
		if beian.ErrorCode(err) == beian.CodeUnsupportedType {
			status = http.StatusUnsupportedMediaType
		}
		v.Error, v.ImportError = beian.ErrorMessage(err), violationMessages(err)
		c.renderStatus(w, r.Request, r, status, "sheets", "报表与导入", v)
	}
	file, fh, err := r.FormFile("file")
	if err != nil {
		fail(beian.Errorf(beian.CodeInvalid, "请选择要上传的信息安全规范表（.xlsx）"))
		return
	}
	defer file.Close()
	if fh.Size > maxUpload {
		fail(beian.Errorf(beian.CodeTooLarge, "上传的文件超过 10 MiB"))
		return
	}
	data, err := io.ReadAll(file)
	if err != nil {
		fail(err)
		return
	}
	imp, err := c.svc.PreviewSecuritySheet(r.Context(), r.who, fh.Filename, data)
	if err != nil {
		fail(err)
		return
	}
	redirect(w, r, Base+"/sheets/security/"+imp.ID, "已读取「"+fh.Filename+"」：请核对后确认")
}

func (c *Console) securityImport(w http.ResponseWriter, r *request) {
	imp, err := c.svc.SecurityImport(r.Context(), r.who, r.PathValue("id"))
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	v := c.sheetsBase(r)
	v.Import, v.Summary = imp, desk.SecuritySummary(imp)
	c.render(w, r, "sheets", "信息安全规范表", v)
}

func (c *Console) securityConfirm(w http.ResponseWriter, r *request) {
	imp, err := c.svc.ConfirmSecuritySheet(r.Context(), r.who, r.PathValue("id"))
	if err != nil {
		c.fail(w, r.Request, r, err)
		return
	}
	s := desk.SecuritySummary(imp)
	msg := "已确认：取消接入的备案已交技术部执行"
	if s["failed"] > 0 {
		msg = "部分备案未能取消接入，请查看下表后再次确认"
	}
	redirect(w, r, Base+"/sheets/security/"+imp.ID, msg)
}
