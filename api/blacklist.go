package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/desk"
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

// blacklistToJSON renders an entry as desk gives it (desk.Blacklist masks
// certificate numbers and phones unless revealed; desk.MaskBlacklist).
func blacklistToJSON(e beian.BlacklistEntry) blacklistJSON {
	return blacklistJSON{ID: e.ID, Kind: e.Kind, Value: e.Value, Reason: e.Reason, Author: e.Author, CreatedAt: e.CreatedAt.In(shanghai)}
}

// listBlacklist answers the whole blacklist, oldest entry first, with
// certificate numbers and phones masked; a supervisor or admin sees them in
// clear with ?reveal=true, which is audited (403 for other roles).
func (s *Server) listBlacklist(c echo.Context) error {
	list, err := s.desk.Blacklist(c.Request().Context(), s.actor(c), wantsReveal(c))
	if err != nil {
		return err
	}
	out := listJSON[blacklistJSON]{Items: []blacklistJSON{}}
	for _, e := range list {
		out.Items = append(out.Items, blacklistToJSON(e))
	}
	return c.JSON(http.StatusOK, out)
}

// addBlacklistEntry puts a certificate number, name, domain or phone on the
// blacklist (R-IN-6, desk.AddBlacklistEntry); from the next check on, intake
// and every correction naming it are refused with BLACKLISTED. The same
// value of the same kind twice (compared normalised: 139-0013-9000 is
// 13900139000) is a 409.
func (s *Server) addBlacklistEntry(c echo.Context) error {
	var b struct {
		Kind   string `json:"kind"`
		Value  string `json:"value"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	e, err := s.desk.AddBlacklistEntry(c.Request().Context(), s.actor(c), b.Kind, b.Value, b.Reason)
	if err != nil {
		return err
	}
	// Masked like the list: the answer is kept under an Idempotency-Key.
	return c.JSON(http.StatusCreated, blacklistToJSON(desk.MaskBlacklist(*e)))
}

// deleteBlacklistEntry takes an entry off the blacklist; audited.
func (s *Server) deleteBlacklistEntry(c echo.Context) error {
	if err := s.desk.DeleteBlacklistEntry(c.Request().Context(), s.actor(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
