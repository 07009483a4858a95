package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wippidu/wippidu"
	cmdline "github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/internal/poll"
	"github.com/wippidu/wippidu/internal/webclient"
	"github.com/wippidu/wippidu/ops"
)

// TestConcurrentImportSubmissionsAcceptOne submits 20 imports at once over HTTP,
// from several admins, and three more through the command line: exactly one is
// accepted, every other one is refused with the busy message, and the refused
// uploads leave nothing in storage.
func TestConcurrentImportSubmissionsAcceptOne(t *testing.T) {
	t.Parallel()
	l := startLive(t, slog.New(slog.DiscardHandler))
	const admins, web, cli = 4, 20, 3
	clients := make([]*webclient.Client, web)
	for i := range admins {
		l.addAdmin(fmt.Sprintf("admin%d@wippidu.example", i))
	}
	for i := range clients {
		clients[i] = l.login(fmt.Sprintf("admin%d@wippidu.example", i%admins))
	}
	dump := smallDump(t)
	dumpFile := filepath.Join(t.TempDir(), "wippidu-export-20261125-101112.json.gz")
	if err := os.WriteFile(dumpFile, dump, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := make(chan struct{})
	var wg sync.WaitGroup
	webErrs := make([]error, web)
	accepted := make([]int64, 0, 1)
	var mu sync.Mutex
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s, err := c.Import(ctx, webclient.ImportForm{ConfirmHost: stagingHost}, bytes.NewReader(dump))
			webErrs[i] = err
			if err == nil {
				mu.Lock()
				accepted = append(accepted, s.JobID)
				mu.Unlock()
			}
		}()
	}
	// The command line waits for the job it enqueued; its context ends the wait
	// once every submission has been answered.
	cliCtx, cliCancel := context.WithCancel(ctx)
	defer cliCancel()
	type cliResult struct {
		code   int
		stderr *syncBuffer
		done   chan struct{}
	}
	cliRes := make([]*cliResult, cli)
	for i := range cliRes {
		r := &cliResult{stderr: &syncBuffer{}, done: make(chan struct{})}
		cliRes[i] = r
		go func() {
			defer close(r.done)
			<-start
			r.code = ops.Command(cliCtx, cmdline.Env{
				Args:   []string{"import", "--confirm-host", stagingHost, dumpFile},
				Stdout: &syncBuffer{}, Stderr: r.stderr,
				Getenv: func(k string) string { return l.vars[k] },
			})
		}()
	}
	close(start)
	wg.Wait()
	queued := func(r *cliResult) bool { return strings.Contains(r.stderr.String(), " queued (River job ") }
	poll.Until(t, "every command line submission to be answered", time.Minute, func() bool {
		for _, r := range cliRes {
			select {
			case <-r.done:
			default:
				if !queued(r) {
					return false
				}
			}
		}
		return true
	})
	cliCancel()

	ok, busy := len(accepted), 0
	want := wippidu.ErrImportBusy.Message
	for i, err := range webErrs {
		var se *webclient.StatusError
		switch {
		case err == nil:
		case errors.As(err, &se) && se.Status == http.StatusConflict && se.Message == want:
			busy++
		default:
			t.Errorf("HTTP submission %d: got %v, want success or 409 %q", i, err, want)
		}
	}
	for i, r := range cliRes {
		<-r.done
		lines := strings.Split(strings.TrimSpace(r.stderr.String()), "\n")
		switch last := lines[len(lines)-1]; {
		case queued(r):
			ok++
		case r.code == 1 && strings.HasPrefix(last, "worker: "+want+" "): // the product's words, then the command line's specifics
			busy++
		default:
			t.Errorf("command line submission %d: exit %d, stderr %q; want the busy message", i, r.code, r.stderr.String())
		}
	}
	if ok != 1 || busy != web+cli-1 {
		t.Errorf("got %d accepted and %d refused as busy, want 1 and %d", ok, busy, web+cli-1)
	}

	var jobs, audits, refused int
	var key string
	if err := l.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM river_job WHERE kind = 'import'),
		(SELECT count(*) FROM import_export_audits WHERE status <> 'refused'), (SELECT count(*) FROM import_export_audits WHERE status = 'refused'),
		(SELECT COALESCE(max(object_key), '') FROM import_export_audits)`).Scan(&jobs, &audits, &refused, &key); err != nil {
		t.Fatal(err)
	}
	if jobs != 1 || audits != 1 || refused != busy {
		t.Errorf("import jobs %d, audit rows %d, refusals %d; want 1, 1 and %d", jobs, audits, refused, busy)
	}
	objs, err := l.store.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Key != key {
		t.Errorf("stored objects: got %v, want only the accepted upload %q", objs, key)
	}
	var files int
	_ = filepath.WalkDir(l.storeDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return err
	})
	if files != 1 {
		t.Errorf("files in storage: got %d, want 1 (refused uploads leave no temp files)", files)
	}
}
