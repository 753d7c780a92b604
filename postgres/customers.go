package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/beian/beian"
	"github.com/beian/beian/secret"
)

// This file keeps the billing system's copy of customers and their access
// products (R-ENT-2, R-RV-1), and the queries intake makes of them and of
// open applications (R-IN-5).

// contactRow is the JSON shape of the contact columns of customers.
type contactRow struct {
	Name   string `json:"name"`
	Mobile string `json:"mobile,omitempty"`
	Email  string `json:"email"`
}

// productDateLayout is the layout of Product.ValidUntil.
const productDateLayout = "2006-01-02"

// productColumns select a product with its IPs in order; the query groups by p.id.
const productColumns = `p.id, p.customer_id, to_char(p.valid_until, 'YYYY-MM-DD'),
	coalesce(array_agg(i.ip ORDER BY i.position) FILTER (WHERE i.ip IS NOT NULL), '{}')`

func scanProduct(row pgx.CollectableRow) (beian.Product, error) {
	var p beian.Product
	err := row.Scan(&p.ID, &p.CustomerID, &p.ValidUntil, &p.ServerIPs)
	if len(p.ServerIPs) == 0 {
		p.ServerIPs = nil
	}
	return p, err
}

// selectProducts returns the products selected by where (on p), by customer and position.
func selectProducts(ctx context.Context, q querier, where string, args ...any) ([]beian.Product, error) {
	rows, _ := q.Query(ctx, `
		SELECT `+productColumns+`
		FROM products p LEFT JOIN product_ips i ON i.product_id = p.id
		WHERE `+where+`
		GROUP BY p.id
		ORDER BY p.customer_id, p.position`, args...)
	return pgx.CollectRows(rows, scanProduct)
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

const customerColumns = `id, name, contact, account_manager, manager_superior, updated_by, updated_at`

func scanCustomer(row pgx.CollectableRow) (beian.Customer, error) {
	var (
		c                beian.Customer
		contact, am, sup contactRow
		updatedBy        string
		updatedAt        time.Time
	)
	err := row.Scan(&c.ID, &c.Name, &contact, &am, &sup, &updatedBy, &updatedAt)
	c.Contact, c.AccountManager, c.ManagerSuperior = beian.Contact(contact), beian.Contact(am), beian.Contact(sup)
	c.UpdatedBy, c.UpdatedAt = updatedBy, updatedAt
	return c, err
}

// ListCustomers returns every customer with its products, by ID.
func (db *DB) ListCustomers(ctx context.Context) ([]beian.Customer, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+customerColumns+` FROM customers ORDER BY id`)
	cs, err := pgx.CollectRows(rows, scanCustomer)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	ps, err := selectProducts(ctx, db.pool, `true`)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	byCustomer := map[string][]beian.Product{}
	for _, p := range ps {
		byCustomer[p.CustomerID] = append(byCustomer[p.CustomerID], p)
	}
	for i := range cs {
		cs[i].Products = byCustomer[cs[i].ID]
	}
	return cs, nil
}

// GetCustomer returns the customer with its products; a CodeNotFound error
// when there is none.
func (db *DB) GetCustomer(ctx context.Context, id string) (*beian.Customer, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+customerColumns+` FROM customers WHERE id = $1`, id)
	c, err := pgx.CollectExactlyOneRow(rows, scanCustomer)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, beian.Errorf(beian.CodeNotFound, "客户 %s 不存在", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get customer %s: %w", id, err)
	}
	if c.Products, err = selectProducts(ctx, db.pool, `p.customer_id = $1`, id); err != nil {
		return nil, fmt.Errorf("get customer %s products: %w", id, err)
	}
	return &c, nil
}

// PutCustomers replaces each customer and its products in one transaction:
// products of the customer not in c.Products are dropped. Each customer is
// audited with its products before and after. A product ID held by another
// customer is a CodeConflict error; a product ID or an IP given twice, an
// empty ID or name or a malformed date CodeInvalid. Nothing is written then.
func (db *DB) PutCustomers(ctx context.Context, cs []beian.Customer, actor string) error {
	for _, c := range cs {
		if strings.TrimSpace(c.ID) == "" || strings.TrimSpace(c.Name) == "" {
			return beian.Errorf(beian.CodeInvalid, "客户编号和客户名称不能为空")
		}
		for _, p := range c.Products {
			if strings.TrimSpace(p.ID) == "" {
				return beian.Errorf(beian.CodeInvalid, "客户 %s 的产品编号不能为空", c.ID)
			}
			if _, err := time.Parse(productDateLayout, p.ValidUntil); err != nil {
				return beian.Errorf(beian.CodeInvalid, "产品 %s 的到期日「%s」格式不正确，应为 YYYY-MM-DD", p.ID, p.ValidUntil)
			}
		}
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		for _, c := range cs {
			if err := putCustomer(ctx, tx, c, actor); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put customers: %w", err)
	}
	return nil
}

func putCustomer(ctx context.Context, tx pgx.Tx, c beian.Customer, actor string) error {
	old, err := selectProducts(ctx, tx, `p.customer_id = $1`, c.ID)
	if err != nil {
		return fmt.Errorf("read products of customer %s: %w", c.ID, err)
	}
	ids := make([]string, 0, len(c.Products))
	for _, p := range c.Products {
		ids = append(ids, p.ID)
	}
	var pid, owner string
	err = tx.QueryRow(ctx, `
		SELECT id, customer_id FROM products WHERE id = ANY ($1) AND customer_id <> $2 ORDER BY id LIMIT 1`,
		ids, c.ID).Scan(&pid, &owner)
	if err == nil {
		return beian.Errorf(beian.CodeConflict, "产品编号 %s 已属于客户 %s，不能同时登记在客户 %s 名下", pid, owner, c.ID)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO customers (id, name, contact, account_manager, manager_superior, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, now())
		ON CONFLICT (id) DO UPDATE
		SET name = excluded.name, contact = excluded.contact, account_manager = excluded.account_manager,
			manager_superior = excluded.manager_superior, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		c.ID, c.Name, contactRow(c.Contact), contactRow(c.AccountManager), contactRow(c.ManagerSuperior), actor)
	if err != nil {
		return fmt.Errorf("save customer %s: %w", c.ID, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM products WHERE customer_id = $1`, c.ID); err != nil {
		return fmt.Errorf("drop products of customer %s: %w", c.ID, err)
	}
	for i, p := range c.Products {
		_, err := tx.Exec(ctx, `INSERT INTO products (id, customer_id, valid_until, position) VALUES ($1, $2, $3::date, $4)`,
			p.ID, c.ID, p.ValidUntil, i)
		if code, _ := pgErrorCode(err); code == sqlUniqueViolation {
			return beian.Errorf(beian.CodeInvalid, "产品编号 %s 重复", p.ID)
		}
		if err != nil {
			return fmt.Errorf("save product %s: %w", p.ID, err)
		}
		ips := make([]netip.Addr, 0, len(p.ServerIPs))
		for _, a := range p.ServerIPs {
			if !a.IsValid() {
				return beian.Errorf(beian.CodeInvalid, "产品 %s 有无效的服务器 IP", p.ID)
			}
			ips = append(ips, a.Unmap())
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO product_ips (product_id, ip, position)
			SELECT $1, t.ip, t.n - 1 FROM unnest($2::inet[]) WITH ORDINALITY AS t(ip, n)`, p.ID, ips)
		if code, _ := pgErrorCode(err); code == sqlUniqueViolation {
			return beian.Errorf(beian.CodeInvalid, "产品 %s 的服务器 IP 重复", p.ID)
		}
		if err != nil {
			return fmt.Errorf("save IPs of product %s: %w", p.ID, err)
		}
	}
	return audit(ctx, tx, beian.AuditEntry{
		Actor:  actor,
		Action: "customer.put",
		Target: "customer/" + c.ID,
		Detail: fmt.Sprintf("%s；原产品：%s；现产品：%s", c.Name, productsSummary(old), productsSummary(c.Products)),
	})
}

// productsSummary describes products in a line for the audit log.
func productsSummary(ps []beian.Product) string {
	if len(ps) == 0 {
		return "无"
	}
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		ips := make([]string, 0, len(p.ServerIPs))
		for _, a := range p.ServerIPs {
			ips = append(ips, a.String())
		}
		if len(ips) > 8 {
			ips = append(ips[:8], fmt.Sprintf("等 %d 个", len(p.ServerIPs)))
		}
		parts = append(parts, fmt.Sprintf("%s（%s，至 %s）", p.ID, strings.Join(ips, " "), p.ValidUntil))
	}
	return strings.Join(parts, "、")
}

// ProductsForIPs returns the products holding any of ips, expired ones too,
// each with all its IPs (R-ENT-2, R-RV-1).
func (db *DB) ProductsForIPs(ctx context.Context, ips []netip.Addr) ([]beian.Product, error) {
	addrs := make([]netip.Addr, 0, len(ips))
	for _, a := range ips {
		if a.IsValid() {
			addrs = append(addrs, a.Unmap())
		}
	}
	if len(addrs) == 0 {
		return nil, nil
	}
	ps, err := selectProducts(ctx, db.pool, `p.id IN (SELECT product_id FROM product_ips WHERE ip = ANY ($1::inet[]))`, addrs)
	if err != nil {
		return nil, fmt.Errorf("products for IPs: %w", err)
	}
	return ps, nil
}

// liveCaseOnProduct is the condition that a case (table cases, unqualified)
// is live and one of its server IPs belongs to the product $1.
const liveCaseOnProduct = `status <> ALL ($2) AND EXISTS (
	SELECT 1 FROM product_ips pi
	WHERE pi.product_id = $1 AND cases.website -> 'server_ips' @> jsonb_build_array(host(pi.ip)))`

// ExpiringProducts returns the products valid until through ("2006-01-02")
// or earlier that have live filings (cases not ended) on their IPs, soonest
// expiry first, each with its customer's name and those cases (without
// timelines), oldest first (R-ENT-2, R-RV-1).
func (db *DB) ExpiringProducts(ctx context.Context, through string) ([]beian.ExpiringProduct, error) {
	if _, err := time.Parse(productDateLayout, through); err != nil {
		return nil, beian.Errorf(beian.CodeInvalid, "日期「%s」格式不正确，应为 YYYY-MM-DD", through)
	}
	ended := endedStatuses()
	rows, _ := db.pool.Query(ctx, `
		SELECT `+productColumns+`, min(c.name)
		FROM products p
		JOIN customers c ON c.id = p.customer_id
		LEFT JOIN product_ips i ON i.product_id = p.id
		WHERE p.valid_until <= $1::date AND EXISTS (
			SELECT 1 FROM product_ips pi JOIN cases ON cases.website -> 'server_ips' @> jsonb_build_array(host(pi.ip))
			WHERE pi.product_id = p.id AND cases.status <> ALL ($2))
		GROUP BY p.id
		ORDER BY p.valid_until, p.id`, through, ended)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (beian.ExpiringProduct, error) {
		var e beian.ExpiringProduct
		err := row.Scan(&e.Product.ID, &e.Product.CustomerID, &e.Product.ValidUntil, &e.Product.ServerIPs, &e.CustomerName)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("expiring products: %w", err)
	}
	for i := range out {
		rows, _ := db.pool.Query(ctx, `SELECT `+caseColumns+` FROM cases WHERE `+liveCaseOnProduct+` ORDER BY created_at, id`,
			out[i].Product.ID, ended)
		out[i].Cases, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (beian.Case, error) {
			var r caseRow
			if err := row.Scan(r.scanTargets()...); err != nil {
				return beian.Case{}, err
			}
			return db.caseFromRow(r)
		})
		if err != nil {
			return nil, fmt.Errorf("live cases of product %s: %w", out[i].Product.ID, err)
		}
	}
	return out, nil
}

// OpenApplicationOf returns the oldest application in progress
// (Status.InProgress) of the sponsor with the certificate number, or nil,
// nil when there is none (R-IN-5). Numbers compare as the intake normalised
// them (upper-case), by their blind index (issue 12 §2).
func (db *DB) OpenApplicationOf(ctx context.Context, certNumber string) (*beian.Case, error) {
	box, err := db.keys()
	if err != nil {
		return nil, err
	}
	certIndex := box.Index(secret.IndexID, certNumber)
	if certIndex == "" {
		return nil, nil
	}
	var statuses []string
	for _, s := range beian.InProgressStatuses() {
		statuses = append(statuses, string(s))
	}
	var r caseRow
	err = db.pool.QueryRow(ctx, `
		SELECT `+caseColumns+` FROM cases
		WHERE sponsor_cert_index = $1 AND status = ANY ($2)
		ORDER BY created_at, id LIMIT 1`, certIndex, statuses).Scan(r.scanTargets()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open application of sponsor: %w", err)
	}
	c, err := db.caseFromRow(r)
	if err != nil {
		return nil, fmt.Errorf("open application of sponsor: %w", err)
	}
	return &c, nil
}
