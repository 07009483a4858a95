package config

import (
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolConfig reads DATABASE_URL (url) as every program opens its database pool
// with it, so that a value that is no connection string is refused naming the
// variable and the form it takes, never as the driver's bare "cannot parse".
// The driver's message hides the password.
func PoolConfig(url string) (*pgxpool.Config, error) {
	c, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL is not a PostgreSQL connection URL such as postgres://user:password@host:5432/wippidu: %w", err)
	}
	return c, nil
}
