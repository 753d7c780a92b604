package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// provincePrefixes are the case-number prefixes of the 31 mainland provinces:
// the two-letter pinyin codes of ISO 3166-2:CN (GB/T 2260), which staff know
// from licence plates and forms.
var provincePrefixes = map[string]string{
	"北京": "BJ", "天津": "TJ", "河北": "HE", "山西": "SX", "内蒙古": "NM",
	"辽宁": "LN", "吉林": "JL", "黑龙江": "HL",
	"上海": "SH", "江苏": "JS", "浙江": "ZJ", "安徽": "AH", "福建": "FJ", "江西": "JX", "山东": "SD",
	"河南": "HA", "湖北": "HB", "湖南": "HN", "广东": "GD", "广西": "GX", "海南": "HI",
	"重庆": "CQ", "四川": "SC", "贵州": "GZ", "云南": "YN", "西藏": "XZ",
	"陕西": "SN", "甘肃": "GS", "青海": "QH", "宁夏": "NX", "新疆": "XJ",
}

// unknownPrefix numbers cases whose system province is not known.
const unknownPrefix = "XX"

// caseNoPrefix is the prefix for a system province given as its short name
// ("江苏") or full name ("江苏省", "广西壮族自治区").
func caseNoPrefix(province string) string {
	province = strings.TrimSpace(province)
	if p, ok := provincePrefixes[province]; ok {
		return p
	}
	for name, p := range provincePrefixes {
		if strings.HasPrefix(province, name) {
			return p
		}
	}
	return unknownPrefix
}

// shanghai is China Standard Time. China has kept UTC+8 without daylight
// saving since 1991, so a fixed zone is exact and needs no tzdata.
var shanghai = time.FixedZone("CST", 8*60*60)

// nextCaseNo allocates the next case number for province and the year of
// createdAt in Asia/Shanghai, e.g. JS-2026-000001. The counter row stays
// locked until tx ends; if tx rolls back, the number is not used up.
func nextCaseNo(ctx context.Context, tx pgx.Tx, province string, createdAt time.Time) (string, error) {
	prefix := caseNoPrefix(province)
	year := createdAt.In(shanghai).Year()
	var seq int
	err := tx.QueryRow(ctx, `
		INSERT INTO case_counters (prefix, year, last_seq) VALUES ($1, $2, 1)
		ON CONFLICT (prefix, year) DO UPDATE SET last_seq = case_counters.last_seq + 1
		RETURNING last_seq`, prefix, year).Scan(&seq)
	if err != nil {
		return "", fmt.Errorf("allocate case number: %w", err)
	}
	return fmt.Sprintf("%s-%04d-%06d", prefix, year, seq), nil
}
