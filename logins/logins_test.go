package logins_test

import (
	"context"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/logins"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestNetwork(t *testing.T) {
	t.Parallel()
	tests := []struct{ addr, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"127.0.0.1", "loopback"},
		{"127.0.0.51", "loopback"},
		{"::1", "loopback"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
	}
	for _, tt := range tests {
		if got := logins.Network(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Network(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
	if got := logins.Network(netip.Addr{}); got != "unknown" {
		t.Errorf("Network(invalid) = %q, want unknown", got)
	}
}

// TestTakeIsSharedAcrossReplicas takes attempts of one network at once through two
// pools (two web replicas): the network gets exactly its attempts, whichever
// replica asks, and another network is untouched.
func TestTakeIsSharedAcrossReplicas(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDB(t)
	replicas := []*logins.Limiter{
		logins.New(pgtest.NewPool(t, url), logins.Config{Attempts: 5, Per: time.Hour}),
		logins.New(pgtest.NewPool(t, url), logins.Config{Attempts: 5, Per: time.Hour}),
	}
	ctx := context.Background()
	var mu sync.Mutex
	var wg sync.WaitGroup
	allowed, waits := 0, []time.Duration{}
	for i := range 50 {
		wg.Go(func() {
			wait, err := replicas[i%2].Take(ctx, "198.51.100.1")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if wait == 0 {
				allowed++
			} else {
				waits = append(waits, wait)
			}
		})
	}
	wg.Wait()
	if allowed != 5 || len(waits) != 45 {
		t.Fatalf("50 attempts at once over two replicas: %d allowed, %d told to wait; want 5 and 45", allowed, len(waits))
	}
	for _, w := range waits {
		// One attempt comes back every 12 minutes.
		if w <= 0 || w > 12*time.Minute {
			t.Errorf("wait %v, want within (0, 12m]", w)
		}
	}
	if wait, err := replicas[1].Take(ctx, "198.51.100.2"); err != nil || wait != 0 {
		t.Errorf("another network: wait %v, %v; want 0", wait, err)
	}
}

// TestTakeAfterALaterReplicaTook: a replica's statement whose transaction began
// before another replica's update of the row (its now() is earlier than the
// row's updated_at) gets no tokens back for that, and loses none: the wait it
// is told is at most the time one token takes to come back (12 minutes here).
// Seen in CI as a wait of 12m0.004s when 50 attempts raced over two replicas.
func TestTakeAfterALaterReplicaTook(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	l := logins.New(pool, logins.Config{Attempts: 5, Per: time.Hour})
	ctx := context.Background()
	if wait, err := l.Take(ctx, "198.51.100.7"); err != nil || wait != 0 {
		t.Fatalf("first attempt: wait %v, %v", wait, err)
	}
	// The row as a replica left it whose transaction began 2 s after ours will.
	if _, err := pool.Exec(ctx, `UPDATE login_networks SET tokens = 0, updated_at = now() + interval '2 seconds' WHERE network = '198.51.100.7'`); err != nil {
		t.Fatal(err)
	}
	wait, err := l.Take(ctx, "198.51.100.7")
	if err != nil || wait <= 0 || wait > 12*time.Minute {
		t.Errorf("wait %v, %v; want within (0, 12m]", wait, err)
	}
}

func TestTakeRefills(t *testing.T) {
	t.Parallel()
	l := logins.New(pgtest.NewPool(t, pgtest.NewDB(t)), logins.Config{Attempts: 2, Per: 400 * time.Millisecond})
	ctx := context.Background()
	for i := range 2 {
		if wait, err := l.Take(ctx, "n"); err != nil || wait != 0 {
			t.Fatalf("attempt %d: wait %v, %v", i+1, wait, err)
		}
	}
	wait, err := l.Take(ctx, "n")
	if err != nil || wait <= 0 || wait > 200*time.Millisecond {
		t.Fatalf("third attempt: wait %v, %v; want within (0, 200ms]", wait, err)
	}
	time.Sleep(wait + 50*time.Millisecond)
	if wait, err := l.Take(ctx, "n"); err != nil || wait != 0 {
		t.Errorf("after waiting: wait %v, %v; want 0", wait, err)
	}
}

// TestFailuresSlowOneEmailFromOneNetwork: past Free failures an email waits, twice
// as long each time, from that network only; a login resets it.
func TestFailuresSlowOneEmailFromOneNetwork(t *testing.T) {
	t.Parallel()
	l := logins.New(pgtest.NewPool(t, pgtest.NewDB(t)), logins.Config{Free: 2, Base: 10 * time.Second, Max: 25 * time.Second})
	ctx := context.Background()
	const email, net = "Admin@Staging.example", "203.0.113.9"
	wantWait := []time.Duration{0, 0, 10 * time.Second, 20 * time.Second, 25 * time.Second}
	for i, want := range wantWait {
		if err := l.Fail(ctx, email, net); err != nil {
			t.Fatal(err)
		}
		got, err := l.Wait(ctx, " admin@staging.EXAMPLE ", net)
		if err != nil {
			t.Fatal(err)
		}
		if got > want || got < want-2*time.Second {
			t.Errorf("after %d failures: wait %v, want about %v", i+1, got, want)
		}
	}
	for _, other := range [][2]string{{email, "203.0.113.10"}, {"other@staging.example", net}} {
		if got, err := l.Wait(ctx, other[0], other[1]); err != nil || got != 0 {
			t.Errorf("%s from %s: wait %v, %v; want 0", other[0], other[1], got, err)
		}
	}
	if err := l.Reset(ctx, email, net); err != nil {
		t.Fatal(err)
	}
	if got, err := l.Wait(ctx, email, net); err != nil || got != 0 {
		t.Errorf("after a login: wait %v, %v; want 0", got, err)
	}
}

func TestPrune(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, pgtest.NewDB(t))
	l := logins.New(pool, logins.Config{Attempts: 1, Per: time.Minute, Free: 1, Base: time.Second, Max: time.Minute})
	ctx := context.Background()
	for _, n := range []string{"old", "new"} {
		if _, err := l.Take(ctx, n); err != nil {
			t.Fatal(err)
		}
		if err := l.Fail(ctx, "a@b", n); err != nil {
			t.Fatal(err)
		}
	}
	for _, sql := range []string{
		`UPDATE login_networks SET updated_at = now() - interval '2 minutes' WHERE network = 'old'`,
		`UPDATE login_failures SET updated_at = now() - interval '2 minutes', wait_until = NULL WHERE network = 'old'`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	n, err := l.Prune(ctx)
	if err != nil || n != 2 {
		t.Fatalf("pruned %d rows, %v; want 2", n, err)
	}
	got := pgtest.Strings(t, pool, `SELECT network FROM login_networks UNION ALL SELECT network FROM login_failures`)
	if len(got) != 2 || got[0] != "new" || got[1] != "new" {
		t.Errorf("left %v, want the new network's two rows", got)
	}
}
