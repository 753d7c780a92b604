package intake

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	beian "github.com/beian/beian"
)

// R-IN-4: resident ID numbers (GB 11643-1999).
func TestValidateResidentID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"R-IN-4 GB example", idGB, idGB, true},
		{"R-IN-4 GB example lower-case x normalised", "11010519491231002x", idGB, true},
		{"R-IN-4 computed X check", idZhang, idZhang, true},
		{"R-IN-4 computed digit check", idLi, idLi, true},
		{"R-IN-4 leap day 2000", idWang, idWang, true},
		{"R-IN-4 born 1900-01-01", "210102190001010049", "210102190001010049", true},
		{"R-IN-4 spaces trimmed", "  " + idLi + " ", idLi, true},
		{"R-IN-4 wrong check digit", "440304198512310012", "", false},
		{"R-IN-4 X where a digit belongs", "44030419851231001X", "", false},
		{"R-IN-4 17 chars", "44030419851231001", "", false},
		{"R-IN-4 19 chars", "4403041985123100111", "", false},
		{"R-IN-4 15-digit old number", "110105491231002", "", false},
		{"R-IN-4 letter inside", "4403041985A2310011", "", false},
		{"R-IN-4 February 30", "440304199002300010", "", false},
		{"R-IN-4 1900 is no leap year", "110101190002290020", "", false},
		{"R-IN-4 before 1900", "110101189912310020", "", false},
		{"R-IN-4 born 2025-12-31, before the check", "140102202512310067", "140102202512310067", true},
		{"R-IN-4 unknown province code 99", "990304198512310011", "", false},
		{"R-IN-4 empty", "", "", false},
		{"R-IN-4 full-width digits", "４40304198512310011", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateResidentID(tt.in, testNow)
			if !tt.ok {
				require.Error(t, err)
				require.Equal(t, CodeInvalidIDNumber, beian.ErrorCode(err))
				require.Empty(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// R-IN-4: the birth date may not be after the day of the check (Beijing date).
func TestValidateResidentIDFutureBirth(t *testing.T) {
	t.Parallel()
	const born20251231 = "140102202512310067"
	_, err := ValidateResidentID(born20251231, time.Date(2025, 12, 30, 12, 0, 0, 0, chinaTime))
	require.Equal(t, CodeInvalidIDNumber, beian.ErrorCode(err))
	// 2025-12-30 17:00 UTC is already 2025-12-31 in Beijing: born today is fine.
	_, err = ValidateResidentID(born20251231, time.Date(2025, 12, 30, 17, 0, 0, 0, time.UTC))
	require.NoError(t, err)
}

// R-IN-4: unified social credit codes (GB 32100-2015) and the legacy allow-list.
func TestValidateCreditCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		legacy   []string
		want     string
		ok       bool
	}{
		{"R-IN-4 known valid 91350100M000100Y43", "91350100M000100Y43", nil, "91350100M000100Y43", true},
		{"R-IN-4 known valid 91110000600037341L", "91110000600037341L", nil, "91110000600037341L", true},
		{"R-IN-4 computed 91320505MA1M111107", usccOrg, nil, usccOrg, true},
		{"R-IN-4 computed 91110000100000000R", "91110000100000000R", nil, "91110000100000000R", true},
		{"R-IN-4 computed institution 12100000400000624D", "12100000400000624D", nil, "12100000400000624D", true},
		{"R-IN-4 lower case normalised", "91110000600037341l", nil, "91110000600037341L", true},
		// 911100001000000001: the check character of 91110000100000000 is R, not 1.
		{"R-IN-4 911100001000000001 fails the check", "911100001000000001", nil, "", false},
		{"R-IN-4 wrong check", "91350100M000100Y44", nil, "", false},
		{"R-IN-4 letter I not in the set", "91350100I000100Y43", nil, "", false},
		{"R-IN-4 letter O not in the set", "9135010O0000100Y43", nil, "", false},
		{"R-IN-4 too short", "91350100M000100Y4", nil, "", false},
		{"R-IN-4 too long", "91350100M000100Y433", nil, "", false},
		{"R-IN-4 empty", "", nil, "", false},
		{"R-IN-4 legacy allow-list passes", "911100001000000001", []string{"911100001000000001"}, "911100001000000001", true},
		{"R-IN-4 legacy allow-list case-insensitive", "91110000100000000a", []string{" 91110000100000000A "}, "91110000100000000A", true},
		{"R-IN-4 other legacy code does not help", "911100001000000001", []string{"911100001000000002"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateCreditCode(tt.in, tt.legacy)
			if !tt.ok {
				require.Error(t, err)
				require.Equal(t, CodeInvalidCreditCode, beian.ErrorCode(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// R-IN-4: mainland mobile numbers.
func TestValidateMobile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"R-IN-4 plain", "13812345678", "13812345678"},
		{"R-IN-4 +86 and spaces", "+86 138 1234 5678", "13812345678"},
		{"R-IN-4 86 prefix", "8619912345678", "19912345678"},
		{"R-IN-4 0086 prefix", "0086-15012345678", "15012345678"},
		{"R-IN-4 dashes", "138-1234-5678", "13812345678"},
		{"R-IN-4 starts 12", "12812345678", ""},
		{"R-IN-4 starts 2", "23812345678", ""},
		{"R-IN-4 10 digits", "1381234567", ""},
		{"R-IN-4 12 digits", "138123456789", ""},
		{"R-IN-4 landline", "0512-88868888", ""},
		{"R-IN-4 letters", "1381234567a", ""},
		{"R-IN-4 empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateMobile(tt.in)
			if tt.want == "" {
				require.Equal(t, CodeInvalidMobile, beian.ErrorCode(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// R-IN-2: fixed-line numbers.
func TestValidateLandline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"R-IN-2 four-digit area code", "0512-88868888", "0512-88868888"},
		{"R-IN-2 Beijing 010", "010 12345678", "010-12345678"},
		{"R-IN-2 Chongqing 023 in brackets", "(023)12345678", "023-12345678"},
		{"R-IN-2 +86 without the 0", "+86 24 12345678", "024-12345678"},
		{"R-IN-2 extension", "0771-1234567转801", "0771-1234567转801"},
		{"R-IN-2 a mobile is no landline", "13812345678", ""},
		{"R-IN-2 too short", "0512-8886", ""},
		{"R-IN-2 no area code", "88868888", ""},
		{"R-IN-2 letters", "0512-ABCDEFG", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := validateLandline(tt.in)
			if tt.want == "" {
				require.Equal(t, CodeInvalidLandline, beian.ErrorCode(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			again, err := validateLandline(got)
			require.NoError(t, err)
			require.Equal(t, got, again)
		})
	}
}
