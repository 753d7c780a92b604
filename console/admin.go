package console

// adminRoutes registers the pages of the desk's reference data: blacklist,
// calendar, data centres, intake rules, customers and staff accounts.
func (c *Console) adminRoutes() {}
