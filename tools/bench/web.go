package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/bigdump"
	"github.com/wippidu/wippidu/internal/procmem"
	"github.com/wippidu/wippidu/internal/webclient"
)

// webTier is a running web server on the imported staging database, its admin
// logged in.
type webTier struct {
	cmd        *exec.Cmd
	env        []string
	addr, host string
	admin      *webclient.Client
}

// Staging's own admin (STAGING_ADMINS) in the web tier's database: only an
// account of staging's own, logged in with its own password, does data work
// there; an imported admin is turned away.
const (
	webDB            = "bench_web"
	webAdminEmail    = "admin@staging.localhost"
	webAdminPassword = "bench-staging-admin"
)

// webBench measures the web tier on a staging database of its own, as `make demo`
// makes staging (a little data and its own admin, hashed by demodata as the
// product hashes passwords): the peak RSS of streaming a multi-GB upload, and
// progress-poll latency from many clients while an import of dumpFile runs.
func (r *runner) webBench(ctx context.Context, dumpFile string) ([]string, error) {
	step("web tier: a staging database with an admin of its own")
	db := webDB
	if err := r.freshDB(ctx, db); err != nil {
		return nil, err
	}
	if err := r.demodata(db, "--users", "20", "--seed", "7", "--admin-email", webAdminEmail, "--admin-password", webAdminPassword); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	w := &webTier{addr: "127.0.0.1:" + strconv.Itoa(port), host: "staging.localhost:" + strconv.Itoa(port)}
	w.env = append(os.Environ(), "DATABASE_URL="+dbURL(r.server, db), "STORAGE_URL=file://"+filepath.Join(r.work, "storage-web"),
		"APP_ALLOW_PROD_IMPORT=true", "APP_HOSTNAME=staging.localhost", "ANONYMIZER_SALT="+benchSalt, "LOG_LEVEL=warn",
		"SESSION_SECRET=bench-session-secret-0123456789abcdef", "SECURE_COOKIES=false", "LOGIN_ATTEMPTS_PER_MINUTE=10000",
		"STAGING_ADMINS="+webAdminEmail, "LISTEN_ADDR="+w.addr)
	w.cmd = exec.Command(filepath.Join(r.work, "bin", "web"))
	w.cmd.Env, w.cmd.Stderr = w.env, os.Stderr
	if err := w.cmd.Start(); err != nil {
		return nil, err
	}
	defer func() { _ = w.cmd.Process.Kill(); _, _ = w.cmd.Process.Wait() }()
	if err := waitHTTP(w.addr); err != nil {
		return nil, err
	}
	w.admin = webclient.New(w.addr, w.host)
	if err := w.admin.Login(ctx, webAdminEmail, webAdminPassword); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	var out []string
	if r.uploadGB > 0 {
		line, err := r.webUpload(ctx, w, db)
		if err != nil {
			return nil, err
		}
		out = append(out, line)
	}
	if r.pollers > 0 {
		line, err := r.webPolling(ctx, w, dumpFile)
		if err != nil {
			return nil, err
		}
		out = append(out, line)
	}
	return out, nil
}

// webUpload streams a -upload-gb upload and reports the web server's peak RSS.
func (r *runner) webUpload(ctx context.Context, w *webTier, db string) (string, error) {
	step(fmt.Sprintf("web tier: streaming a %.1f GB upload", r.uploadGB))
	size := int64(r.uploadGB * 1e9)
	start := time.Now()
	s, err := w.admin.Import(ctx, webclient.ImportForm{ConfirmHost: "staging.localhost", FileName: "big.json.gz"}, bigdump.Stream(size))
	if err != nil {
		return "", fmt.Errorf("big upload: %w", err)
	}
	took := time.Since(start)
	peak, err := procmem.Peak(w.cmd.Process.Pid)
	rss := float64(peak) / (1 << 20)
	if err != nil {
		return "", err
	}
	// No worker runs yet: cancel the queued job so it never replaces staging.
	if _, err := worker(r.work, dbURL(r.server, db), filepath.Join(r.work, "storage-web"), nil, "jobs", "cancel", strconv.FormatInt(s.JobID, 10)); err != nil {
		return "", err
	}
	return fmt.Sprintf("  web tier upload of %.2f GB: %.1f s (%.0f MB/s), web peak RSS %.0f MB", float64(size)/1e9, took.Seconds(), float64(size)/1e6/took.Seconds(), rss), nil
}

// webPolling has -pollers clients poll an import's progress and reports latency.
func (r *runner) webPolling(ctx context.Context, w *webTier, dumpFile string) (string, error) {
	step(fmt.Sprintf("web tier: %d clients polling progress during an import", r.pollers))
	wk := exec.Command(filepath.Join(r.work, "bin", "worker"), "run")
	wk.Env, wk.Stderr = w.env, os.Stderr
	if err := wk.Start(); err != nil {
		return "", err
	}
	defer func() { _ = wk.Process.Kill(); _, _ = wk.Process.Wait() }()
	f, err := os.Open(dumpFile)
	if err != nil {
		return "", err
	}
	defer f.Close()
	// The pollers log in first: logging in reads users, which the import replaces
	// (sessions, once made, never read it again).
	clients := make([]*webclient.Client, r.pollers)
	for i := range clients {
		clients[i] = webclient.New(w.addr, w.host)
		if err := clients[i].Login(ctx, webAdminEmail, webAdminPassword); err != nil {
			return "", fmt.Errorf("poller login: %w", err)
		}
	}
	// Every anonymizer off: the longest import, the most time under load.
	s, err := w.admin.Import(ctx, webclient.ImportForm{ConfirmHost: "staging.localhost", RiskAck: anonymizer.RiskAck,
		AnonymizersOff: anonymizer.Keys, FileName: filepath.Base(dumpFile)}, f)
	if err != nil {
		return "", fmt.Errorf("import upload: %w", err)
	}
	lat, polls, during, err := poll(ctx, clients, s.AuditID)
	if err != nil {
		return "", err
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	return fmt.Sprintf("  %d clients polling GET /admin/data/jobs/{id} for the %.1f s of an import: %d polls, p50 %s, p99 %s, max %s",
		r.pollers, during.Seconds(), polls, q(0.50).Round(time.Microsecond*100), q(0.99).Round(time.Microsecond*100), lat[len(lat)-1].Round(time.Microsecond*100)), nil
}

// poll has every logged-in client poll a job's status until it is done, and returns
// every latency measured while the job was running.
func poll(ctx context.Context, clients []*webclient.Client, auditID int64) ([]time.Duration, int, time.Duration, error) {
	n := len(clients)
	var mu sync.Mutex
	var lat []time.Duration
	var firstRunning, done time.Time
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t0 := time.Now()
				st, err := c.Status(ctx, auditID)
				d := time.Since(t0)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if st.State == "running" {
					lat = append(lat, d)
					if firstRunning.IsZero() {
						firstRunning = t0
					}
				}
				if st.Done && done.IsZero() {
					done = time.Now()
				}
				mu.Unlock()
				if st.Done {
					if !st.Succeeded {
						errs <- fmt.Errorf("import failed: %s", st.Error)
					}
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, 0, 0, err
	}
	if len(lat) == 0 {
		return nil, 0, 0, fmt.Errorf("no poll saw the import running")
	}
	return lat, len(lat), done.Sub(firstRunning), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitHTTP(addr string) error {
	for range 100 {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("web tier at %s did not come up", addr)
}
