// Command pgcluster starts and stops a private PostgreSQL cluster for the Makefile's
// test, demo and bench targets, when no server is given.
//
//	pgcluster start DIR [PORT]   prints the cluster's postgres:// URL (database "postgres")
//	pgcluster stop DIR
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/wippidu/wippidu/internal/pgcluster"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: pgcluster start DIR [PORT] | stop DIR")
		os.Exit(2)
	}
	dir, err := filepath.Abs(os.Args[2])
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	switch os.Args[1] {
	case "start":
		// A start cut short by Ctrl-C would leave initdb or pg_ctl running in their own
		// process group, and a server may come up after the caller's stop found none.
		// So a start always runs to its end (within the timeout); the caller stops the
		// cluster afterwards.
		signal.Ignore(os.Interrupt, syscall.SIGTERM)
		port := 0
		if len(os.Args) > 3 {
			if port, err = strconv.Atoi(os.Args[3]); err != nil {
				fail(fmt.Errorf("port: %w", err))
			}
		}
		c, err := pgcluster.Start(ctx, pgcluster.Config{Dir: dir, Port: port})
		if err != nil {
			fail(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "port"), []byte(strconv.Itoa(c.Port())), 0o644); err != nil {
			fail(err)
		}
		fmt.Println(c.URL("postgres"))
	case "stop":
		if err := pgcluster.StopDir(ctx, dir); err != nil {
			fail(err)
		}
	default:
		fail(fmt.Errorf("unknown command %q", os.Args[1]))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pgcluster:", err)
	os.Exit(1)
}
