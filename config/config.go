// Package config reads a wippidu instance's configuration from the environment, once,
// in main. Production and staging run the same program with different settings.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wippidu/wippidu/sealed"
)

// Config is the whole configuration. Every field comes from one environment variable
// (see Vars for the names, defaults and meaning).
type Config struct {
	DatabaseURL       string
	StorageURL        string
	AllowProdImport   bool
	Hostname          string
	ListenAddr        string
	SessionSecret     string
	AnonymizerSalt    string
	ExportRetention   time.Duration
	KeepImportedDumps bool
	JobTimeout        time.Duration
	LivenessGrace     time.Duration
	MaxUploadBytes    int64
	WorkerConcurrency int
	LogLevel          string
	MetricsAddr       string
	SecureCookies     bool
	OTelTracing       bool
	LoginAttempts     int      // per client address and minute
	StagingAdmins     []string // lower-cased emails
	ImportedAdmins    string   // ImportedAdminsKeep or ImportedAdminsDemote
	SourceStorageURL  string   // production's exports, read by staging; empty: none
	ExportRecipients  string   // age recipients exports are encrypted to; empty: not encrypted
	ImportIdentity    string   // age identity (or the path of an identity file) that decrypts dumps
	RefreshSchedule   string   // cron schedule of the scheduled refresh; empty: off
	RefreshMaxAge     time.Duration
	ExportSchedule    string // cron schedule of scheduled exports; empty: off
}

// What IMPORTED_ADMINS may say.
const (
	ImportedAdminsKeep   = "keep"
	ImportedAdminsDemote = "demote"
)

// Var documents one environment variable.
type Var struct {
	Name, Default, Instance, Doc string
}

// Vars lists every environment variable, for the README and `--help`.
var Vars = []Var{
	{"DATABASE_URL", "(required)", "both", "PostgreSQL connection URL; River's tables live in the same database."},
	{"STORAGE_URL", "file://./data/storage", "both", "Where dumps live: file:///path or s3://bucket/prefix?endpoint=…&region=…&path_style=true&sse=AES256 (credentials from the standard AWS variables)."},
	{"APP_ALLOW_PROD_IMPORT", "false", "staging only", "true enables the import. Never set it on production."},
	{"APP_HOSTNAME", "(required where imports are allowed)", "both", "This instance's hostname, e.g. staging.wippidu.net: written into exports, and what the CLI's --confirm-host must match."},
	{"LISTEN_ADDR", ":8080", "both", "Address the web tier listens on."},
	{"SESSION_SECRET", "(required by the web tier)", "both", "At least 32 bytes of secret; signs the login form's CSRF token (sessions themselves are server-side rows)."},
	{"ANONYMIZER_SALT", "(required where imports are allowed)", "staging", "Key of the hash that picks fake names; changing it changes every fake name."},
	{"EXPORT_RETENTION", "24h", "production", "How long finished exports stay in storage before housekeeping deletes them."},
	{"KEEP_IMPORTED_DUMPS", "false", "staging", "Keep uploaded dumps after a successful import (they hold production personal data)."},
	{"JOB_TIMEOUT", "12h", "both", "Longest an export or import may run; stuck-job rescue waits an hour longer."},
	{"JOB_LIVENESS_GRACE", "45s", "both", "How long a running job may lack its database session before it counts as lost (its worker died) and is retried."},
	{"MAX_UPLOAD_BYTES", "53687091200", "staging", "Largest dump the web tier accepts (default 50 GiB)."},
	{"WORKER_CONCURRENCY", "2", "both", "Jobs one worker process runs at once (imports are one at a time regardless)."},
	{"METRICS_ADDR", "(off)", "both", "Where `worker run` serves /metrics and /healthz, e.g. :9090."},
	{"LOG_LEVEL", "info", "both", "debug, info, warn or error; logs are JSON on stderr."},
	{"SECURE_COOKIES", "true", "both", "Mark session cookies Secure (set false only for plain-HTTP local demos)."},
	{"OTEL_TRACING", "false", "both", "true emits OpenTelemetry traces of jobs (exporter configured by the standard OTEL_* variables)."},
	{"LOGIN_ATTEMPTS_PER_MINUTE", "5", "both", "Login attempts one client address may make a minute, whatever the emails (a password spray over imported accounts is slowed to this)."},
	{"STAGING_ADMINS", "(none)", "staging", "Comma-separated emails of staging's own admins: with the admin who starts an import, they keep their email, password and admin role across every refresh."},
	{"IMPORTED_ADMINS", "keep", "staging", "keep: production's admins stay admins on staging (their password is staging123 after the default refresh); demote: they become parents, the least-privileged role."},
	{"SOURCE_STORAGE_URL", "(none)", "staging", "Production's STORAGE_URL (or a bucket/prefix holding its exports) that staging may read: the Import section lists its newest exports and imports one without a download; `worker import --from-source NAME` does the same. Only read, never written."},
	{"EXPORT_RECIPIENTS", "(none)", "production", "Comma-separated age public keys (age1…): exports are encrypted to them as they stream and named …json.gz.age."},
	{"IMPORT_IDENTITY", "(none)", "staging", "The age identity (AGE-SECRET-KEY-1…) or the path of an age identity file that decrypts encrypted dumps as they stream."},
	{"REFRESH_SCHEDULE", "(off)", "staging", "Cron schedule (5 fields, or @daily, @every 6h) of the scheduled refresh: the newest export in SOURCE_STORAGE_URL not yet imported and younger than REFRESH_MAX_AGE is imported with every anonymizer on."},
	{"REFRESH_MAX_AGE", "36h", "staging", "How old the newest export may be for a scheduled refresh to import it."},
	{"EXPORT_SCHEDULE", "(off)", "production", "Cron schedule of scheduled exports (with attachments), requested by schedule."},
}

// defaultOf is the default of an environment variable, as Vars documents it; a
// default in parentheses ("(required)", "(off)") means none.
func defaultOf(name string) string {
	for _, v := range Vars {
		if v.Name == name && !strings.HasPrefix(v.Default, "(") {
			return v.Default
		}
	}
	return ""
}

// FromEnv reads the configuration from the process environment.
func FromEnv() (Config, error) { return Parse(os.Getenv) }

// Parse reads the configuration through getenv and validates it.
func Parse(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return defaultOf(name)
	}
	var errs []error
	boolVar := func(name string) bool {
		v := get(name)
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want true or false", name, v))
		}
		return b
	}
	durVar := func(name string) time.Duration {
		v := get(name)
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 24h", name, v))
		}
		return d
	}
	intVar := func(name string) int64 {
		v := get(name)
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive integer", name, v))
		}
		return n
	}
	c := Config{
		DatabaseURL:       get("DATABASE_URL"),
		StorageURL:        get("STORAGE_URL"),
		AllowProdImport:   boolVar("APP_ALLOW_PROD_IMPORT"),
		Hostname:          strings.ToLower(get("APP_HOSTNAME")),
		ListenAddr:        get("LISTEN_ADDR"),
		SessionSecret:     getenv("SESSION_SECRET"),
		AnonymizerSalt:    getenv("ANONYMIZER_SALT"),
		ExportRetention:   durVar("EXPORT_RETENTION"),
		KeepImportedDumps: boolVar("KEEP_IMPORTED_DUMPS"),
		JobTimeout:        durVar("JOB_TIMEOUT"),
		LivenessGrace:     durVar("JOB_LIVENESS_GRACE"),
		MaxUploadBytes:    intVar("MAX_UPLOAD_BYTES"),
		WorkerConcurrency: int(intVar("WORKER_CONCURRENCY")),
		LogLevel:          strings.ToLower(get("LOG_LEVEL")),
		MetricsAddr:       get("METRICS_ADDR"),
		SecureCookies:     boolVar("SECURE_COOKIES"),
		OTelTracing:       boolVar("OTEL_TRACING"),
		ImportedAdmins:    strings.ToLower(get("IMPORTED_ADMINS")),
		LoginAttempts:     int(intVar("LOGIN_ATTEMPTS_PER_MINUTE")),
		SourceStorageURL:  get("SOURCE_STORAGE_URL"),
		ExportRecipients:  get("EXPORT_RECIPIENTS"),
		ImportIdentity:    getenv("IMPORT_IDENTITY"),
		RefreshSchedule:   get("REFRESH_SCHEDULE"),
		RefreshMaxAge:     durVar("REFRESH_MAX_AGE"),
		ExportSchedule:    get("EXPORT_SCHEDULE"),
	}
	for _, e := range strings.Split(getenv("STAGING_ADMINS"), ",") {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			if !strings.Contains(e, "@") {
				errs = append(errs, fmt.Errorf("STAGING_ADMINS: %q is not an email", e))
			}
			c.StagingAdmins = append(c.StagingAdmins, e)
		}
	}
	if c.ImportedAdmins != ImportedAdminsKeep && c.ImportedAdmins != ImportedAdminsDemote {
		errs = append(errs, fmt.Errorf("IMPORTED_ADMINS=%q: want keep or demote", c.ImportedAdmins))
	}
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required"))
	}
	if u, err := url.Parse(c.StorageURL); err != nil || (u.Scheme != "file" && u.Scheme != "s3") {
		errs = append(errs, fmt.Errorf("STORAGE_URL=%q: want file:///path or s3://bucket/prefix", c.StorageURL))
	}
	if c.SourceStorageURL != "" {
		if u, err := url.Parse(c.SourceStorageURL); err != nil || (u.Scheme != "file" && u.Scheme != "s3") {
			errs = append(errs, fmt.Errorf("SOURCE_STORAGE_URL=%q: want file:///path or s3://bucket/prefix", c.SourceStorageURL))
		}
		if storagesOverlap(c.SourceStorageURL, c.StorageURL) {
			errs = append(errs, errors.New("SOURCE_STORAGE_URL and STORAGE_URL overlap: give staging a storage of its own, outside production's (its housekeeping deletes what it finds in its own)"))
		}
	}
	if err := checkSchedule("REFRESH_SCHEDULE", c.RefreshSchedule); err != nil {
		errs = append(errs, err)
	}
	if err := checkSchedule("EXPORT_SCHEDULE", c.ExportSchedule); err != nil {
		errs = append(errs, err)
	}
	if c.RefreshSchedule != "" && (c.SourceStorageURL == "" || !c.AllowProdImport) {
		errs = append(errs, errors.New("REFRESH_SCHEDULE needs APP_ALLOW_PROD_IMPORT=true and SOURCE_STORAGE_URL (where the exports to import are)"))
	}
	if c.AllowProdImport {
		if c.Hostname == "" {
			errs = append(errs, errors.New("APP_ALLOW_PROD_IMPORT=true needs APP_HOSTNAME (the hostname admins must type to confirm an import)"))
		}
		if c.AnonymizerSalt == "" {
			errs = append(errs, errors.New("APP_ALLOW_PROD_IMPORT=true needs ANONYMIZER_SALT (the key of the fake-name mapping)"))
		}
	}
	if h, _, err := net.SplitHostPort(c.Hostname); err == nil {
		c.Hostname = h
	}
	if _, err := sealed.ParseRecipients(c.ExportRecipients); err != nil {
		errs = append(errs, fmt.Errorf("EXPORT_RECIPIENTS %w", err))
	}
	if _, err := sealed.NewDecrypter(c.ImportIdentity); err != nil {
		errs = append(errs, fmt.Errorf("IMPORT_IDENTITY %w", err))
	}
	if _, err := logLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// ParseLogLevel reads LOG_LEVEL alone through getenv, as Parse reads it, for a
// program that needs no other setting (demodata).
func ParseLogLevel(getenv func(string) string) (slog.Level, error) {
	v := strings.ToLower(strings.TrimSpace(getenv("LOG_LEVEL")))
	if v == "" {
		v = defaultOf("LOG_LEVEL")
	}
	return logLevel(v)
}

// logLevel maps the four names LOG_LEVEL takes to slog levels; slog itself would
// also take "INFO+2" and the like, which Vars does not document.
func logLevel(name string) (slog.Level, error) {
	switch name {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", name)
}

// RequireWeb checks what only the web tier needs.
func (c Config) RequireWeb() error {
	if len(c.SessionSecret) < 32 {
		return errors.New("configuration: SESSION_SECRET must be at least 32 characters")
	}
	return nil
}

// HostMatches reports whether the hostname an admin typed names this instance:
// case-insensitive, ports ignored.
func HostMatches(typed, actual string) bool {
	norm := func(s string) string {
		s = strings.TrimSpace(strings.ToLower(s))
		if h, _, err := net.SplitHostPort(s); err == nil {
			s = h
		}
		return strings.TrimSuffix(strings.Trim(s, "[]"), ".")
	}
	t, a := norm(typed), norm(actual)
	return t != "" && t == a
}

// storagesOverlap reports whether two storage URLs share objects: the same
// bucket (or file system) where one's prefix is the other's or lies inside it.
// Query parameters (endpoint, region) are not compared: the same bucket name at
// another endpoint is taken to be the same, the safe side.
func storagesOverlap(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil {
		return a == b
	}
	if ua.Scheme != ub.Scheme || !strings.EqualFold(ua.Host, ub.Host) {
		return false
	}
	pa, pb := strings.Trim(ua.Path, "/")+"/", strings.Trim(ub.Path, "/")+"/"
	return pa == "/" || pb == "/" || strings.HasPrefix(pa, pb) || strings.HasPrefix(pb, pa)
}
