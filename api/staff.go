package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
)

// staffJSON is a staff account as the API shows it: never its password.
type staffJSON struct {
	Username  string    `json:"username"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Email     string    `json:"email"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func staffToJSON(s beian.Staff) staffJSON {
	return staffJSON{
		Username: s.Username, Name: s.Name, Role: s.Role, Email: s.Email, Disabled: s.Disabled,
		CreatedAt: s.CreatedAt.In(shanghai), UpdatedAt: s.UpdatedAt.In(shanghai),
	}
}

// staffBody is the body of POST /staff (with username and password) and
// PUT /staff/{username} (username, when given, must be the path's).
type staffBody struct {
	Username  string  `json:"username"`
	Name      string  `json:"name"`
	Role      string  `json:"role"`
	Email     string  `json:"email"`
	Disabled  bool    `json:"disabled"`
	Password  string  `json:"password"`
	CreatedAt *string `json:"created_at"`
	UpdatedAt *string `json:"updated_at"`
}

func (s *Server) listStaff(c echo.Context) error {
	list, err := s.desk.ListStaff(c.Request().Context(), s.actor(c))
	if err != nil {
		return err
	}
	out := listJSON[staffJSON]{Items: []staffJSON{}}
	for _, st := range list {
		out.Items = append(out.Items, staffToJSON(st))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getStaff(c echo.Context) error {
	st, err := s.desk.GetStaff(c.Request().Context(), s.actor(c), c.Param("username"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, staffToJSON(*st))
}

// createStaff adds an account with its first password (admin; audited).
func (s *Server) createStaff(c echo.Context) error {
	var b staffBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	st, err := s.desk.CreateStaff(c.Request().Context(), s.actor(c), beian.Staff{
		Username: b.Username, Name: b.Name, Role: b.Role, Email: b.Email, Disabled: b.Disabled,
	}, b.Password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, staffToJSON(*st))
}

// putStaff changes an account's name, role, email and disabled (admin;
// audited); disabling it ends its sessions. A password goes to /password.
func (s *Server) putStaff(c echo.Context) error {
	var b staffBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	name := strings.ToLower(c.Param("username"))
	if b.Username != "" && strings.ToLower(strings.TrimSpace(b.Username)) != name {
		return beian.Errorf(beian.CodeInvalid, "请求体中的 username「%s」与路径中的「%s」不一致", b.Username, name)
	}
	if b.Password != "" {
		return beian.Errorf(beian.CodeInvalid, "密码请用 PUT /api/v1/staff/%s/password 设置", name)
	}
	st, err := s.desk.UpdateStaff(c.Request().Context(), s.actor(c), beian.Staff{
		Username: name, Name: b.Name, Role: b.Role, Email: b.Email, Disabled: b.Disabled,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, staffToJSON(*st))
}

// putStaffPassword sets an account's password and ends its sessions
// (admin; audited). The answer has no body.
func (s *Server) putStaffPassword(c echo.Context) error {
	var b struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if err := s.desk.SetPassword(c.Request().Context(), s.actor(c), c.Param("username"), b.Password); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) deleteStaff(c echo.Context) error {
	if err := s.desk.DeleteStaff(c.Request().Context(), s.actor(c), c.Param("username")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
