package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
)

// TestDomainHolders (R-IN-5): the domains of open cases are held by them,
// whatever the case of the letters asked; a domain of an ended case is free;
// nothing is written.
func TestDomainHolders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	open := b.createCase(t, newCase("held.example.cn", "xn--ehq892bo7u7fp.xn--fiqs8s"))
	ended := b.createCase(t, newCase("ended.example.cn"))
	ended.Status = beian.StatusWithdrawn
	applied, err := b.db.SaveTransition(b.ctx, &beian.Transition{Seq: 1, Case: ended, Event: beian.Event{Event: "withdrawn"}})
	require.NoError(t, err)
	require.True(t, applied)

	got, err := b.db.DomainHolders(b.ctx, []string{"Held.Example.CN", "xn--ehq892bo7u7fp.xn--fiqs8s", "ended.example.cn", "free.example.cn", ""})
	require.NoError(t, err)
	heldBy := func(domain string) beian.DomainHolder {
		return beian.DomainHolder{Domain: domain, CaseID: open.ID, CaseNo: open.CaseNo, Status: beian.StatusAwaitingMaterials}
	}
	require.Equal(t, map[string]beian.DomainHolder{
		"held.example.cn":              heldBy("held.example.cn"),
		"xn--ehq892bo7u7fp.xn--fiqs8s": heldBy("xn--ehq892bo7u7fp.xn--fiqs8s"),
	}, got)

	got, err = b.db.DomainHolders(b.ctx, nil)
	require.NoError(t, err)
	require.Empty(t, got)
}
