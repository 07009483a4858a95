package web

import (
	"sync"
	"time"
)

// BackoffConfig configures a Backoff.
type BackoffConfig struct {
	Free int           // failures allowed without delay (default 3)
	Base time.Duration // delay after the first failure beyond Free (default 1s), doubled each time
	Max  time.Duration // longest delay (default 5m)
	Now  func() time.Time
}

// Backoff slows down failed logins per email and client address: after Free
// failures, every further attempt must wait, twice as long each time. It lives in
// memory; a restart forgets it, which costs an attacker a restart per few guesses.
type Backoff struct {
	cfg     BackoffConfig
	mu      sync.Mutex
	entries map[string]*backoffEntry
}

type backoffEntry struct {
	fails int
	until time.Time
	last  time.Time
}

// maxBackoffEntries bounds the memory an attacker can make the map use.
const maxBackoffEntries = 100_000

// NewBackoff returns a Backoff, filling in defaults.
func NewBackoff(cfg BackoffConfig) *Backoff {
	if cfg.Free <= 0 {
		cfg.Free = 3
	}
	if cfg.Base <= 0 {
		cfg.Base = time.Second
	}
	if cfg.Max <= 0 {
		cfg.Max = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Backoff{cfg: cfg, entries: map[string]*backoffEntry{}}
}

// Wait returns how long key must wait before its next attempt; 0 when it may try.
func (b *Backoff) Wait(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[key]
	if e == nil {
		return 0
	}
	return max(0, e.until.Sub(b.cfg.Now()))
}

// Fail records a failed attempt.
func (b *Backoff) Fail(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.cfg.Now()
	if len(b.entries) >= maxBackoffEntries {
		b.prune(now)
	}
	e := b.entries[key]
	if e == nil {
		e = &backoffEntry{}
		b.entries[key] = e
	}
	e.fails++
	e.last = now
	if n := e.fails - b.cfg.Free; n > 0 {
		d := b.cfg.Max
		if n < 20 {
			d = min(b.cfg.Base<<(n-1), b.cfg.Max)
		}
		e.until = now.Add(d)
	}
}

// Reset forgets key's failures (after a successful login).
func (b *Backoff) Reset(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.entries, key)
}

func (b *Backoff) prune(now time.Time) {
	for k, e := range b.entries {
		if now.Sub(e.last) > b.cfg.Max && now.After(e.until) {
			delete(b.entries, k)
		}
	}
}
