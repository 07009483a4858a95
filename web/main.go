package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wippidu/wippidu/config"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/schema"
	"github.com/wippidu/wippidu/storage"
)

// ShutdownTimeout is how long Close lets requests in flight finish.
const ShutdownTimeout = 25 * time.Second

// Main is a whole web tier wired from its configuration: database pool, storage,
// an insert-only River client and the HTTP server. cmd/web runs it; end-to-end
// tests run it too.
type Main struct {
	Config config.Config
	Logger *slog.Logger
	// CheckUpload judges the first bytes of an uploaded file (dump.CheckUpload);
	// see Config.CheckUpload.
	CheckUpload func(prefix []byte, complete bool) error

	pool   *pgxpool.Pool
	srv    *http.Server
	ln     net.Listener
	cancel context.CancelFunc
	done   chan error
}

// NewMain returns a Main for cfg that judges uploads with checkUpload.
func NewMain(cfg config.Config, logger *slog.Logger, checkUpload func(prefix []byte, complete bool) error) *Main {
	return &Main{Config: cfg, Logger: logger, CheckUpload: checkUpload}
}

// Run connects everything and starts serving on Config.ListenAddr in the
// background. Call Close to stop.
func (m *Main) Run(ctx context.Context) (err error) {
	if err := m.Config.RequireWeb(); err != nil {
		return err
	}
	ctx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		if err != nil {
			_ = m.Close()
		}
	}()
	if err := m.openDatabase(ctx); err != nil {
		return err
	}
	store, err := storage.Open(ctx, m.Config.StorageURL)
	if err != nil {
		return fmt.Errorf("open storage: %w", err)
	}
	var source storage.Storage
	if m.Config.SourceStorageURL != "" {
		if source, err = storage.Open(ctx, m.Config.SourceStorageURL); err != nil {
			return fmt.Errorf("open SOURCE_STORAGE_URL: %w", err)
		}
	}
	client, err := jobs.NewInsertClient(m.pool, m.Logger) // the web tier never works jobs
	if err != nil {
		return err
	}
	h, err := New(ctx, Config{App: m.Config, Pool: m.pool, Storage: store, Source: source, River: client, Logger: m.Logger,
		CheckUpload: m.CheckUpload})
	if err != nil {
		return err
	}
	if m.ln, err = net.Listen("tcp", m.Config.ListenAddr); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// No whole-request read or write timeout: uploads and downloads of dumps may
	// take hours. Bodies are timed per request instead (boundBody).
	m.srv = &http.Server{Handler: h, ReadHeaderTimeout: headerTimeout, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn)}
	m.done = make(chan error, 1)
	go func() { m.done <- m.srv.Serve(m.ln) }()
	m.Logger.InfoContext(ctx, "web listening", "addr", m.ln.Addr().String(),
		"import_enabled", m.Config.AllowProdImport, "hostname", m.Config.Hostname)
	for _, w := range m.Config.Warnings() {
		m.Logger.WarnContext(ctx, w)
	}
	return nil
}

// startCheckTimeout bounds the database check at start: a server that does not
// answer by then stops the start.
const startCheckTimeout = 15 * time.Second

// openDatabase opens the pool and fails the start when the database cannot be
// reached or lacks migrations, naming DATABASE_URL or `worker migrate`, rather
// than serving pages that fail on their first query. Once the web tier is up, a
// database that goes away is reconnected to as it comes back, and /readyz says
// what is wrong meanwhile.
func (m *Main) openDatabase(ctx context.Context) error {
	pcfg, err := config.PoolConfig(m.Config.DatabaseURL)
	if err != nil {
		return err
	}
	if m.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, startCheckTimeout)
	defer cancel()
	if err := m.pool.Ping(cctx); err != nil {
		return fmt.Errorf("cannot reach the database at DATABASE_URL: %w", err)
	}
	return schema.CheckMigrated(cctx, m.pool)
}

// URL is the base URL the server listens on.
func (m *Main) URL() string { return "http://" + m.ln.Addr().String() }

// Close stops accepting requests, lets those in flight finish (up to
// ShutdownTimeout) and closes the database pool.
func (m *Main) Close() error {
	var err error
	if m.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		err = m.srv.Shutdown(ctx)
		if serr := <-m.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		m.srv = nil
	}
	if m.cancel != nil {
		m.cancel()
	}
	if m.pool != nil {
		m.pool.Close()
		m.pool = nil
	}
	return err
}
