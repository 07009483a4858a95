package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// summary prints the run's end: counts, failures, skipped tests with their
// reasons, the slowest packages and the time taken.
func (r *run) summary(took time.Duration) {
	var ok, failed, empty int
	for _, p := range r.done {
		switch {
		case p.result == "fail":
			failed++
		case p.tests == 0:
			empty++
		default:
			ok++
		}
	}
	var top, sub, passed, fails, skips int
	var failNames, skipLines []string
	for _, t := range r.order {
		if strings.Contains(t.name, "/") {
			sub++
		} else {
			top++
		}
		switch t.result {
		case "pass":
			passed++
		case "fail":
			fails++
			failNames = append(failNames, short(t.pkg)+" "+t.name)
		case "skip":
			skips++
			skipLines = append(skipLines, fmt.Sprintf("%s %s: %s", short(t.pkg), t.name, reason(t.output)))
		}
	}
	fmt.Fprintf(r.w, "\n==> summary: %d packages (%d ok, %d failed, %d without tests", len(r.done), ok, failed, empty)
	if len(r.broken) > 0 {
		fmt.Fprintf(r.w, ", %d did not build: %s", len(r.broken), strings.Join(r.broken, ", "))
	}
	fmt.Fprintf(r.w, "); %d tests and %d subtests: %d passed, %d failed, %d skipped; %s\n",
		top, sub, passed, fails, skips, took.Round(time.Second))
	if len(failNames) > 0 {
		fmt.Fprintf(r.w, "failed:\n  %s\n", strings.Join(failNames, "\n  "))
	}
	if len(skipLines) > 0 {
		fmt.Fprintf(r.w, "skipped:\n  %s\n", strings.Join(skipLines, "\n  "))
	}
	fmt.Fprintf(r.w, "slowest packages: %s\n", r.slowest(5))
	fmt.Fprintf(r.w, "slowest tests: %s\n", r.slowestTests(8))
}

// reason is what a skipped test said when it skipped: its log lines, without
// go test's own.
func reason(output []string) string {
	var lines []string
	for _, l := range output {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return "(no reason given)"
	}
	return strings.Join(lines, "; ")
}

func (r *run) slowest(n int) string {
	ps := append([]*pkg{}, r.done...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].elapsed > ps[j].elapsed })
	var out []string
	for _, p := range ps[:min(n, len(ps))] {
		out = append(out, fmt.Sprintf("%s %.0fs", short(p.name), p.elapsed))
	}
	return strings.Join(out, ", ")
}

// slowestTests names the n top-level tests that took longest: where a shorter
// test run would start.
func (r *run) slowestTests(n int) string {
	var ts []*test
	for _, t := range r.order {
		if !strings.Contains(t.name, "/") && t.result != "" {
			ts = append(ts, t)
		}
	}
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].elapsed > ts[j].elapsed })
	var out []string
	for _, t := range ts[:min(n, len(ts))] {
		out = append(out, fmt.Sprintf("%s %s %.0fs", short(t.pkg), t.name, t.elapsed))
	}
	return strings.Join(out, ", ")
}
