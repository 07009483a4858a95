package transfer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/demodata"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/poll"
	"github.com/wippidu/wippidu/transfer"
)

// demo fills pool with the demo data of a school of users users.
func demo(t *testing.T, pool *pgxpool.Pool, users int) {
	t.Helper()
	cfg := demodata.Config{Users: users, AttachmentKB: 4, Seed: 7}
	if _, err := demodata.Generate(context.Background(), pool, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
}

// exportOn exports pool on n connections.
func exportOn(t *testing.T, pool *pgxpool.Pool, n int, opts transfer.ExportOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	opts.Connections = n
	if _, err := transfer.Export(context.Background(), conn(t, pool), &buf, opts); err != nil {
		t.Fatalf("export on %d connections: %v", n, err)
	}
	return buf.Bytes()
}

// dumpTable is a table of a dump, its rows as their JSON.
type dumpTable struct {
	Name    string
	Columns json.RawMessage
	Rows    []json.RawMessage
}

// dumpTables reads a (small) dump whole: the JSON must be valid, and the keys
// before the tables those of every dump.
func dumpTables(t *testing.T, file []byte) []dumpTable {
	t.Helper()
	var d struct {
		SchemaVersion int    `json:"schema_version"`
		App           string `json:"app"`
		Tables        []dumpTable
	}
	if err := json.Unmarshal(gunzip(t, file), &d); err != nil {
		t.Fatalf("the dump is not JSON: %v", err)
	}
	if d.SchemaVersion != 1 || d.App != "wippidu" {
		t.Fatalf("dump header: schema_version %d, app %q", d.SchemaVersion, d.App)
	}
	return d.Tables
}

// sameRows fails t where got's tables are not want's, each with the same
// columns and the same rows (as a multiset: row order inside a table is free).
func sameRows(t *testing.T, want, got []dumpTable) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d tables, want %d", len(got), len(want))
	}
	sorted := func(rows []json.RawMessage) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i] = string(r)
		}
		slices.Sort(out)
		return out
	}
	for i, w := range want {
		g := got[i]
		switch {
		case g.Name != w.Name:
			t.Errorf("table %d: got %s, want %s", i, g.Name, w.Name)
		case !bytes.Equal(g.Columns, w.Columns):
			t.Errorf("table %s: got columns %s, want %s", w.Name, g.Columns, w.Columns)
		case !slices.Equal(sorted(g.Rows), sorted(w.Rows)):
			t.Errorf("table %s: %d rows, want %d, and not the same ones", w.Name, len(g.Rows), len(w.Rows))
		}
	}
}

// TestExportOnSeveralConnectionsWritesTheSameRows exports demo data on one,
// two and three connections, every table read in parts, the password hashes of
// own admins swapped and attachments fetched in chunks beside the parts: every
// dump holds the same tables, columns and rows, and the ones written in parts
// import into exactly the source's data.
func TestExportOnSeveralConnectionsWritesTheSameRows(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	demo(t, src, 70)
	lim := transfer.NewLimits().Split(0).LargeValues(4000, 999)
	parts := lim.Parts
	want := appChecksums(t, src)
	for _, tc := range []struct {
		name      string
		opts      transfer.ExportOptions
		roundTrip bool
	}{
		{"every value", transfer.ExportOptions{SourceHost: "app.wippidu.net", IncludeAttachments: true}, true},
		{"own admins locked", transfer.ExportOptions{SourceHost: "app.wippidu.net", OwnAccounts: []string{demodata.DefaultAdminEmail}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := parts()
			one := dumpTables(t, exportOn(t, src, 1, lim.Apply(tc.opts)))
			if n := parts() - before; n != 0 {
				t.Fatalf("an export on one connection ran %d COPYs of parts", n)
			}
			for _, n := range []int{2, 3} {
				before := parts()
				file := exportOn(t, src, n, lim.Apply(tc.opts))
				// users, students, messages, letters, acknowledgements … in n parts each
				if got := parts() - before; got < int64(5*n) || got%int64(n) != 0 {
					t.Errorf("%d connections: %d COPYs of parts, want at least 5 tables in %d parts", n, got, n)
				}
				sameRows(t, one, dumpTables(t, file))
				if !tc.roundTrip {
					continue
				}
				dst := pgtest.NewPool(t, pgtest.NewDB(t))
				if _, err := importDump(t, dst, file, anon(t, anonymizer.Keys...)); err != nil {
					t.Fatalf("import of the export on %d connections: %v", n, err)
				}
				sameTables(t, want, appChecksums(t, dst))
			}
		})
	}
}

// writes is a stream of transactions one session commits, one after the
// other, while an export runs. Transaction k writes its marker on a message at
// the start of the messages table, one at its end and on a user, taking the
// rows in turn: a consistent snapshot holds exactly the writes of transactions
// 0 … K-1 for some K, all of each or none.
type writes struct {
	pool      *pgxpool.Pool
	prefix    string  // of the markers, the test's name
	low, high []int64 // message ids, from the start and the end of the table
	users     []int64
	committed atomic.Int64 // transactions 0 … committed-1 are committed
	stop      chan struct{}
	done      chan error
}

// marker is what transaction k writes.
func (w *writes) marker(k int64) string { return w.prefix + strconv.FormatInt(k, 10) + "]" }

func startWrites(t *testing.T, pool *pgxpool.Pool) *writes {
	t.Helper()
	ids := func(q string) []int64 {
		var out []int64
		for _, s := range queryStrings(t, pool, q) {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, n)
		}
		return out
	}
	messages := ids("SELECT id::text FROM messages ORDER BY ctid")
	third := len(messages) / 3
	w := &writes{pool: pool, prefix: "[" + t.Name() + ": transaction ", low: messages[:third], high: messages[len(messages)-third:],
		users: ids("SELECT id::text FROM users ORDER BY id"), stop: make(chan struct{}), done: make(chan error, 1)}
	go func() { w.done <- w.run() }()
	t.Cleanup(func() { w.end(t) })
	return w
}

// rows are the message ids and the user id transaction k writes.
func (w *writes) rows(k int64) (low, high, user int64) {
	return w.low[k%int64(len(w.low))], w.high[k%int64(len(w.high))], w.users[k%int64(len(w.users))]
}

func (w *writes) run() error {
	ctx := context.Background()
	for k := int64(0); ; k++ {
		select {
		case <-w.stop:
			return nil
		default:
		}
		low, high, user := w.rows(k)
		tx, err := w.pool.Begin(ctx)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE messages SET subject = $1 WHERE id = $2 OR id = $3`, w.marker(k), low, high)
		if err == nil {
			_, err = tx.Exec(ctx, `UPDATE users SET city = $1 WHERE id = $2`, w.marker(k), user)
		}
		if err == nil {
			err = tx.Commit(ctx)
		}
		if err != nil {
			_ = tx.Rollback(ctx)
			return fmt.Errorf("transaction %d: %w", k, err)
		}
		w.committed.Add(1)
	}
}

// await waits until n more transactions are committed than when it was called.
func (w *writes) await(t *testing.T, n int64) {
	t.Helper()
	want := w.committed.Load() + n
	poll.Until(t, fmt.Sprintf("%d committed writes", want), time.Minute, func() bool { return w.committed.Load() >= want })
}

// end stops the writes, once.
func (w *writes) end(t *testing.T) {
	t.Helper()
	select {
	case <-w.stop:
		return
	default:
	}
	close(w.stop)
	if err := <-w.done; err != nil {
		t.Error(err)
	}
}

// after is what transactions 0 … k-1 leave: the marker on each row they
// wrote, by "messages <id>" and "users <id>".
func (w *writes) after(k int64) map[string]string {
	out := map[string]string{}
	for i := range k {
		low, high, user := w.rows(i)
		out["messages "+strconv.FormatInt(low, 10)] = w.marker(i)
		out["messages "+strconv.FormatInt(high, 10)] = w.marker(i)
		out["users "+strconv.FormatInt(user, 10)] = w.marker(i)
	}
	return out
}

// markers returns the markers of w in the messages' subjects and users'
// cities of a dump, by "messages <id>" and "users <id>", and the highest
// transaction they name. Every row must be in the dump once.
func (w *writes) markers(t *testing.T, tables []dumpTable) (map[string]string, int64) {
	t.Helper()
	out, last := map[string]string{}, int64(-1)
	for _, tb := range tables {
		col := map[string]string{"messages": "subject", "users": "city"}[tb.Name]
		if col == "" {
			continue
		}
		var cols []struct{ Name string }
		if err := json.Unmarshal(tb.Columns, &cols); err != nil {
			t.Fatal(err)
		}
		at := slices.IndexFunc(cols, func(c struct{ Name string }) bool { return c.Name == col })
		seen, twice := map[string]bool{}, 0
		for _, r := range tb.Rows {
			var row []json.RawMessage
			if err := json.Unmarshal(r, &row); err != nil {
				t.Fatal(err)
			}
			key := tb.Name + " " + string(row[0])
			if seen[key] {
				twice++
			}
			seen[key] = true
			var v string
			if json.Unmarshal(row[at], &v) != nil || !strings.HasPrefix(v, w.prefix) {
				continue
			}
			out[key] = v
			k, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(v, w.prefix), "]"), 10, 64)
			if err != nil {
				t.Fatalf("%s: marker %q", key, v)
			}
			last = max(last, k)
		}
		if twice > 0 {
			t.Errorf("table %s: %d rows are in the dump more than once", tb.Name, twice)
		}
	}
	return out, last
}

// TestExportOnSeveralConnectionsIsOneSnapshot exports while another session
// commits transactions that change rows at both ends of the messages table and
// in users, both read in parts. Before every table the export waits for more
// transactions to commit, so some commit after its snapshot and before its
// readers join it. The dump holds exactly the writes of the transactions
// committed before some point, each row once; some transactions committed
// before the snapshot (in the dump) and some during the export (not in it).
func TestExportOnSeveralConnectionsIsOneSnapshot(t *testing.T) {
	t.Parallel()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	demo(t, src, 100)
	lim := transfer.NewLimits().Split(0)
	parts := lim.Parts
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d connections", n), func(t *testing.T) {
			before := parts()
			w := startWrites(t, src)
			w.await(t, 3)
			table := ""
			file := exportOn(t, src, n, lim.Apply(transfer.ExportOptions{Progress: func(p wippidu.Progress) {
				if p.Phase == wippidu.PhaseExporting && p.Table != table {
					table = p.Table
					w.await(t, 2)
				}
			}}))
			ended := w.committed.Load() // committed before the export returned
			w.end(t)
			if parts() == before {
				t.Fatal("no table was read in parts")
			}
			got, last := w.markers(t, dumpTables(t, file))
			in := last + 1 // transactions in the dump
			want := w.after(in)
			keys := slices.Collect(maps.Keys(want))
			for key := range got {
				if _, ok := want[key]; !ok {
					keys = append(keys, key)
				}
			}
			slices.Sort(keys)
			var wrong []string
			for _, key := range keys {
				if got[key] != want[key] {
					wrong = append(wrong, fmt.Sprintf("%s: got %q, want %q", key, got[key], want[key]))
				}
			}
			if len(wrong) > 0 {
				t.Errorf("the dump holds transaction %d, but %d rows do not hold what transactions 0 to %d left, such as\n%s",
					last, len(wrong), last, strings.Join(wrong[:min(len(wrong), 5)], "\n"))
			}
			if in == 0 || ended <= in {
				t.Errorf("%d transactions in the dump, %d committed before the export ended: want some committed during it", in, ended)
			}
			t.Logf("%d transactions in the dump, %d more committed while the export ran", in, ended-in)
		})
	}
}

// gate is an export's destination that, once stopped, takes no more bytes
// until opened.
type gate struct {
	bytes.Buffer
	stopped atomic.Bool
	opened  chan struct{}
	wait    sync.Once
	open    sync.Once
}

func newGate(t *testing.T) *gate {
	g := &gate{opened: make(chan struct{})}
	t.Cleanup(g.Open)
	return g
}

func (g *gate) Write(b []byte) (int, error) {
	if g.stopped.Load() {
		g.wait.Do(func() { <-g.opened })
	}
	return g.Buffer.Write(b)
}

// Open lets the bytes through again.
func (g *gate) Open() { g.open.Do(func() { close(g.opened) }) }

// TestExportFailsWhenAReaderFails ends the server process of a reader while it
// sends its part of a table, the export's own connection sending the other
// part: the export fails with the reader's error, stops its own COPY, and
// leaves no connection behind.
func TestExportFailsWhenAReaderFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := pgtest.NewPool(t, pgtest.NewDB(t))
	seed(t, src)
	// A table far larger than what the pipes and sockets hold, so that both
	// parts are still being sent when the export stops taking bytes.
	if _, err := src.Exec(ctx, `CREATE TABLE bulk (id int PRIMARY KEY, body text);
		INSERT INTO bulk SELECT g, repeat(md5(g::text), 32) FROM generate_series(1, 80000) g`); err != nil {
		t.Fatal(err)
	}
	lim := transfer.NewLimits().Split(1 << 20)
	own := conn(t, src)
	backends := func() []string {
		return queryStrings(t, src, `SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY 1`)
	}
	before := backends() // the export's own among them
	g := newGate(t)
	done := make(chan error, 1)
	go func() {
		_, err := transfer.Export(ctx, own, g, lim.Apply(transfer.ExportOptions{Connections: 2, Progress: func(p wippidu.Progress) {
			if p.Table == "bulk" {
				g.stopped.Store(true)
			}
		}}))
		done <- err
	}()
	var reader int64
	poll.Until(t, "a reader sending its part of bulk", time.Minute, func() bool {
		pids := pgtest.Strings(t, src, `SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'
			AND query LIKE 'COPY (SELECT % FROM "bulk" WHERE ctid >= %' AND pid <> $1`, own.PgConn().PID())
		if len(pids) > 0 {
			reader, _ = strconv.ParseInt(pids[0], 10, 64)
		}
		return reader != 0
	})
	if got := pgtest.Strings(t, src, `SELECT pg_terminate_backend($1)::text`, reader); got[0] != "true" {
		t.Fatalf("terminate the reader: %v", got)
	}
	g.Open()
	err := <-done
	t.Logf("export: %v", err)
	var pgErr *pgconn.PgError
	if err == nil || !strings.HasPrefix(err.Error(), `copy table "bulk": `) ||
		!(errors.As(err, &pgErr) && pgErr.Code == "57P01" || errors.Is(err, io.ErrUnexpectedEOF)) {
		t.Fatalf("got %v, want the reader's end while copying table bulk", err)
	}
	if !own.IsClosed() {
		t.Error("the export's own connection is still open: its COPY ran to the end instead of being stopped")
	}
	poll.Until(t, "the readers to end", time.Minute, func() bool {
		for _, pid := range backends() {
			if !slices.Contains(before, pid) {
				return false
			}
		}
		return true
	})
	// Nothing is left in a bad state: an export on a fresh connection works.
	exportOn(t, src, 2, lim.Apply(transfer.ExportOptions{}))
}
