package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/logins"
	"github.com/wippidu/wippidu/pull"
	"github.com/wippidu/wippidu/sealed"
	"github.com/wippidu/wippidu/storage"
)

// Defaults of Config.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultHeaderBytes = 64 << 10 // dump.CheckBytes
)

// Config is what a Server needs. App, Pool, Storage, River and CheckUpload are required.
type Config struct {
	App     config.Config         // the instance's configuration
	Pool    *pgxpool.Pool         // the app database
	Storage storage.Storage       // where dumps live
	Source  storage.Storage       // production's exports (SOURCE_STORAGE_URL); nil: none
	River   *river.Client[pgx.Tx] // an insert-only client is enough
	Logger  *slog.Logger          // nil: discard

	// Registry receives the HTTP and job metrics served at /metrics; nil makes a
	// fresh one.
	Registry *prometheus.Registry
	// SessionTTL is how long a login lasts (DefaultSessionTTL when 0).
	SessionTTL time.Duration
	// CheckUpload judges the first HeaderBytes of an uploaded file before anything
	// is stored, so that a file that is not a dump, or is too new, is refused at
	// once (dump.CheckUpload; required). complete says prefix is the whole file.
	// It is passed in so that the web tier does not carry the dump format. New
	// wraps it for encrypted dumps (package sealed): they are accepted by their age
	// header and, where IMPORT_IDENTITY is set, tried against it.
	CheckUpload func(prefix []byte, complete bool) error
	// HeaderBytes is how much of an upload is buffered for CheckUpload (DefaultHeaderBytes when 0).
	HeaderBytes int
	// Logins limits login attempts (package logins); zero fields take
	// App.LoginAttempts a minute and the package's defaults.
	Logins logins.Config
}

// Server is the web tier's http.Handler.
type Server struct {
	cfg     Config
	app     config.Config
	pool    *pgxpool.Pool
	store   storage.Storage
	river   *river.Client[pgx.Tx]
	sub     *jobs.Submitter
	logger  *slog.Logger
	limits  *logins.Limiter
	tmpl    map[string]*template.Template
	metrics *httpMetrics
	engine  *gin.Engine
	// pullOpts read production's exports, encrypted ones with IMPORT_IDENTITY.
	pullOpts pull.Options
	// exportKeys is how many age keys exports are encrypted to (EXPORT_RECIPIENTS).
	exportKeys int
}

// New returns a Server with every route. ctx bounds the background work of the
// River UI, which stops when ctx is done.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Pool == nil || cfg.Storage == nil || cfg.River == nil || cfg.CheckUpload == nil {
		return nil, errors.New("web: Pool, Storage, River and CheckUpload are required")
	}
	if err := cfg.App.RequireWeb(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.HeaderBytes <= 0 {
		cfg.HeaderBytes = DefaultHeaderBytes
	}
	dec, err := sealed.NewDecrypter(cfg.App.ImportIdentity)
	if err != nil {
		return nil, fmt.Errorf("configuration: IMPORT_IDENTITY %w", err)
	}
	cfg.CheckUpload = dec.CheckUpload(cfg.CheckUpload)
	recipients, err := sealed.ParseRecipients(cfg.App.ExportRecipients)
	if err != nil {
		return nil, fmt.Errorf("configuration: EXPORT_RECIPIENTS %w", err)
	}
	if cfg.Logins.Attempts == 0 {
		cfg.Logins.Attempts = cfg.App.LoginAttempts
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	metrics, err := newHTTPMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, app: cfg.App, pool: cfg.Pool, store: cfg.Storage, river: cfg.River,
		sub:    &jobs.Submitter{Pool: cfg.Pool, Client: cfg.River, Config: cfg.App},
		logger: cfg.Logger, limits: logins.New(cfg.Pool, cfg.Logins), tmpl: tmpl, metrics: metrics, exportKeys: recipients.Len(),
		pullOpts: pull.Options{Unwrap: dec.Unwrap, IsEncrypted: sealed.IsSealedName},
	}
	riverUI, err := newRiverUI(ctx, cfg.River, cfg.Logger)
	if err != nil {
		return nil, err
	}
	s.engine = s.routes(riverUI)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

func (s *Server) routes(riverUI http.Handler) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// Client addresses are worked out by clientAddr (TRUSTED_PROXIES), never by gin.
	_ = r.SetTrustedProxies(nil)
	r.ForwardedByClientIP = false
	r.HandleMethodNotAllowed = true
	r.Use(s.securityHeaders, s.recovery, s.observe, s.boundBody)

	get(r, "/healthz", s.healthz)
	get(r, "/readyz", s.readyz)
	get(r, "/metrics", gin.WrapH(s.metricsHandler()))
	get(r, "/static/*file", s.static)

	r.Use(s.loadSession)
	get(r, "/login", s.loginPage)
	r.POST("/login", s.login)
	r.POST("/logout", s.requireLogin, s.checkCSRF, s.logout)
	get(r, "/", s.requireLogin, s.home)

	// Every admin may look; only the instance's own admins, logged in with their
	// own password, do data work (requireDataRights).
	admin := r.Group("/admin", s.requireLogin, s.requireAdmin)
	get(admin, "/data", s.dataPage)
	get(admin, "/data/jobs/:id", s.jobStatus)
	get(admin, "/data/browse", s.browsePage)

	work := admin.Group("", s.requireDataRights)
	work.POST("/data/export", s.checkDataCSRF, s.startExport)
	get(work, "/data/exports/:id/download", s.download)
	// The import reads its multipart body in order and checks the CSRF token
	// itself, so that a refusal never waits for the file.
	work.POST("/data/import", s.startImport)
	work.POST("/data/preview", s.startPreview)
	work.POST("/data/previews/:id/import", s.checkDataCSRF, s.importPreviewed)
	// Imports from production's storage (SOURCE_STORAGE_URL) check the token themselves,
	// after the import gate, as the upload does.
	get(work, "/data/sources", s.sources)
	work.POST("/data/import/source", s.startSourceImport)
	work.Any("/river/*path", s.checkRiverOrigin, gin.WrapH(riverUI))
	get(work, "/river", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/admin/river/") })
	// The upload of a failed import, held for a retry, deleted at once.
	work.POST("/data/imports/:id/upload/delete", s.checkDataCSRF, s.deleteUpload)

	r.NoRoute(func(c *gin.Context) { s.fail(c, errNotFound) })
	r.NoMethod(func(c *gin.Context) { s.fail(c, errMethod) })
	return r
}

// get routes GET and HEAD of path to the same handlers: a HEAD is answered
// wherever a GET is (net/http sends no body for it).
func get(r gin.IRoutes, path string, handlers ...gin.HandlerFunc) {
	r.GET(path, handlers...)
	r.HEAD(path, handlers...)
}
