package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
	"github.com/beian/beian/secret"
)

// blacklistJSON is one blacklist entry (黑名单, R-IN-6) as api.md shows it.
type blacklistJSON struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Value     string    `json:"value"`
	Reason    string    `json:"reason"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

// blacklistToJSON renders an entry. Unless reveal is set, the value of a
// certificate number or phone entry is masked (secret.Mask), as ID numbers
// are on a case (R-BR-2); names and domains are shown as they are.
func blacklistToJSON(e beian.BlacklistEntry, reveal bool) blacklistJSON {
	value := e.Value
	if !reveal && (e.Kind == intake.BlacklistCertNumber || e.Kind == intake.BlacklistPhone) {
		value = secret.Mask(value)
	}
	return blacklistJSON{ID: e.ID, Kind: e.Kind, Value: value, Reason: e.Reason, Author: e.Author, CreatedAt: e.CreatedAt.In(shanghai)}
}

// listBlacklist answers the whole blacklist, oldest entry first, with
// certificate numbers and phones masked; a supervisor or admin sees them in
// clear with ?reveal=true, which is audited (403 for other roles).
func (s *Server) listBlacklist(c echo.Context) error {
	ctx := c.Request().Context()
	reveal := wantsReveal(c)
	if reveal {
		if _, err := s.mayReveal(c); err != nil {
			return err
		}
	}
	list, err := s.desk.Store.ListBlacklist(ctx)
	if err != nil {
		return err
	}
	if reveal {
		err := s.desk.Store.Audit(ctx, beian.AuditEntry{
			At: s.desk.Now(), Actor: caller(c).Name, Action: "reveal", Target: "blacklist",
			Detail: fmt.Sprintf("查看黑名单中完整的证件号码和电话号码（共 %d 条）", len(list)),
		})
		if err != nil {
			return err
		}
	}
	out := listJSON[blacklistJSON]{Items: []blacklistJSON{}}
	for _, e := range list {
		out.Items = append(out.Items, blacklistToJSON(e, reveal))
	}
	return c.JSON(http.StatusOK, out)
}

// addBlacklistEntry puts a certificate number, name, domain or phone on the
// blacklist (R-IN-6); from the next check on, intake and every correction
// naming it are refused with BLACKLISTED. The same value of the same kind
// twice (compared normalised: 139-0013-9000 is 13900139000) is a 409.
func (s *Server) addBlacklistEntry(c echo.Context) error {
	var b struct {
		Kind   string `json:"kind"`
		Value  string `json:"value"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	rules, err := s.desk.Rules(ctx)
	if err != nil {
		return err
	}
	kind := strings.TrimSpace(b.Kind)
	key, err := intake.BlacklistKey(kind, b.Value, rules.FileableSuffixes)
	if err != nil {
		return err
	}
	e := &beian.BlacklistEntry{
		Kind: kind, Value: strings.TrimSpace(b.Value), Key: key, Reason: strings.TrimSpace(b.Reason),
		Author: caller(c).Name, CreatedAt: s.desk.Now(),
	}
	if err := s.desk.Store.AddBlacklistEntry(ctx, e); err != nil {
		return err
	}
	// Masked like the list: the answer is kept under an Idempotency-Key.
	return c.JSON(http.StatusCreated, blacklistToJSON(*e, false))
}

// deleteBlacklistEntry takes an entry off the blacklist; audited.
func (s *Server) deleteBlacklistEntry(c echo.Context) error {
	if err := s.desk.Store.DeleteBlacklistEntry(c.Request().Context(), c.Param("id"), caller(c).Name); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
