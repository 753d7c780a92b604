package verify_test

import (
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/verify"
)

func record() *beian.Case {
	return &beian.Case{
		Sponsor:   beian.Sponsor{Kind: beian.SponsorOrganisation, Name: "苏州示例科技（集团）有限公司", Province: "江苏", City: "苏州"},
		Principal: beian.Principal{Name: "李四", Mobile: "13800138000", Landline: "0512-66881234", Email: "li.si@Example.COM.cn"},
	}
}

func answers(m map[string]string) verify.Answers {
	base := map[string]string{
		verify.SponsorName: "苏州示例科技（集团）有限公司", verify.Principal: "李四", verify.PhoneLast4: "8000",
		verify.EmailDomain: "example.com.cn", verify.Province: "江苏", verify.City: "苏州",
	}
	for k, v := range m {
		base[k] = v
	}
	return verify.Answers{Values: base}
}

// TestCompare: the ways people say things match; a different answer does
// not, and names the question (R-VC-1, R-VC-3).
func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name     string
		a        verify.Answers
		mismatch []string
	}{
		{"as recorded", answers(nil), nil},
		{"半角 brackets and spaces", answers(map[string]string{verify.SponsorName: " 苏州示例科技(集团)有限公司 "}), nil},
		{"全角 digits", answers(map[string]string{verify.PhoneLast4: "８０００"}), nil},
		{"the whole number", answers(map[string]string{verify.PhoneLast4: "138-0013-8000"}), nil},
		{"email domain in capitals, with @", answers(map[string]string{verify.EmailDomain: "@EXAMPLE.com.CN"}), nil},
		{"the whole email address", answers(map[string]string{verify.EmailDomain: "li.si@example.com.cn"}), nil},
		{"点 for the dot", answers(map[string]string{verify.EmailDomain: "example点com点cn"}), nil},
		{"省 and 市", answers(map[string]string{verify.Province: "江苏省", verify.City: "苏州市"}), nil},
		{"a city that is not the record's", answers(map[string]string{verify.City: "苏"}), []string{verify.City}},
		{"a wrong email domain", answers(map[string]string{verify.EmailDomain: "qq.com"}), []string{verify.EmailDomain}},
		{"a wrong principal and city", answers(map[string]string{verify.Principal: "王五", verify.City: "无锡"}), []string{verify.Principal, verify.City}},
		{"a wrong phone", answers(map[string]string{verify.PhoneLast4: "5678"}), []string{verify.PhoneLast4}},
		{"too few digits", answers(map[string]string{verify.PhoneLast4: "000"}), []string{verify.PhoneLast4}},
		{"an answer left empty", answers(map[string]string{verify.Province: ""}), []string{verify.Province}},
		{"mobile dialled: the landline's digits (R-VC-2)", verify.Answers{Values: answers(map[string]string{verify.PhoneLast4: "1234"}).Values, Dialled: "mobile"}, nil},
		{"mobile dialled: the mobile's digits are not the answer", verify.Answers{Values: answers(nil).Values, Dialled: "mobile"}, []string{verify.PhoneLast4}},
		{"not said which was dialled: either number", answers(map[string]string{verify.PhoneLast4: "1234"}), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := verify.Compare(record(), tc.a)
			if len(r.Checks) != len(verify.Questions) {
				t.Fatalf("%d checks, want one per answer", len(r.Checks))
			}
			got := r.Mismatches()
			if len(got) != len(tc.mismatch) {
				t.Fatalf("mismatches %v, want %v", got, tc.mismatch)
			}
			for i := range got {
				if got[i] != tc.mismatch[i] {
					t.Fatalf("mismatches %v, want %v", got, tc.mismatch)
				}
			}
			if r.Match() != (len(tc.mismatch) == 0) {
				t.Fatalf("Match() = %v with mismatches %v", r.Match(), got)
			}
		})
	}
}

// TestRegionSuffixes: provinces in their official forms match their short names.
func TestRegionSuffixes(t *testing.T) {
	c := record()
	c.Sponsor.Province, c.Sponsor.City = "广西", "南宁"
	r := verify.Compare(c, answers(map[string]string{verify.Province: "广西壮族自治区", verify.City: "南宁市"}))
	if !r.Match() {
		t.Fatalf("mismatches %v", r.Mismatches())
	}
}

// FuzzCompare: any answer, however odd, gives one check per question and never panics.
func FuzzCompare(f *testing.F) {
	for _, s := range []string{"", "@", "８０００", "江苏省", "a@b@c", "\x00", "点点", "138"} {
		f.Add(s, "mobile")
	}
	f.Fuzz(func(t *testing.T, s, dialled string) {
		vals := map[string]string{}
		for _, q := range verify.Questions {
			vals[q] = s
		}
		r := verify.Compare(record(), verify.Answers{Values: vals, Dialled: dialled})
		if len(r.Checks) != len(verify.Questions) {
			t.Fatalf("%d checks", len(r.Checks))
		}
		if s == "" && r.Match() {
			t.Fatal("empty answers cannot match")
		}
	})
}
