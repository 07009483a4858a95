// Package config reads a wippidu instance's configuration from the environment, once,
// in main. Production and staging run the same program with different settings.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/sealed"
)

// Config is the whole configuration. Every field comes from one environment variable
// (see Vars for the names, defaults and meaning).
type Config struct {
	DatabaseURL     string
	StorageURL      string
	AllowProdImport bool
	Hostname        string
	ListenAddr      string
	SessionSecret   string
	AnonymizerSalt  string
	ExportRetention time.Duration
	// FailedUploadRetention is how long the upload of a failed import stays for
	// a retry.
	FailedUploadRetention time.Duration
	KeepImportedDumps     bool
	JobTimeout            time.Duration
	LivenessGrace         time.Duration
	MaxUploadBytes        int64
	WorkerConcurrency     int
	LogLevel              string
	MetricsAddr           string
	SecureCookies         bool
	OTelTracing           bool
	LoginAttempts         int            // per client network and minute
	TrustedProxies        []netip.Prefix // peers whose X-Forwarded-For is believed
	StagingAdmins         []string       // lower-cased emails
	ImportedAdmins        AdminPolicy
	SourceStorageURL      string // production's exports, read by staging; empty: none
	ExportRecipients      string // age recipients exports are encrypted to; empty: not encrypted
	ImportIdentity        string // age identity (or the path of an identity file) that decrypts dumps
	RefreshSchedule       string // cron schedule of the scheduled refresh; empty: off
	RefreshMaxAge         time.Duration
	ExportSchedule        string // cron schedule of scheduled exports; empty: off
	// ExportConnections is how many connections an export reads its tables
	// on at once, its largest tables in parts, all in one snapshot.
	ExportConnections int
}

// DefaultExportConnections is EXPORT_CONNECTIONS unless set: one connection.
// With the worker and PostgreSQL on 2 cores, a 20,000-user export
// (transfer.Export into a file) took 4.4–5.2 s on 1 connection and 4.9–6.8 s on
// 2 (medians 4.5 and 5.5 s, 6 interleaved rounds; make bench
// -export-connections 2 times both as jobs): a second server process took CPU
// from the export's own encoding and compressing.
const DefaultExportConnections = 1

// MaxExportConnections is the most connections EXPORT_CONNECTIONS may give an
// export: each is a server process of its own, and more than the server's
// cores only take turns.
const MaxExportConnections = 16

// AdminPolicy is what IMPORTED_ADMINS says becomes of production's admins on
// staging. Either way they never do data work there (imports, exports, River UI):
// that needs one of staging's own accounts.
type AdminPolicy string

// What IMPORTED_ADMINS may say.
const (
	ImportedAdminsDemote AdminPolicy = "demote" // they get the least privileged role
	ImportedAdminsKeep   AdminPolicy = "keep"   // they stay app admins, with the staging password
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
	{"ANONYMIZER_SALT", "(required where imports are allowed)", "staging", "At least 32 random bytes (`openssl rand -hex 32`), the key of the hash that picks fake names and birth dates; changing it changes every one. Published values (the examples in deploy/) and short or repetitive ones are refused at start."},
	{"EXPORT_RETENTION", "24h", "production", "How long finished exports stay in storage before housekeeping deletes them."},
	{"FAILED_UPLOAD_RETENTION", "24h", "staging", "How long the uploaded dump of a failed import stays in storage, for a retry (River UI, `worker jobs retry`): it is production's raw data. The Import/Export page says on the import's row until when, with a button to delete it at once; an import an admin cancels, and one refused for its data (the leak check, a damaged dump), deletes its upload at once."},
	{"KEEP_IMPORTED_DUMPS", "false", "staging", "Keep uploaded dumps after a successful import (they hold production personal data)."},
	{"JOB_TIMEOUT", "12h", "both", "Longest an export or import may run; stuck-job rescue waits an hour longer."},
	{"JOB_LIVENESS_GRACE", "45s", "both", "How long a running job may lack its database session before it counts as lost (its worker died) and is retried."},
	{"MAX_UPLOAD_BYTES", "53687091200", "staging", "Largest dump the web tier accepts (default 50 GiB)."},
	{"WORKER_CONCURRENCY", "2", "both", "Jobs one worker process runs at once (imports are one at a time regardless)."},
	{"METRICS_ADDR", "(off)", "both", "Where `worker run` serves /metrics and /healthz, e.g. :9090."},
	{"LOG_LEVEL", "info", "both", "debug, info, warn or error; logs are JSON on stderr."},
	{"SECURE_COOKIES", "true", "both", "Mark session cookies Secure (set false only for plain-HTTP local demos)."},
	{"OTEL_TRACING", "false", "both", "true emits OpenTelemetry traces of jobs (exporter configured by the standard OTEL_* variables)."},
	{"LOGIN_ATTEMPTS_PER_MINUTE", "5", "both", "Login attempts one client network (an IPv4 address, an IPv6 /64; every loopback address is one) may make a minute, whatever the emails, counted in PostgreSQL for every web replica at once (a password spray over imported accounts is slowed to this)."},
	{"STAGING_ADMINS", "(none)", "staging", "Comma-separated emails of staging's own admins: with the admin who starts an import, they keep their email, password and admin role across every refresh, and only they (logged in with their own password, never staging123) may import, preview, export or act in River UI."},
	{"IMPORTED_ADMINS", "demote", "staging", "demote: production's admins become parents, the least-privileged role; keep: they stay app admins on staging, where anyone who knows the public address scheme (user-<id>@staging.local) and staging123 can log in as them and see every page an app admin sees. Either way they never start an import, a preview, an export or a River UI action: data work needs one of staging's own accounts (STAGING_ADMINS)."},
	{"TRUSTED_PROXIES", "(none)", "both", "Comma-separated CIDRs of the reverse proxies in front of the web tier (e.g. 10.0.0.0/8): only from them is X-Forwarded-For believed (its right-most address not in these networks is the client). Logins are limited per client network (an IPv4 address, an IPv6 /64) across every web replica."},
	{"SOURCE_STORAGE_URL", "(none)", "staging", "Production's STORAGE_URL (or a bucket/prefix holding its exports) that staging may read: the Import section lists its newest exports and imports one without a download; `worker import --from-source NAME` does the same. Only read, never written."},
	{"EXPORT_RECIPIENTS", "(none)", "production", "Comma-separated age public keys (age1…): exports are encrypted to them as they stream and named …json.gz.age."},
	{"IMPORT_IDENTITY", "(none)", "staging", "The age identity (AGE-SECRET-KEY-1…) or the path of an age identity file that decrypts encrypted dumps as they stream."},
	{"REFRESH_SCHEDULE", "(off)", "staging", "Cron schedule (5 fields, or @daily, @every 6h) of the scheduled refresh: the newest export in SOURCE_STORAGE_URL not yet imported and younger than REFRESH_MAX_AGE is imported with every anonymizer on."},
	{"REFRESH_MAX_AGE", "36h", "staging", "How old the newest export may be for a scheduled refresh to import it."},
	{"EXPORT_SCHEDULE", "(off)", "production", "Cron schedule of scheduled exports (with attachments), requested by schedule."},
	{"EXPORT_CONNECTIONS", strconv.Itoa(DefaultExportConnections), "production", "Connections an export reads on at once (1 to 16), all in the export's one snapshot: tables over 16 MiB are read in that many parts. 1 reads every table on the export's own connection, which was faster where the worker and PostgreSQL share 2 cores; more pay off when the database server has cores to spare. Each export holds this many database connections (one more while it reads an attachment over 1 MiB)."},
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

// Parse reads the configuration through getenv (Read) and checks that its
// settings agree with each other (Validate); the error names every variable that
// is wrong, not only the first.
func Parse(getenv func(string) string) (Config, error) {
	c, err := Read(getenv)
	if verr := c.Validate(); verr != nil {
		err = errors.Join(err, verr)
	}
	if err != nil {
		return c, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// Read turns each variable into its field, with the defaults Vars documents. It
// reports a value that cannot be read (a bool that is not true or false, a
// duration that is not one), not whether the settings make sense together.
func Read(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		DatabaseURL:           r.str("DATABASE_URL"),
		StorageURL:            r.str("STORAGE_URL"),
		AllowProdImport:       r.boolean("APP_ALLOW_PROD_IMPORT"),
		Hostname:              strings.ToLower(r.str("APP_HOSTNAME")),
		ListenAddr:            r.str("LISTEN_ADDR"),
		SessionSecret:         getenv("SESSION_SECRET"),
		AnonymizerSalt:        getenv("ANONYMIZER_SALT"),
		ExportRetention:       r.duration("EXPORT_RETENTION"),
		FailedUploadRetention: r.duration("FAILED_UPLOAD_RETENTION"),
		KeepImportedDumps:     r.boolean("KEEP_IMPORTED_DUMPS"),
		JobTimeout:            r.duration("JOB_TIMEOUT"),
		LivenessGrace:         r.duration("JOB_LIVENESS_GRACE"),
		MaxUploadBytes:        r.positive("MAX_UPLOAD_BYTES"),
		WorkerConcurrency:     int(r.positive("WORKER_CONCURRENCY")),
		LogLevel:              strings.ToLower(r.str("LOG_LEVEL")),
		MetricsAddr:           r.str("METRICS_ADDR"),
		SecureCookies:         r.boolean("SECURE_COOKIES"),
		OTelTracing:           r.boolean("OTEL_TRACING"),
		ImportedAdmins:        AdminPolicy(strings.ToLower(r.str("IMPORTED_ADMINS"))),
		LoginAttempts:         int(r.positive("LOGIN_ATTEMPTS_PER_MINUTE")),
		TrustedProxies:        r.prefixes("TRUSTED_PROXIES"),
		StagingAdmins:         r.emails("STAGING_ADMINS"),
		SourceStorageURL:      r.str("SOURCE_STORAGE_URL"),
		ExportRecipients:      r.str("EXPORT_RECIPIENTS"),
		ImportIdentity:        getenv("IMPORT_IDENTITY"),
		RefreshSchedule:       r.str("REFRESH_SCHEDULE"),
		RefreshMaxAge:         r.duration("REFRESH_MAX_AGE"),
		ExportSchedule:        r.str("EXPORT_SCHEDULE"),
		ExportConnections:     int(r.positive("EXPORT_CONNECTIONS")),
	}
	if h, _, err := net.SplitHostPort(c.Hostname); err == nil {
		c.Hostname = h
	}
	return c, errors.Join(r.errs...)
}

// reader reads variables through getenv and collects what cannot be read.
type reader struct {
	getenv func(string) string
	errs   []error
}

// str is the variable's value, trimmed, or its default.
func (r *reader) str(name string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return defaultOf(name)
}

func (r *reader) boolean(name string) bool {
	v := r.str(name)
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want true or false", name, v))
	}
	return b
}

func (r *reader) duration(name string) time.Duration {
	v := r.str(name)
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want a positive duration such as 24h", name, v))
	}
	return d
}

func (r *reader) positive(name string) int64 {
	v := r.str(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want a positive integer", name, v))
	}
	return n
}

// emails reads a comma-separated list of emails, lower-cased.
func (r *reader) emails(name string) []string {
	var out []string
	for _, e := range strings.Split(r.str(name), ",") {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			if !strings.Contains(e, "@") {
				r.errs = append(r.errs, fmt.Errorf("%s: %q is not an email", name, e))
			}
			out = append(out, e)
		}
	}
	return out
}

// prefixes reads a comma-separated list of CIDRs; a bare address is its own
// network (/32 or /128).
func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range strings.Split(r.str(name), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				r.errs = append(r.errs, fmt.Errorf("%s: %q is not a CIDR such as 10.0.0.0/8 or fd00::/8", name, f))
				continue
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

// Validate checks that the settings make sense together and that the ones read
// as text (URLs, keys, schedules) are well formed.
func (c Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required"))
	}
	if c.ExportConnections > MaxExportConnections {
		errs = append(errs, fmt.Errorf("EXPORT_CONNECTIONS=%d: want 1 to %d", c.ExportConnections, MaxExportConnections))
	}
	if c.ImportedAdmins != ImportedAdminsKeep && c.ImportedAdmins != ImportedAdminsDemote {
		errs = append(errs, fmt.Errorf("IMPORTED_ADMINS=%q: want demote or keep", c.ImportedAdmins))
	}
	errs = append(errs, c.validateStorage()...)
	errs = append(errs, c.validateSchedules()...)
	if c.AllowProdImport {
		if c.Hostname == "" {
			errs = append(errs, errors.New("APP_ALLOW_PROD_IMPORT=true needs APP_HOSTNAME (the hostname admins must type to confirm an import)"))
		}
		if c.AnonymizerSalt == "" {
			errs = append(errs, errors.New("APP_ALLOW_PROD_IMPORT=true needs ANONYMIZER_SALT (the key of the fake names and birth dates), at least 32 random bytes such as the output of `openssl rand -hex 32`"))
		} else if err := anonymizer.CheckSalt(c.AnonymizerSalt); err != nil {
			errs = append(errs, err)
		}
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
	return errors.Join(errs...)
}

func (c Config) validateStorage() []error {
	var errs []error
	if !storageURL(c.StorageURL) {
		errs = append(errs, fmt.Errorf("STORAGE_URL=%q: want file:///path or s3://bucket/prefix", c.StorageURL))
	}
	if c.SourceStorageURL == "" {
		return errs
	}
	if !storageURL(c.SourceStorageURL) {
		errs = append(errs, fmt.Errorf("SOURCE_STORAGE_URL=%q: want file:///path or s3://bucket/prefix", c.SourceStorageURL))
	}
	if storagesOverlap(c.SourceStorageURL, c.StorageURL) {
		errs = append(errs, errors.New("SOURCE_STORAGE_URL and STORAGE_URL overlap: give staging a storage of its own, outside production's (its housekeeping deletes what it finds in its own)"))
	}
	return errs
}

func storageURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "file" || u.Scheme == "s3")
}

func (c Config) validateSchedules() []error {
	var errs []error
	if err := checkSchedule("REFRESH_SCHEDULE", c.RefreshSchedule); err != nil {
		errs = append(errs, err)
	}
	if err := checkSchedule("EXPORT_SCHEDULE", c.ExportSchedule); err != nil {
		errs = append(errs, err)
	}
	if c.RefreshSchedule == "" {
		return errs
	}
	// Each need is named only when it is missing.
	var needs []string
	if !c.AllowProdImport {
		needs = append(needs, "APP_ALLOW_PROD_IMPORT=true")
	}
	if c.SourceStorageURL == "" {
		needs = append(needs, "SOURCE_STORAGE_URL (where the exports to import are)")
	}
	if len(needs) > 0 {
		errs = append(errs, fmt.Errorf("REFRESH_SCHEDULE needs %s", strings.Join(needs, " and ")))
	}
	return errs
}

// Warnings are settings that are valid but leave a gap an operator should know
// of; the web tier and the worker log them at start.
func (c Config) Warnings() []string {
	if !c.AllowProdImport {
		return nil
	}
	var w []string
	if len(c.StagingAdmins) == 0 {
		w = append(w, "APP_ALLOW_PROD_IMPORT=true and STAGING_ADMINS is empty: after a refresh only the admin who started it "+
			"keeps an account of staging's own, and only such accounts may import, export or use River UI; "+
			"set STAGING_ADMINS to the emails of staging's own admins")
	}
	if c.ImportedAdmins == ImportedAdminsKeep {
		w = append(w, "IMPORTED_ADMINS=keep: production's admins stay app admins on staging, where anyone who knows "+
			"the address scheme and the staging password can log in as them (they still never do data work)")
	}
	return w
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
