package stack

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
