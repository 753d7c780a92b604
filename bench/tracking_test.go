package bench_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/beian/beian/xlsx"
)

// Realistic parts of the tracking rows: sponsors, principals, places.
var (
	trackingProvinces = []struct{ name, abbr string }{
		{"江苏", "苏"}, {"浙江", "浙"}, {"上海", "沪"}, {"安徽", "皖"}, {"广东", "粤"}, {"北京", "京"}, {"四川", "川"}, {"山东", "鲁"},
	}
	trackingCities  = []string{"苏州", "南京", "杭州", "宁波", "合肥", "深圳", "成都", "青岛", "无锡", "常州"}
	trackingTrades  = []string{"网络科技", "信息技术", "电子商务", "文化传媒", "软件开发", "数据服务", "智能制造", "教育咨询"}
	trackingSurname = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"}
	trackingGiven   = []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟"}
	trackingTypes   = []string{"新增备案", "新增备案", "新增备案", "新增网站", "新增接入", "变更备案", "转移/接入"}
)

// benchTrackingRow is case i of the export: one to three domains, one or
// two IPs (some IPv6), a sponsor now and then whose name looks like a
// formula, a filing number once approved.
func benchTrackingRow(i int) xlsx.TrackingRow {
	p := trackingProvinces[i%len(trackingProvinces)]
	r := xlsx.TrackingRow{
		SponsorName: fmt.Sprintf("%s%s%s有限公司", trackingCities[i%len(trackingCities)],
			[]string{"星辰", "云帆", "恒信", "博远", "智汇", "新源", "天合", "锦程"}[i/7%8]+fmt.Sprintf("%d", i%997),
			trackingTrades[i/3%len(trackingTrades)]),
		PrincipalName:  trackingSurname[i%len(trackingSurname)] + trackingGiven[i/11%len(trackingGiven)],
		Domains:        []string{fmt.Sprintf("site%06d.cn", i)},
		IPs:            []string{fmt.Sprintf("198.51.%d.%d", i/250%256, i%250+1)},
		Type:           trackingTypes[i%len(trackingTypes)],
		BureauProvince: p.name,
		BureauReceived: i%5 != 0,
		Returned:       i%9 == 0,
		Approved:       i%5 != 0 && i%3 != 0,
	}
	if i%4 == 0 {
		r.Domains = append(r.Domains, fmt.Sprintf("www.site%06d.cn", i))
	}
	if i%13 == 0 {
		r.Domains = append(r.Domains, fmt.Sprintf("site%06d.com.cn", i))
		r.IPs = append(r.IPs, fmt.Sprintf("2001:db8:%x::%x", i%65536, i%250+1))
	}
	if i%500 == 0 {
		r.SponsorName = "=HYPERLINK(\"http://evil.example\",\"" + r.SponsorName + "\")"
	}
	if r.Approved {
		r.FilingNumber = fmt.Sprintf("%sICP备%d%06d号-%d", p.abbr, 2020+i%7, i, 1+i%3)
	}
	return r
}

// benchTrackingPages pages n generated rows in pages of 1,000, each page
// made when it is asked for.
func benchTrackingPages(n int) func() ([]xlsx.TrackingRow, error) {
	made := 0
	return func() ([]xlsx.TrackingRow, error) {
		if made >= n {
			return nil, nil
		}
		page := make([]xlsx.TrackingRow, min(1000, n-made))
		for i := range page {
			page[i] = benchTrackingRow(made + i)
		}
		made += len(page)
		return page, nil
	}
}

// bareTracking is the baseline: the same ten columns and values through a
// bare excelize StreamWriter and WriteTo, with no styles, widths, panes,
// filter, escaping or export information.
func bareTracking(w io.Writer, next func() ([]xlsx.TrackingRow, error)) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	header := make([]any, len(xlsx.TrackingColumns))
	for i, c := range xlsx.TrackingColumns {
		header[i] = c
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	row := 1
	for {
		page, err := next()
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			row++
			cell, _ := excelize.CoordinatesToCellName(1, row)
			if err := sw.SetRow(cell, []any{r.SponsorName, r.PrincipalName, strings.Join(r.Domains, "、"), strings.Join(r.IPs, "、"),
				r.Type, r.BureauProvince, xlsx.YesNo(r.BureauReceived), xlsx.YesNo(r.Returned), xlsx.YesNo(r.Approved), r.FilingNumber}); err != nil {
				return err
			}
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// countingWriter discards what it is given and counts it, as a response
// to a client that reads as fast as it is sent.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// exportRun is one measured export.
type exportRun struct {
	took  time.Duration
	peak  uint64 // peak HeapInuse, bytes
	bytes int64  // size of the .xlsx
}

// measureExport runs export after a collection, sampling the heap in use
// every 20 ms.
func measureExport(t *testing.T, export func(io.Writer) error) exportRun {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	var peak atomic.Uint64
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > peak.Load() {
			peak.Store(m.HeapInuse)
		}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			sample()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	var w countingWriter
	start := time.Now()
	err := export(&w)
	took := time.Since(start)
	close(stop)
	<-done
	sample()
	require.NoError(t, err)
	return exportRun{took: took, peak: peak.Load(), bytes: w.n}
}

// TestBenchTrackingExport (R-BR-5): the tracking worksheet of 100,000
// cases, generated in pages of 1,000, written by WriteTracking against the
// same ten columns and values through a bare excelize StreamWriter in the
// same run. Goals: ≤ 1.5× the bare writer's time and ≤ 2× its peak heap.
// The two alternate for BEIAN_BENCH_TRACKING_ROUNDS rounds; the median
// time and the largest peak of each count. Needs no database.
func TestBenchTrackingExport(t *testing.T) {
	requireBench(t)
	n := benchEnv("BEIAN_BENCH_TRACKING_ROWS", 100_000)
	rounds := benchEnv("BEIAN_BENCH_TRACKING_ROUNDS", 3)
	meta := xlsx.ExportMeta{By: "压测专员", At: time.Now(), Filter: "省份：全部；状态：全部"}

	var bare, ours []exportRun
	for range rounds {
		bare = append(bare, measureExport(t, func(w io.Writer) error { return bareTracking(w, benchTrackingPages(n)) }))
		ours = append(ours, measureExport(t, func(w io.Writer) error { return xlsx.WriteTracking(w, meta, benchTrackingPages(n)) }))
	}
	median := func(rs []exportRun) time.Duration {
		ds := make([]time.Duration, len(rs))
		for i, r := range rs {
			ds[i] = r.took
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	peak := func(rs []exportRun) float64 {
		var p uint64
		for _, r := range rs {
			p = max(p, r.peak)
		}
		return float64(p) / (1 << 20)
	}
	for i := range bare {
		fmt.Printf("round %d: bare %.2f s, %.0f MB peak heap, %d KB; ours %.2f s, %.0f MB peak heap, %d KB\n", i+1,
			bare[i].took.Seconds(), float64(bare[i].peak)/(1<<20), bare[i].bytes/1024,
			ours[i].took.Seconds(), float64(ours[i].peak)/(1<<20), ours[i].bytes/1024)
	}

	// What was measured is a whole, readable sheet.
	path := filepath.Join(t.TempDir(), "tracking.xlsx")
	out, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, xlsx.WriteTracking(out, meta, benchTrackingPages(n)))
	require.NoError(t, out.Close())
	f, err := excelize.OpenFile(path)
	require.NoError(t, err)
	rows, err := f.Rows(xlsx.TrackingSheet)
	require.NoError(t, err)
	count := 0
	var last []string
	for rows.Next() {
		count++
		if last, err = rows.Columns(); err != nil {
			break
		}
	}
	require.NoError(t, err)
	require.NoError(t, rows.Close())
	require.NoError(t, f.Close())
	require.Equal(t, n+1, count, "header and every case")
	require.Equal(t, benchTrackingRow(n-1).SponsorName, last[0])

	oursT, bareT := median(ours), median(bare)
	timeRatio := oursT.Seconds() / bareT.Seconds()
	oursM, bareM := peak(ours), peak(bare)
	memRatio := oursM / bareM
	fmt.Printf("bench tracking-export-time: %.2f× bare StreamWriter (%.2f s vs %.2f s) (goal ≤ 1.5×) %s\n",
		timeRatio, oursT.Seconds(), bareT.Seconds(), verdict(timeRatio <= 1.5))
	fmt.Printf("bench tracking-export-memory: %.2f× bare (%.0f MB vs %.0f MB) (goal ≤ 2×) %s\n",
		memRatio, oursM, bareM, verdict(memRatio <= 2))
}
