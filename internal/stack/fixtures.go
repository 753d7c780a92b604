package stack

import (
	"fmt"
	"time"
)

// PersonFiling is the body of a valid new filing: a person in 广东 (so the
// 广东 bureau reviews it, R-ENT-3) on a Jiangsu IP of the test customer.
func PersonFiling(domain string) map[string]any {
	return map[string]any{
		"type": "new",
		"sponsor": map[string]any{
			"kind": "person", "name": "张三", "cert_type": "id_card", "cert_number": "11010519491231002X",
			"province": "广东", "city": "广州", "address": "天河区体育西路1号",
		},
		"principal": map[string]any{
			"name": "张三", "id_number": "11010519491231002X", "mobile": "13800138000", "email": "zhangsan@example.net",
		},
		"website": map[string]any{
			"name": "张三的技术笔记", "domains": []string{domain}, "server_ips": []string{"198.51.100.7"},
			"categories": []string{"blog"},
		},
	}
}

// ResidentID is a valid resident ID number (GB 11643) for the i-th filer:
// a sponsor has one application in progress at a time (R-IN-5), so
// concurrent cases need sponsors of their own.
func ResidentID(i int) string {
	birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i+1)
	body := fmt.Sprintf("110105%s%03d", birth.Format("20060102"), (i+1)%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for k, w := range weights {
		sum += int(body[k]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// NthPersonFiling is PersonFiling by the i-th filer (ResidentID(i)).
func NthPersonFiling(i int, domain string) map[string]any {
	f := PersonFiling(domain)
	id := ResidentID(i)
	f["sponsor"].(map[string]any)["cert_number"] = id
	f["principal"].(map[string]any)["id_number"] = id
	return f
}
