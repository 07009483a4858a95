package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/wippidu/wippidu/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestRun(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	env := func(k string) string {
		if k == "DATABASE_URL" {
			return dbURL
		}
		return ""
	}
	var stdout, stderr bytes.Buffer
	if err := run([]string{"--users", "40", "--attachment-kb", "2", "--seed", "3"}, env, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	line := stdout.String()
	if !regexp.MustCompile(`^demodata: users=40 school_classes=\d+ students=\d+ guardianships=\d+ messages=400 parental_letters=\d+ letter_acknowledgements=\d+ attachments=\d+ rows=\d+ copied_mb=[\d.]+ attachments_mb=[\d.]+ database_mb=[\d.]+ seconds=[\d.]+\n$`).MatchString(line) {
		t.Errorf("summary: got %q", line)
	}
	if !strings.Contains(stderr.String(), `"msg":"table loaded"`) {
		t.Errorf("stderr has no JSON progress logs: %q", stderr.String())
	}

	// A second run is refused.
	err := run([]string{"--users", "40"}, env, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "already holds data") {
		t.Errorf("second run: got %v, want a refusal", err)
	}
}

// TestRunLogLevel: at LOG_LEVEL=warn a successful run logs nothing (make demo's
// output stays quiet); the summary still goes to stdout.
func TestRunLogLevel(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	env := func(k string) string {
		return map[string]string{"DATABASE_URL": dbURL, "LOG_LEVEL": "warn"}[k]
	}
	var stdout, stderr bytes.Buffer
	if err := run([]string{"--users", "10", "--attachment-kb", "1"}, env, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr at LOG_LEVEL=warn: got %q, want nothing", stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "demodata: users=10 ") {
		t.Errorf("summary: got %q", stdout.String())
	}
}

func TestRunUsageErrors(t *testing.T) {
	noEnv := func(string) string { return "" }
	withEnv := func(string) string { return "postgres://127.0.0.1:1/x" }
	loud := func(k string) string {
		return map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/x", "LOG_LEVEL": "loud"}[k]
	}
	for _, tc := range []struct {
		args []string
		env  func(string) string
		want string
	}{
		{nil, withEnv, "--users N (N > 0) is required"},
		{[]string{"--users", "0"}, withEnv, "--users N (N > 0) is required"},
		{[]string{"--users", "5"}, noEnv, "DATABASE_URL is not set"},
		{[]string{"--users", "5", "extra"}, withEnv, "unexpected arguments: extra"},
		{[]string{"--bogus"}, withEnv, "flag provided but not defined"},
		{[]string{"--users", "5"}, loud, `LOG_LEVEL="loud": want debug, info, warn or error`},
	} {
		var out, errOut bytes.Buffer
		err := run(tc.args, tc.env, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q): got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
