package api

import (
	"errors"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
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

// customerInput is a PUT body as desk takes it (desk.ValidateCustomer
// checks it).
func customerInput(b customerBody) desk.CustomerInput {
	in := desk.CustomerInput{
		Name:            b.Name,
		Contact:         beian.Contact{Name: b.Contact.Name, Mobile: b.Contact.Mobile, Email: b.Contact.Email},
		AccountManager:  beian.Contact{Name: b.AccountManager.Name, Email: b.AccountManager.Email},
		ManagerSuperior: beian.Contact{Name: b.ManagerSuperior.Name, Email: b.ManagerSuperior.Email},
	}
	for _, p := range b.Products {
		in.Products = append(in.Products, desk.ProductInput{ID: p.ID, ServerIPs: p.ServerIPs, ValidUntil: p.ValidUntil})
	}
	return in
}

// listCustomers answers every customer with its products (admin).
func (s *Server) listCustomers(c echo.Context) error {
	cs, err := s.desk.Customers(c.Request().Context(), s.actor(c))
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
	cu, err := s.desk.Customer(c.Request().Context(), s.actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, customerToJSON(*cu))
}

// putCustomer replaces the customer and its products in one transaction,
// audited (admin; the billing system's copy; desk.PutCustomer validates it).
// Products left out are dropped.
func (s *Server) putCustomer(c echo.Context) error {
	id := strings.TrimSpace(c.Param("id"))
	var b customerBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.ID != nil && strings.TrimSpace(*b.ID) != id {
		return beian.Errorf(beian.CodeInvalid, "请求体中的 id「%s」与路径中的客户编号「%s」不一致", *b.ID, id)
	}
	if err := s.desk.PutCustomer(c.Request().Context(), s.actor(c), id, customerInput(b)); err != nil {
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
// product; desk.ImportCustomers) and replaces the customers in it with their products, all in one
// transaction (admin). Errors name the sheet, cell and problem in Chinese
// (422); nothing is imported then.
func (s *Server) importCustomers(c echo.Context) error {
	f, err := uploadedFile(c)
	if err != nil {
		return err
	}
	defer f.Close()
	cs, err := s.desk.ImportCustomers(c.Request().Context(), s.actor(c), f)
	if err != nil {
		return err
	}
	out := struct {
		Customers int            `json:"customers"`
		Products  int            `json:"products"`
		Items     []customerJSON `json:"items"`
	}{Customers: len(cs), Items: []customerJSON{}}
	for _, cu := range cs {
		out.Products += len(cu.Products)
		out.Items = append(out.Items, customerToJSON(cu))
	}
	return c.JSON(http.StatusOK, out)
}
