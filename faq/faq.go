// Package faq is the filing desk's answer bank (常见问题答复库, R-FAQ-1): the
// questions and answers of part P4 「网站备案常见问题」 of the provider's
// procedures manual, searchable so a specialist can quote the right answer to
// a filer within the five-minute reply window.
//
// The entries live in the embedded file faq.json. Each answer is the manual's
// text as written, so a reply quoted from Entry.Answer is the provider's own
// wording; only the keywords are ours, added so staff find an entry by the
// words they actually type (密码忘了, 多久, 转入 …). Answers keep the manual's
// line breaks (numbered lists, paragraphs) and its slips (「本文当」, 「2:）」)
// untouched; TestTextAsInManual checks them against the manual when it is at
// hand.
package faq

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

//go:embed faq.json
var bankJSON []byte

// Entry is one question and answer of the manual's P4 (常见问题).
type Entry struct {
	// ID is the entry's stable number: its position in P4, starting at 1.
	ID int
	// Question is the manual's question, as written.
	Question string
	// Answer is the manual's answer, as written; quote it verbatim.
	Answer string
	// Keywords are search terms staff would type; they are not in the manual.
	Keywords []string
}

// Hit is one search result: an entry and how well it matched the query.
// A higher Score is a better match; scores compare only within one search.
type Hit struct {
	Entry
	Score float64
}

// Bank is the loaded answer bank. It is read-only after Load and safe for
// concurrent use.
type Bank struct {
	entries []Entry // ordered by ID; entries[i].ID == i+1
	index   []entryIndex
	df      map[gram]int // gram → number of entries containing it
}

// entryRecord is the shape of one entry in faq.json.
type entryRecord struct {
	ID       int      `json:"id"`
	Question string   `json:"question"`
	Answer   string   `json:"answer"`
	Keywords []string `json:"keywords"`
}

// Load reads the answer bank embedded in the binary.
func Load() (*Bank, error) {
	b, err := parse(bankJSON)
	if err != nil {
		return nil, fmt.Errorf("load faq: %w", err)
	}
	return b, nil
}

func parse(data []byte) (*Bank, error) {
	var recs []entryRecord
	if err := json.Unmarshal(data, &recs); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if len(recs) == 0 {
		return nil, errors.New("no entries")
	}
	b := &Bank{entries: make([]Entry, 0, len(recs)), index: make([]entryIndex, 0, len(recs))}
	for i, r := range recs {
		// IDs are positions in P4: staff and other packages cite them, so a
		// gap or reordering in the data file is a defect, not a choice.
		if r.ID != i+1 {
			return nil, fmt.Errorf("entry %d has id %d, want %d", i+1, r.ID, i+1)
		}
		if r.Question == "" || r.Answer == "" {
			return nil, fmt.Errorf("entry %d: empty question or answer", r.ID)
		}
		if strings.TrimSpace(r.Question) != r.Question || strings.TrimSpace(r.Answer) != r.Answer {
			return nil, fmt.Errorf("entry %d: surrounding whitespace in question or answer", r.ID)
		}
		e := entryFromRecord(r)
		b.entries = append(b.entries, e)
		b.index = append(b.index, indexEntry(e))
	}
	b.df = documentFrequencies(b.index)
	return b, nil
}

func entryFromRecord(r entryRecord) Entry {
	return Entry{
		ID:       r.ID,
		Question: r.Question,
		Answer:   r.Answer,
		Keywords: append([]string(nil), r.Keywords...),
	}
}

// All returns every entry, ordered by ID. The slice is the caller's to keep.
func (b *Bank) All() []Entry {
	out := make([]Entry, len(b.entries))
	for i, e := range b.entries {
		out[i] = e.clone()
	}
	return out
}

// Get returns the entry with the given ID, and false if there is none.
func (b *Bank) Get(id int) (Entry, bool) {
	if id < 1 || id > len(b.entries) {
		return Entry{}, false
	}
	return b.entries[id-1].clone(), true
}

// clone copies the keyword slice so callers cannot change the bank.
func (e Entry) clone() Entry {
	e.Keywords = append([]string(nil), e.Keywords...)
	return e
}
