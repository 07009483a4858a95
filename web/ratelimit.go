package web

import (
	"sync"
	"time"
)

// AddressLimitConfig configures an AddressLimit.
type AddressLimitConfig struct {
	Burst int           // attempts an address may make at once (default 5)
	Per   time.Duration // in which Burst attempts come back (default 1m)
	Now   func() time.Time
}

// AddressLimit bounds the login attempts of each client address, whatever the
// emails: after a refresh every imported account shares one password, and a
// password spray across many emails never fails often enough on any one of them
// for Backoff to notice. Each address gets Burst attempts, and one more every
// Per/Burst. It lives in memory, like Backoff.
type AddressLimit struct {
	cfg     AddressLimitConfig
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewAddressLimit returns an AddressLimit, filling in defaults.
func NewAddressLimit(cfg AddressLimitConfig) *AddressLimit {
	if cfg.Burst <= 0 {
		cfg.Burst = 5
	}
	if cfg.Per <= 0 {
		cfg.Per = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &AddressLimit{cfg: cfg, buckets: map[string]*bucket{}}
}

// Take spends one attempt of addr and returns 0, or, when it has none left, how
// long until it has one.
func (l *AddressLimit) Take(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Now()
	rate := float64(l.cfg.Burst) / float64(l.cfg.Per) // attempts per nanosecond
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= maxBackoffEntries {
			l.prune(now, rate)
		}
		b = &bucket{tokens: float64(l.cfg.Burst), at: now}
		l.buckets[addr] = b
	}
	b.tokens = min(float64(l.cfg.Burst), b.tokens+float64(now.Sub(b.at))*rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / rate)
}

// prune forgets the addresses whose bucket is full again.
func (l *AddressLimit) prune(now time.Time, rate float64) {
	for k, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.at))*rate >= float64(l.cfg.Burst) {
			delete(l.buckets, k)
		}
	}
}
