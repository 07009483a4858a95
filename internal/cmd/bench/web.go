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
	"strings"
	"sync"
	"time"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/bigdump"
	"github.com/wippidu/wippidu/internal/webclient"
)

// webBench measures the web tier on the imported staging database: the peak RSS of
// streaming a multi-GB upload, and progress-poll latency from many clients while an
// import runs.
func webBench(ctx context.Context, server, work, db, dumpFile string, uploadGB float64, pollers int) ([]string, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "DATABASE_URL="+dbURL(server, db), "STORAGE_URL=file://"+filepath.Join(work, "storage-web"),
		"APP_ALLOW_PROD_IMPORT=true", "APP_HOSTNAME=staging.localhost", "ANONYMIZER_SALT=bench", "LOG_LEVEL=warn",
		"SESSION_SECRET=bench-session-secret-0123456789abcdef", "SECURE_COOKIES=false", "LOGIN_ATTEMPTS_PER_MINUTE=10000",
		"LISTEN_ADDR=127.0.0.1:"+strconv.Itoa(port))
	web := exec.Command(filepath.Join(work, "bin", "web"))
	web.Env, web.Stderr = env, os.Stderr
	if err := web.Start(); err != nil {
		return nil, err
	}
	defer func() { _ = web.Process.Kill(); _, _ = web.Process.Wait() }()
	addr, host := "127.0.0.1:"+strconv.Itoa(port), "staging.localhost:"+strconv.Itoa(port)
	if err := waitHTTP(addr); err != nil {
		return nil, err
	}
	admin := webclient.New(addr, host)
	// Production's admin after the refresh (demodata's first user is the admin).
	if err := admin.Login(ctx, "user-1@staging.local", anonymizer.StagingPassword); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	var out []string

	if uploadGB > 0 {
		step(fmt.Sprintf("web tier: streaming a %.1f GB upload", uploadGB))
		size := int64(uploadGB * 1e9)
		start := time.Now()
		s, err := admin.Import(ctx, webclient.ImportForm{ConfirmHost: "staging.localhost", FileName: "big.json.gz"}, bigdump.Stream(size))
		if err != nil {
			return nil, fmt.Errorf("big upload: %w", err)
		}
		took := time.Since(start)
		rss, err := peakRSS(web.Process.Pid)
		if err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("  web tier upload of %.2f GB: %.1f s (%.0f MB/s), web peak RSS %.0f MB", float64(size)/1e9, took.Seconds(), float64(size)/1e6/took.Seconds(), rss))
		// No worker runs yet: cancel the queued job so it never replaces staging.
		if _, err := worker(work, dbURL(server, db), filepath.Join(work, "storage-web"), nil, "jobs", "cancel", strconv.FormatInt(s.JobID, 10)); err != nil {
			return nil, err
		}
	}

	if pollers > 0 {
		step(fmt.Sprintf("web tier: %d clients polling progress during an import", pollers))
		w := exec.Command(filepath.Join(work, "bin", "worker"), "run")
		w.Env, w.Stderr = env, os.Stderr
		if err := w.Start(); err != nil {
			return nil, err
		}
		defer func() { _ = w.Process.Kill(); _, _ = w.Process.Wait() }()
		f, err := os.Open(dumpFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		// The pollers log in first: logging in reads users, which the import replaces
		// (sessions, once made, never read it again).
		clients := make([]*webclient.Client, pollers)
		for i := range clients {
			clients[i] = webclient.New(addr, host)
			if err := clients[i].Login(ctx, "user-1@staging.local", anonymizer.StagingPassword); err != nil {
				return nil, fmt.Errorf("poller login: %w", err)
			}
		}
		// Every anonymizer off: the longest import, the most time under load.
		s, err := admin.Import(ctx, webclient.ImportForm{ConfirmHost: "staging.localhost", RiskAck: anonymizer.RiskAck,
			AnonymizersOff: anonymizer.Keys, FileName: filepath.Base(dumpFile)}, f)
		if err != nil {
			return nil, fmt.Errorf("import upload: %w", err)
		}
		lat, polls, during, err := poll(ctx, clients, s.JobID)
		if err != nil {
			return nil, err
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		out = append(out, fmt.Sprintf("  %d clients polling GET /admin/data/jobs/{id} for the %.1f s of an import: %d polls, p50 %s, p99 %s, max %s",
			pollers, during.Seconds(), polls, q(0.50).Round(time.Microsecond*100), q(0.99).Round(time.Microsecond*100), lat[len(lat)-1].Round(time.Microsecond*100)))
	}
	return out, nil
}

// poll has every logged-in client poll a job's status until it is done, and returns
// every latency measured while the job was running.
func poll(ctx context.Context, clients []*webclient.Client, jobID int64) ([]time.Duration, int, time.Duration, error) {
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
				st, err := c.Status(ctx, jobID)
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

// peakRSS reads a live process's peak resident set (VmHWM) in MB.
func peakRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, err := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
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
