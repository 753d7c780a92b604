package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
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

func blacklistToJSON(e beian.BlacklistEntry) blacklistJSON {
	return blacklistJSON{ID: e.ID, Kind: e.Kind, Value: e.Value, Reason: e.Reason, Author: e.Author, CreatedAt: e.CreatedAt.In(shanghai)}
}

// listBlacklist answers the whole blacklist, oldest entry first.
func (s *Server) listBlacklist(c echo.Context) error {
	list, err := s.d.Store.ListBlacklist(c.Request().Context())
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
	rules, err := s.d.Rules(ctx)
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
		Author: caller(c).Name, CreatedAt: s.d.Now(),
	}
	if err := s.d.Store.AddBlacklistEntry(ctx, e); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, blacklistToJSON(*e))
}

// deleteBlacklistEntry takes an entry off the blacklist; audited.
func (s *Server) deleteBlacklistEntry(c echo.Context) error {
	if err := s.d.Store.DeleteBlacklistEntry(c.Request().Context(), c.Param("id"), caller(c).Name); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
