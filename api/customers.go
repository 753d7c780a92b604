package api

import (
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/mail"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
	"github.com/beian/beian/xlsx"
)

// JSON shapes of the customers of api.md: the billing system's copy of who
// holds which access products (R-ENT-2, R-RV-1).

type contactJSON struct {
	Name   string `json:"name"`
	Mobile string `json:"mobile"`
	Email  string `json:"email"`
}

type managerJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type productJSON struct {
	ID         string   `json:"id"`
	ServerIPs  []string `json:"server_ips"`
	ValidUntil string   `json:"valid_until"` // 2006-01-02, the last valid day
}

// customerJSON is a customer as GET answers it.
type customerJSON struct {
	ID              string        `json:"id"`
	Name            string        `json:"name"`
	Contact         contactJSON   `json:"contact"`
	AccountManager  managerJSON   `json:"account_manager"`
	ManagerSuperior managerJSON   `json:"manager_superior"`
	Products        []productJSON `json:"products"`
	UpdatedBy       string        `json:"updated_by"`
	UpdatedAt       time.Time     `json:"updated_at"`
}

// customerBody is the body of PUT /customers/{id}. id, updated_by and
// updated_at, as GET answers them, are accepted so an answer can be edited
// and sent back; id must then be the path's, the others are ignored.
type customerBody struct {
	ID              *string       `json:"id"`
	Name            string        `json:"name"`
	Contact         contactJSON   `json:"contact"`
	AccountManager  managerJSON   `json:"account_manager"`
	ManagerSuperior managerJSON   `json:"manager_superior"`
	Products        []productJSON `json:"products"`
	UpdatedBy       *string       `json:"updated_by"`
	UpdatedAt       *string       `json:"updated_at"`
}

func customerToJSON(c beian.Customer) customerJSON {
	out := customerJSON{
		ID: c.ID, Name: c.Name,
		Contact:         contactJSON{Name: c.Contact.Name, Mobile: c.Contact.Mobile, Email: c.Contact.Email},
		AccountManager:  managerJSON{Name: c.AccountManager.Name, Email: c.AccountManager.Email},
		ManagerSuperior: managerJSON{Name: c.ManagerSuperior.Name, Email: c.ManagerSuperior.Email},
		Products:        []productJSON{},
		UpdatedBy:       c.UpdatedBy, UpdatedAt: c.UpdatedAt.In(shanghai),
	}
	for _, p := range c.Products {
		out.Products = append(out.Products, productToJSON(p))
	}
	return out
}

func productToJSON(p beian.Product) productJSON {
	ips := make([]string, 0, len(p.ServerIPs))
	for _, a := range p.ServerIPs {
		ips = append(ips, a.String())
	}
	return productJSON{ID: p.ID, ServerIPs: ips, ValidUntil: p.ValidUntil}
}

// customerFromBody converts and checks a PUT body; every problem is a
// violation, reported at once.
func customerFromBody(id string, b customerBody) (beian.Customer, []beian.Violation) {
	var vs []beian.Violation
	bad := func(code, field, format string, args ...any) {
		vs = append(vs, beian.Violation{Rule: "R-ENT-2", Code: code, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	t := strings.TrimSpace
	c := beian.Customer{
		ID: id, Name: t(b.Name),
		Contact:         beian.Contact{Name: t(b.Contact.Name), Mobile: t(b.Contact.Mobile), Email: t(b.Contact.Email)},
		AccountManager:  beian.Contact{Name: t(b.AccountManager.Name), Email: t(b.AccountManager.Email)},
		ManagerSuperior: beian.Contact{Name: t(b.ManagerSuperior.Name), Email: t(b.ManagerSuperior.Email)},
	}
	if c.Name == "" {
		bad(intake.CodeRequired, "name", "客户名称不能为空")
	}
	if c.Contact.Mobile != "" {
		if m, err := intake.ValidateMobile(c.Contact.Mobile); err != nil {
			bad(intake.CodeInvalidMobile, "contact.mobile", "联系人手机「%s」不是有效的手机号码", c.Contact.Mobile)
		} else {
			c.Contact.Mobile = m
		}
	}
	for _, e := range [][2]string{
		{"contact.email", c.Contact.Email}, {"account_manager.email", c.AccountManager.Email}, {"manager_superior.email", c.ManagerSuperior.Email},
	} {
		if a, err := mail.ParseAddress(e[1]); e[1] != "" && (err != nil || a.Address != e[1]) {
			bad(intake.CodeInvalidEmail, e[0], "邮箱「%s」格式不正确", e[1])
		}
	}
	seen := map[string]int{}
	for i, p := range b.Products {
		field := fmt.Sprintf("products[%d]", i)
		pr := beian.Product{ID: t(p.ID), CustomerID: id, ValidUntil: t(p.ValidUntil)}
		if pr.ID == "" {
			bad(intake.CodeRequired, field+".id", "产品编号不能为空")
		} else if j, dup := seen[pr.ID]; dup {
			bad("DUPLICATE", field+".id", "产品编号 %s 与第 %d 个产品重复", pr.ID, j+1)
		} else {
			seen[pr.ID] = i
		}
		if len(p.ServerIPs) == 0 {
			bad(intake.CodeRequired, field+".server_ips", "产品 %s 至少要有一个服务器 IP", pr.ID)
		}
		ips := map[netip.Addr]bool{}
		for j, raw := range p.ServerIPs {
			a, err := netip.ParseAddr(t(raw))
			switch {
			case err != nil || a.Zone() != "":
				bad(intake.CodeInvalidIP, fmt.Sprintf("%s.server_ips[%d]", field, j), "「%s」不是有效的 IPv4 或 IPv6 地址", raw)
			case ips[a.Unmap()]:
				bad(intake.CodeDuplicateIP, fmt.Sprintf("%s.server_ips[%d]", field, j), "服务器 IP %s 重复", a.Unmap())
			default:
				ips[a.Unmap()] = true
				pr.ServerIPs = append(pr.ServerIPs, a.Unmap())
			}
		}
		if d, err := time.Parse("2006-01-02", pr.ValidUntil); err != nil {
			bad("INVALID_DATE", field+".valid_until", "到期日「%s」应为日期 YYYY-MM-DD", pr.ValidUntil)
		} else {
			pr.ValidUntil = d.Format("2006-01-02")
		}
		c.Products = append(c.Products, pr)
	}
	return c, vs
}

// listCustomers answers every customer with its products (admin).
func (s *Server) listCustomers(c echo.Context) error {
	cs, err := s.desk.Store.ListCustomers(c.Request().Context())
	if err != nil {
		return err
	}
	out := listJSON[customerJSON]{Items: []customerJSON{}}
	for _, cu := range cs {
		out.Items = append(out.Items, customerToJSON(cu))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getCustomer(c echo.Context) error {
	cu, err := s.desk.Store.GetCustomer(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, customerToJSON(*cu))
}

// putCustomer replaces the customer and its products in one transaction,
// audited (admin; the billing system's copy). Products left out are dropped.
func (s *Server) putCustomer(c echo.Context) error {
	id := strings.TrimSpace(c.Param("id"))
	var b customerBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.ID != nil && strings.TrimSpace(*b.ID) != id {
		return beian.Errorf(beian.CodeInvalid, "请求体中的 id「%s」与路径中的客户编号「%s」不一致", *b.ID, id)
	}
	cu, vs := customerFromBody(id, b)
	if len(vs) > 0 {
		return &beian.Error{Code: beian.CodeViolations, Message: fmt.Sprintf("客户资料有 %d 处错误，未保存", len(vs)), Violations: vs}
	}
	if err := s.desk.Store.PutCustomers(c.Request().Context(), []beian.Customer{cu}, caller(c).Name); err != nil {
		return err
	}
	return s.getCustomer(c)
}

// maxUpload is the largest spreadsheet upload (413 above it).
const maxUpload = 10 << 20

// maxUploadBody is the largest multipart body of an upload: the file and
// its headers and boundaries.
const maxUploadBody = maxUpload + 1<<20

// uploadedFile reads the multipart field "file" of at most maxUpload bytes:
// 413 when larger, 415 when the body is not multipart, 400 without the field.
func uploadedFile(c echo.Context) (multipart.File, error) {
	req := c.Request()
	tooLarge := beian.Errorf(beian.CodeTooLarge, "上传的文件超过 10 MiB")
	if req.ContentLength > maxUploadBody {
		return nil, tooLarge
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxUploadBody)
	fh, err := c.FormFile("file")
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, tooLarge
	case errors.Is(err, http.ErrNotMultipart):
		return nil, beian.Errorf(beian.CodeUnsupportedType, "请以 multipart/form-data 上传文件（字段 file）")
	case errors.Is(err, http.ErrMissingFile):
		return nil, beian.Errorf(beian.CodeInvalid, "缺少上传文件：字段名应为 file")
	case err != nil:
		return nil, beian.Errorf(beian.CodeInvalid, "无法读取上传的文件：%s", err.Error())
	}
	if fh.Size > maxUpload {
		return nil, tooLarge
	}
	return fh.Open()
}

// importCustomers reads the customer sheet (.xlsx, one row per access
// product) and replaces the customers in it with their products, all in one
// transaction (admin). Errors name the sheet, cell and problem in Chinese
// (422); nothing is imported then.
func (s *Server) importCustomers(c echo.Context) error {
	f, err := uploadedFile(c)
	if err != nil {
		return err
	}
	defer f.Close()
	cs, err := xlsx.ReadCustomers(f)
	if err != nil {
		return err
	}
	if err := s.desk.Store.PutCustomers(c.Request().Context(), cs, caller(c).Name); err != nil {
		return err
	}
	out := struct {
		Customers int            `json:"customers"`
		Products  int            `json:"products"`
		Items     []customerJSON `json:"items"`
	}{Customers: len(cs), Items: []customerJSON{}}
	for _, cu := range cs {
		out.Products += len(cu.Products)
		j := customerToJSON(cu)
		j.UpdatedBy, j.UpdatedAt = caller(c).Name, s.desk.Now().In(shanghai)
		out.Items = append(out.Items, j)
	}
	return c.JSON(http.StatusOK, out)
}
