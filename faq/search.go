package faq

import (
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Chinese has no spaces between words and we carry no segmenter, so text is
// compared as overlapping character pairs (bigrams): 「密码忘了」 → 密码, 码忘,
// 忘了. Single characters count too, with a small weight, so one-character
// queries and near misses still rank something. Each gram is weighted by its
// rarity in the bank (idf); an entry's score is the weighted share of the
// query's grams found in each field, plus the bonuses below.
const (
	questionWeight = 3.0 // the question says what the entry is about
	keywordWeight  = 2.0 // the words staff type for it
	answerWeight   = 1.0 // long, mentions many things in passing
	unigramWeight  = 0.15
	synonymWeight  = 0.8 // a query rewritten with a synonym counts a little less than the words typed
	coverageBonus  = 1.0 // times the share of the question's bigrams the query covers
	phraseBonus    = 1.0 // the whole query appears in the question
	keywordBonus   = 0.5 // a whole keyword appears in the query
	maxQueryRunes  = 64  // staff type phrases, not paragraphs; bounds the work per search
)

// synonyms are groups of words staff and filers use for the same thing. A query
// containing one member is also searched with each other member in its place.
// Members are written normalised (half-width, lower-case, no punctuation).
var synonyms = [][]string{
	{"忘了", "忘记", "丢失", "丢了", "找回", "找不到"},
	{"多久", "多长时间", "几天", "时间", "多少天", "周期"},
	{"变更", "修改", "更改", "改动"},
	{"注销", "取消", "撤销"},
	{"接入", "转入", "转过来"},
	{"个人", "私人"},
	{"企业", "公司", "单位"},
	{"退回", "驳回", "打回", "拒绝"},
	{"访问", "打开"},
	{"费用", "收费", "多少钱", "交钱"},
	{"处罚", "罚款"},
	{"域名", "网址"},
	{"主体", "主办者", "主办单位"},
	{"照片", "相片"},
	{"论坛", "bbs", "电子公告", "留言板"},
	{"查询", "查看", "怎么查", "哪里查"},
	{"有没有", "是否"},
	{"可以", "能不能", "能否", "是否可以"},
}

// idf weighs a gram by how rare it is in the bank: 备案 or 什么 say little
// about which entry is meant, 传真 or 验证 say a lot. A gram in no entry gets
// the weight of the rarest, so that unmatched words still lower a score.
func (b *Bank) idf(g gram) float64 {
	n := float64(len(b.index))
	df := float64(b.df[g])
	if df == 0 {
		df = 1
	}
	return 1 + math.Log(n/df)
}

// entryIndex holds the normalised grams of one entry's fields.
type entryIndex struct {
	question, keywords, answer gramSet
	normQuestion               string
	normKeywords               []string
	questionBigrams            int
}

// gram is one character (unigram) or a pair of adjacent characters (bigram),
// packed into an integer: map lookups on it are several times cheaper than on
// strings, and a search does thousands of them.
type gram uint64

func unigram(r rune) gram { return gram(uint32(r)) }

func bigram(a, b rune) gram { return 1<<63 | gram(uint32(a))<<32 | gram(uint32(b)) }

// weighted is a gram of a query with its idf weight.
type weighted struct {
	gram   gram
	weight float64
}

// gramSet is the distinct bigrams and unigrams of a text.
type gramSet struct {
	bi, uni map[gram]struct{}
}

func indexEntry(e Entry) entryIndex {
	ix := entryIndex{
		normQuestion: normalise(e.Question),
		question:     newGramSet(),
		keywords:     newGramSet(),
		answer:       newGramSet(),
	}
	ix.question.add(ix.normQuestion)
	ix.questionBigrams = len(ix.question.bi)
	for _, k := range e.Keywords {
		nk := normalise(k)
		if nk == "" {
			continue
		}
		ix.normKeywords = append(ix.normKeywords, nk)
		// Each keyword separately: a pair spanning two keywords means nothing.
		ix.keywords.add(nk)
	}
	ix.answer.add(normalise(e.Answer))
	return ix
}

// documentFrequencies counts, for every gram, the entries that contain it in
// any field.
func documentFrequencies(index []entryIndex) map[gram]int {
	df := map[gram]int{}
	for _, ix := range index {
		seen := map[gram]struct{}{}
		for _, f := range []gramSet{ix.question, ix.keywords, ix.answer} {
			for g := range f.bi {
				seen[g] = struct{}{}
			}
			for g := range f.uni {
				seen[g] = struct{}{}
			}
		}
		for g := range seen {
			df[g]++
		}
	}
	return df
}

func newGramSet() gramSet {
	return gramSet{bi: map[gram]struct{}{}, uni: map[gram]struct{}{}}
}

func (s gramSet) add(norm string) {
	rs := []rune(norm)
	for i, r := range rs {
		s.uni[unigram(r)] = struct{}{}
		if i+1 < len(rs) {
			s.bi[bigram(r, rs[i+1])] = struct{}{}
		}
	}
}

// Search returns the entries that best match q, best first, at most limit of
// them (limit <= 0 means no limit). q is what a specialist types: a few words
// or a filer's question pasted in, in any mix of full- and half-width
// characters. A query with nothing searchable in it returns no hits.
func (b *Bank) Search(q string, limit int) []Hit {
	variants := b.queryVariants(q)
	if len(variants) == 0 {
		return nil
	}
	var hits []Hit
	for i, ix := range b.index {
		var best float64
		for _, v := range variants {
			best = max(best, v.score(ix))
		}
		if best > 0 {
			hits = append(hits, Hit{Entry: b.entries[i].clone(), Score: best})
		}
	}
	// Stable, so equal scores keep the manual's order.
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// variant is the normalised query, or the query with synonyms swapped in,
// broken into grams weighted by rarity.
type variant struct {
	text    string
	weight  float64    // 1 as typed, less with synonyms swapped in
	bi, uni []weighted // distinct grams
	total   float64    // the score of a field matching every gram
}

// maxVariants bounds the synonym combinations of one query.
const maxVariants = 64

// queryVariants normalises q and returns it with its synonym variants: for
// each synonym group found in the query, every other member in its place, in
// every combination up to maxVariants. Each variant is scored on its own and
// an entry keeps its best score, so a word and its synonyms count once, not
// once per synonym.
func (b *Bank) queryVariants(q string) []*variant {
	nq := normalise(q)
	if rs := []rune(nq); len(rs) > maxQueryRunes {
		nq = string(rs[:maxQueryRunes])
	}
	if nq == "" {
		return nil
	}
	texts := []string{nq}
	swapped := map[string]bool{nq: false}
	for _, group := range synonyms {
		for _, m := range group {
			if !strings.Contains(nq, m) {
				continue
			}
			for _, t := range texts {
				for _, other := range group {
					if len(texts) >= maxVariants {
						break
					}
					alt := strings.ReplaceAll(t, m, other)
					if _, dup := swapped[alt]; !dup {
						swapped[alt] = true
						texts = append(texts, alt)
					}
				}
			}
		}
	}
	vs := make([]*variant, len(texts))
	for i, t := range texts {
		w := 1.0
		if swapped[t] {
			w = synonymWeight
		}
		vs[i] = b.newVariant(t, w)
	}
	return vs
}

func (b *Bank) newVariant(text string, weight float64) *variant {
	v := &variant{text: text, weight: weight}
	grams := newGramSet()
	grams.add(text)
	for g := range grams.bi {
		v.bi = append(v.bi, weighted{g, b.idf(g)})
	}
	for g := range grams.uni {
		v.uni = append(v.uni, weighted{g, b.idf(g)})
	}
	// Map order is random; summing in a fixed order keeps equal scores equal
	// from one search to the next, so ties always rank in the manual's order.
	sortGrams(v.bi)
	sortGrams(v.uni)
	for _, g := range v.bi {
		v.total += g.weight
	}
	for _, g := range v.uni {
		v.total += unigramWeight * g.weight
	}
	return v
}

func sortGrams(gs []weighted) {
	sort.Slice(gs, func(i, j int) bool { return gs[i].gram < gs[j].gram })
}

// score rates one entry against the variant; 0 means no match. An entry must
// share at least one character pair with the query (or, for a one-character
// query, that character), so that common characters like 备 alone do not
// drag in the whole bank.
func (v *variant) score(ix entryIndex) float64 {
	qb, qMatched, qs := v.overlap(ix.question)
	kb, _, ks := v.overlap(ix.keywords)
	ab, _, as := v.overlap(ix.answer)
	if len(v.bi) > 0 && qb+kb+ab == 0 {
		return 0
	}
	s := (questionWeight*qs + keywordWeight*ks + answerWeight*as) / v.total
	if s == 0 {
		return 0
	}
	if ix.questionBigrams > 0 {
		s += coverageBonus * float64(qMatched) / float64(ix.questionBigrams)
	}
	if utf8.RuneCountInString(v.text) >= 2 && strings.Contains(ix.normQuestion, v.text) {
		s += phraseBonus
	}
	for _, k := range ix.normKeywords {
		if utf8.RuneCountInString(k) >= 2 && strings.Contains(v.text, k) {
			s += keywordBonus
			break
		}
	}
	return s * v.weight
}

// overlap returns the weight of the variant's bigrams found in f, the count
// of them and the weighted score including unigrams.
func (v *variant) overlap(f gramSet) (biWeight float64, biCount int, total float64) {
	for _, g := range v.bi {
		if _, ok := f.bi[g.gram]; ok {
			biWeight += g.weight
			biCount++
		}
	}
	var uni float64
	for _, g := range v.uni {
		if _, ok := f.uni[g.gram]; ok {
			uni += g.weight
		}
	}
	return biWeight, biCount, biWeight + unigramWeight*uni
}

// normalise folds text for matching: full-width ASCII to half-width, the
// ideographic space to a space, lower case, and drops everything that is not
// a letter or a digit (punctuation of both widths, symbols, spaces).
func normalise(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // ！ … ～ → ! … ~
			r -= 0xFEE0
		case r == 0x3000: // ideographic space
			r = ' '
		}
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
