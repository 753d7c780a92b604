//go:build tools

package beian

import (
	_ "github.com/compose-spec/compose-go/v2/loader"
	_ "github.com/emersion/go-smtp"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/jackc/tern/v2/migrate"
	_ "github.com/labstack/echo/v4"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/stretchr/testify/require"
	_ "github.com/wneessen/go-mail"
	_ "github.com/xuri/excelize/v2"
	_ "go.temporal.io/sdk/client"
	_ "golang.org/x/net/idna"
)
