package config

import (
	"flag"
	"log/slog"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wippidu/wippidu/internal/testsalt"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	c, err := Parse(env(map[string]string{"DATABASE_URL": "postgres://x/y"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.AllowProdImport || c.StorageURL != "file://./data/storage" || c.JobTimeout != 12*time.Hour ||
		c.ExportRetention != 24*time.Hour || c.KeepImportedDumps || !c.SecureCookies || c.ListenAddr != ":8080" || c.ExportConnections != 1 {
		t.Errorf("defaults: %+v", c)
	}
}

func TestParseFailsFast(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no database", map[string]string{}, "DATABASE_URL is required"},
		{"import without hostname", map[string]string{"DATABASE_URL": "x", "APP_ALLOW_PROD_IMPORT": "true", "ANONYMIZER_SALT": testsalt.Salt}, "needs APP_HOSTNAME"},
		{"import without salt", map[string]string{"DATABASE_URL": "x", "APP_ALLOW_PROD_IMPORT": "true", "APP_HOSTNAME": "h"}, "needs ANONYMIZER_SALT"},
		{"bad bool", map[string]string{"DATABASE_URL": "x", "APP_ALLOW_PROD_IMPORT": "yes please"}, "APP_ALLOW_PROD_IMPORT"},
		{"bad duration", map[string]string{"DATABASE_URL": "x", "JOB_TIMEOUT": "forever"}, "JOB_TIMEOUT"},
		{"bad storage", map[string]string{"DATABASE_URL": "x", "STORAGE_URL": "ftp://x"}, "STORAGE_URL"},
		{"no export connections", map[string]string{"DATABASE_URL": "x", "EXPORT_CONNECTIONS": "0"}, `EXPORT_CONNECTIONS="0": want a positive integer`},
		{"export connections not a number", map[string]string{"DATABASE_URL": "x", "EXPORT_CONNECTIONS": "two"}, `EXPORT_CONNECTIONS="two": want a positive integer`},
		{"too many export connections", map[string]string{"DATABASE_URL": "x", "EXPORT_CONNECTIONS": "17"}, "EXPORT_CONNECTIONS=17: want 1 to 16"},
		{"bad recipient", map[string]string{"DATABASE_URL": "x", "EXPORT_RECIPIENTS": "age1xyz"}, `EXPORT_RECIPIENTS holds "age1xyz", which is not an age public key`},
		{"secret key as recipient", map[string]string{"DATABASE_URL": "x", "EXPORT_RECIPIENTS": "AGE-SECRET-KEY-1QQQ"}, "EXPORT_RECIPIENTS holds a secret key"},
		{"unreadable identity file", map[string]string{"DATABASE_URL": "x", "IMPORT_IDENTITY": "/nonexistent/age.key"}, "IMPORT_IDENTITY is neither an age secret key (AGE-SECRET-KEY-1…) nor a readable identity file: open /nonexistent/age.key"},
		{"bad identity", map[string]string{"DATABASE_URL": "x", "IMPORT_IDENTITY": "AGE-SECRET-KEY-1QQQ"}, "IMPORT_IDENTITY is not a valid age secret key"},
		{"public key as identity", map[string]string{"DATABASE_URL": "x", "IMPORT_IDENTITY": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}, "IMPORT_IDENTITY is an age public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

// TestKnownAndShortSaltsAreRefused: the salts this repository ever shipped, the
// placeholders people copy, and salts too short or too repetitive to be random
// stop an import-enabled instance at start, with a message that says what to set
// and never quotes the salt.
func TestKnownAndShortSaltsAreRefused(t *testing.T) {
	t.Parallel()
	staging := func(salt string) func(string) string {
		return env(map[string]string{"DATABASE_URL": "x", "APP_ALLOW_PROD_IMPORT": "true", "APP_HOSTNAME": "h", "ANONYMIZER_SALT": salt})
	}
	for _, tc := range []struct{ salt, want string }{
		{"demo-salt", "published example value"},
		{"change-me-staging-salt", "published example value"},
		{"CHANGE-ME", "published example value"},
		{"  Salt ", "published example value"},
		{"CHANGE-ME-please-use-32-random-bytes-here", "placeholder"},
		{"pepper-7f3c9b21e4-salt", "bytes of key material"},
		{"0123456789abcdef0123456789abcdef", "holds 16 bytes"}, // hex: 16 bytes of key
		{strings.Repeat("ab", 40), "repeats 2 different characters"},
	} {
		_, err := Parse(staging(tc.salt))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "openssl rand -hex 32") {
			t.Errorf("ANONYMIZER_SALT=%q: got %v, want a refusal saying %q and how to make a salt", tc.salt, err, tc.want)
		}
		if err != nil && len(strings.TrimSpace(tc.salt)) > 3 && strings.Contains(err.Error(), strings.TrimSpace(tc.salt)) {
			t.Errorf("the refusal quotes the salt: %v", err)
		}
	}
	for _, ok := range []string{testsalt.Salt, "q9Jr2WmX0bN4vL8sT1yZ6cE3hK7fP5dA0gU2iO9wR4e=", strings.Repeat("Tr0ub4dor&3-horse-staple", 2)} {
		if _, err := Parse(staging(ok)); err != nil {
			t.Errorf("ANONYMIZER_SALT of 32 random bytes refused: %v", err)
		}
	}
	// Where imports are off, the salt is not used and not checked.
	if _, err := Parse(env(map[string]string{"DATABASE_URL": "x", "ANONYMIZER_SALT": "demo-salt"})); err != nil {
		t.Errorf("production with a leftover salt: %v", err)
	}
}

func TestParseEncryptionKeys(t *testing.T) {
	t.Parallel()
	// The key pair of age's documentation.
	const public, secret = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
	c, err := Parse(env(map[string]string{"DATABASE_URL": "x", "EXPORT_RECIPIENTS": public + ", " + public, "IMPORT_IDENTITY": secret}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ExportRecipients != public+", "+public || c.ImportIdentity != secret {
		t.Errorf("got %+v", c)
	}
	_, err = Parse(env(map[string]string{"DATABASE_URL": "x", "EXPORT_RECIPIENTS": secret}))
	if err == nil || strings.Contains(err.Error(), secret[15:]) {
		t.Errorf("got %v, want a refusal that does not repeat the secret key", err)
	}
}

func TestParseLogLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value string
		want  slog.Level
		err   bool
	}{
		{"", slog.LevelInfo, false},
		{"debug", slog.LevelDebug, false},
		{" WARN ", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{"info+2", 0, true},
		{"verbose", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseLogLevel(env(map[string]string{"LOG_LEVEL": tt.value}))
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseLogLevel(LOG_LEVEL=%q): got %v, %v; want %v (error: %v)", tt.value, got, err, tt.want, tt.err)
		}
		// Parse takes and refuses the same values.
		_, err = Parse(env(map[string]string{"DATABASE_URL": "x", "LOG_LEVEL": tt.value}))
		if (err != nil) != tt.err {
			t.Errorf("Parse(LOG_LEVEL=%q): got %v, want an error: %v", tt.value, err, tt.err)
		}
	}
}

func TestHostMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typed, actual string
		want          bool
	}{
		{"staging.wippidu.net", "staging.wippidu.net", true},
		{"Staging.Wippidu.NET", "staging.wippidu.net:8443", true},
		{" staging.wippidu.net:443 ", "staging.wippidu.net", true},
		{"staging.wippidu.net.", "staging.wippidu.net", true},
		{"app.wippidu.net", "staging.wippidu.net", false},
		{"", "", false},
		{"staging.wippidu.net.evil.com", "staging.wippidu.net", false},
		{"[::1]:8080", "[::1]", true},
	}
	for _, tt := range tests {
		if got := HostMatches(tt.typed, tt.actual); got != tt.want {
			t.Errorf("HostMatches(%q, %q) = %v, want %v", tt.typed, tt.actual, got, tt.want)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the README's configuration table from Vars")

// TestReadmeDocumentsEveryVariable holds the README's configuration table to Vars:
// the defaults and meanings are written once, in Vars. -update rewrites it.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	t.Parallel()
	const path = "../README.md"
	const begin, end = "<!-- generated from config.Vars", "<!-- end of config.Vars -->"
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README has no block between %q and %q", begin, end)
	}
	i += strings.Index(s[i:], "\n") + 1
	var b strings.Builder
	b.WriteString("| variable | default | set on | meaning |\n| --- | --- | --- | --- |\n")
	for _, v := range Vars {
		b.WriteString("| `" + v.Name + "` | " + v.Default + " | " + v.Instance + " | " + v.Doc + " |\n")
	}
	if *update {
		if err := os.WriteFile(path, []byte(s[:i]+b.String()+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := s[i:j]; got != b.String() {
		t.Errorf("README's configuration table differs from Vars; run go test ./config -run %s -update\ngot:\n%s\nwant:\n%s", t.Name(), got, b.String())
	}
}

func TestParseSchedules(t *testing.T) {
	t.Parallel()
	staging := func(name, spec string) map[string]string {
		return map[string]string{"DATABASE_URL": "x", "APP_ALLOW_PROD_IMPORT": "true", "APP_HOSTNAME": "h", "ANONYMIZER_SALT": testsalt.Salt,
			"SOURCE_STORAGE_URL": "s3://production/exports", name: spec}
	}
	tests := []struct {
		name, spec string
		wantErr    bool
	}{
		{"REFRESH_SCHEDULE", "0 3 * * *", false},
		{"REFRESH_SCHEDULE", "30 2 * * 1-5", false},
		{"REFRESH_SCHEDULE", "@daily", false},
		{"REFRESH_SCHEDULE", "@every 1s", false},
		{"EXPORT_SCHEDULE", "@every 6h", false},
		{"EXPORT_SCHEDULE", "0 1 * * *", false},
		{"REFRESH_SCHEDULE", "every day", true},
		{"REFRESH_SCHEDULE", "0 3 * *", true},     // four fields
		{"REFRESH_SCHEDULE", "0 0 3 * * *", true}, // six fields (seconds) are not standard cron
		{"REFRESH_SCHEDULE", "61 3 * * *", true},  // minute out of range
		{"EXPORT_SCHEDULE", "@fortnightly", true}, // no such descriptor
		{"EXPORT_SCHEDULE", "@every tuesday", true},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.spec, func(t *testing.T) {
			_, err := Parse(env(staging(tt.name, tt.spec)))
			if tt.wantErr {
				want := tt.name + "=" + `"` + tt.spec + `": want a cron schedule`
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("got %v, want an error mentioning %q", err, want)
				}
				return
			}
			if err != nil {
				t.Errorf("got %v, want no error", err)
			}
		})
	}
	// A refresh schedule needs somewhere to take exports from, and imports allowed.
	_, err := Parse(env(map[string]string{"DATABASE_URL": "x", "REFRESH_SCHEDULE": "@daily"}))
	if err == nil || !strings.Contains(err.Error(), "REFRESH_SCHEDULE needs APP_ALLOW_PROD_IMPORT=true and SOURCE_STORAGE_URL") {
		t.Errorf("refresh schedule on production: got %v", err)
	}
	// Only what is missing is named.
	for _, tc := range []struct {
		vars      map[string]string
		want, not string
	}{
		{map[string]string{"APP_ALLOW_PROD_IMPORT": "true", "APP_HOSTNAME": "s", "ANONYMIZER_SALT": testsalt.Salt},
			"REFRESH_SCHEDULE needs SOURCE_STORAGE_URL (where the exports to import are)", "APP_ALLOW_PROD_IMPORT=true"},
		{map[string]string{"SOURCE_STORAGE_URL": "file:///srv/production"}, "REFRESH_SCHEDULE needs APP_ALLOW_PROD_IMPORT=true", "SOURCE_STORAGE_URL"},
	} {
		tc.vars["DATABASE_URL"], tc.vars["REFRESH_SCHEDULE"] = "x", "@daily"
		_, err := Parse(env(tc.vars))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), tc.not) {
			t.Errorf("%v: got %v, want %q and no %q", tc.vars, err, tc.want, tc.not)
		}
	}
}

func TestSourceStorageMustNotOverlapStaging(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		storage, source string
		overlap         bool
	}{
		{"s3://dumps/staging", "s3://dumps/production", false},
		{"s3://dumps/staging", "s3://other/staging", false},
		{"file:///srv/staging", "file:///srv/production", false},
		{"s3://dumps/staging", "s3://dumps/staging/", true},
		{"s3://dumps/staging?region=x", "s3://dumps/staging?region=y", true},
		{"s3://dumps", "s3://dumps/production", true},
		{"s3://dumps/production/staging", "s3://dumps/production", true},
		{"file:///srv/dumps", "file:///srv/dumps/production", true},
	} {
		vars := map[string]string{"DATABASE_URL": "postgres://x", "STORAGE_URL": tc.storage, "SOURCE_STORAGE_URL": tc.source}
		_, err := Parse(func(k string) string { return vars[k] })
		if got := err != nil && strings.Contains(err.Error(), "overlap"); got != tc.overlap {
			t.Errorf("STORAGE_URL=%s SOURCE_STORAGE_URL=%s: refused for overlap %v, want %v (%v)", tc.storage, tc.source, got, tc.overlap, err)
		}
	}
}

func TestWarningsNameTheGap(t *testing.T) {
	t.Parallel()
	staging := map[string]string{"DATABASE_URL": "x", "APP_ALLOW_PROD_IMPORT": "true", "APP_HOSTNAME": "h", "ANONYMIZER_SALT": testsalt.Salt}
	tests := []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"production", map[string]string{"DATABASE_URL": "x"}, nil},
		{"staging without STAGING_ADMINS", staging, []string{"STAGING_ADMINS is empty"}},
		{"staging with them", map[string]string{"STAGING_ADMINS": "ops@x"}, nil},
		{"imported admins kept", map[string]string{"STAGING_ADMINS": "ops@x", "IMPORTED_ADMINS": "keep"}, []string{"IMPORTED_ADMINS=keep"}},
	}
	for _, tt := range tests {
		vars := map[string]string{}
		if tt.name != "production" {
			maps.Copy(vars, staging)
		}
		maps.Copy(vars, tt.vars)
		c, err := Parse(env(vars))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := c.Warnings()
		if len(got) != len(tt.want) {
			t.Errorf("%s: warnings %q, want %d", tt.name, got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s: warning %q, want it to name %q", tt.name, got[i], w)
			}
		}
	}
}
