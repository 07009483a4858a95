package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/config"
)

// Submitter enqueues exports and imports, each with its audit row in the same
// transaction. The web tier and the command line both go through it, so the gates
// are the same on every path.
type Submitter struct {
	Pool   *pgxpool.Pool
	Client *river.Client[pgx.Tx]
	Config config.Config
}

// ExportRequest asks for an export.
type ExportRequest struct {
	RequestedBy        string
	IncludeAttachments bool
	SourceHost         string
	Queue              string // empty: the exports queue
}

// Submitted identifies an enqueued job and its audit row.
type Submitted struct {
	JobID   int64 `json:"job_id"`
	AuditID int64 `json:"audit_id"`
}

// Export enqueues an export.
func (s *Submitter) Export(ctx context.Context, req ExportRequest) (Submitted, error) {
	rec := audit.New{Kind: wippidu.KindExport, RequestedBy: req.RequestedBy,
		Options: map[string]any{"include_attachments": req.IncludeAttachments}}
	return s.submit(ctx, rec, req.Queue, func(id int64) jobArgs {
		return ExportArgs{AuditID: id, IncludeAttachments: req.IncludeAttachments, SourceHost: req.SourceHost}
	})
}

// ImportGate holds what an admin gave to start an import.
type ImportGate struct {
	ConfirmHost    string   // what the admin typed
	ActualHost     string   // the request's Host (web) or APP_HOSTNAME (CLI)
	AnonymizersOff []string // anonymizers switched off
	RiskAck        string
}

// CheckImportGates enforces every rule an import must pass before anything is
// stored or enqueued, in the order an admin meets them.
func CheckImportGates(cfg config.Config, g ImportGate) error {
	if !cfg.AllowProdImport {
		return wippidu.ErrImportDisabled
	}
	if !config.HostMatches(g.ConfirmHost, g.ActualHost) {
		return wippidu.ErrHostMismatch
	}
	return anonymizer.CheckOptOut(g.AnonymizersOff, g.RiskAck)
}

// ImportRequest asks for an import of a dump already in storage.
type ImportRequest struct {
	ImportGate
	RequestedBy string
	FileName    string
	ObjectKey   string
	Size        int64
	Queue       string // empty: the imports queue
	Preview     bool   // a dry run (ImportArgs.Preview)
	Source      Source // ImportArgs.Source
}

// Import checks the gates again and enqueues an import. While another import is
// queued or running it returns wippidu.ErrImportBusy and enqueues nothing.
func (s *Submitter) Import(ctx context.Context, req ImportRequest) (Submitted, error) {
	if err := CheckImportGates(s.Config, req.ImportGate); err != nil {
		return Submitted{}, err
	}
	rec := audit.New{Kind: wippidu.KindImport, RequestedBy: req.RequestedBy,
		FileName: req.FileName, ObjectKey: req.ObjectKey, SizeBytes: req.Size,
		Options: map[string]any{
			"anonymizers_off":   nonNil(req.AnonymizersOff),
			"risk_acknowledged": len(req.AnonymizersOff) > 0,
			"confirm_host":      req.ConfirmHost,
			"preview":           req.Preview,
			"source":            req.Source.Label(),
		}}
	return s.submit(ctx, rec, req.Queue, func(id int64) jobArgs {
		return ImportArgs{AuditID: id, ObjectKey: req.ObjectKey, FileName: req.FileName,
			AnonymizersOff: req.AnonymizersOff, RiskAck: req.RiskAck, Preview: req.Preview, Source: req.Source}
	})
}

// jobArgs are the args of a job Submitter enqueues.
type jobArgs interface {
	river.JobArgs
	InsertOpts() river.InsertOpts
}

// submit creates the audit row rec and enqueues the job that args makes for it,
// on queue unless that is empty, in one transaction, and links the two. A job
// River skips as a duplicate of one queued or running (only imports are unique
// so) makes it return wippidu.ErrImportBusy and keep nothing.
func (s *Submitter) submit(ctx context.Context, rec audit.New, queue string, args func(auditID int64) jobArgs) (Submitted, error) {
	var out Submitted
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		id, err := audit.Create(ctx, tx, rec)
		if err != nil {
			return err
		}
		a := args(id)
		opts := a.InsertOpts()
		if queue != "" {
			opts.Queue = queue
		}
		res, err := s.Client.InsertTx(ctx, tx, a, &opts)
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", a.Kind(), err)
		}
		if res.UniqueSkippedAsDuplicate {
			return wippidu.ErrImportBusy
		}
		out = Submitted{JobID: res.Job.ID, AuditID: id}
		return audit.LinkJob(ctx, tx, id, res.Job.ID)
	})
	return out, err
}

// ImportActive reports whether an import is queued or running, so that a second
// upload can be refused before its bytes are stored.
func (s *Submitter) ImportActive(ctx context.Context) (bool, error) {
	var active bool
	err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM river_job WHERE kind = $1 AND state = ANY($2::river_job_state[]))`,
		wippidu.KindImport, stateNames(ActiveStates)).Scan(&active)
	if err != nil {
		return false, fmt.Errorf("check active imports: %w", err)
	}
	return active, nil
}

func stateNames(states []rivertype.JobState) []string {
	out := make([]string, len(states))
	for i, st := range states {
		out[i] = string(st)
	}
	return out
}

// ImportOptions are the options an import's audit row recorded.
type ImportOptions struct {
	AnonymizersOff []string `json:"anonymizers_off"`
	Preview        bool     `json:"preview"`
	From           string   `json:"source"` // Source.Label
}

// Source is where the dump is.
func (o ImportOptions) Source() Source { return SourceLabeled(o.From) }

// ImportOptionsOf reads an import audit row's options.
func ImportOptionsOf(raw []byte) (ImportOptions, error) {
	var o ImportOptions
	if len(raw) == 0 {
		return o, nil
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return o, fmt.Errorf("read import options: %w", err)
	}
	return o, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// UploadHeldUntil says, for the audit row of a failed import of an upload, until
// when its dump stays in storage for a retry: retention after the import failed.
// false for any other row.
func UploadHeldUntil(rec *audit.Record, retention time.Duration) (time.Time, bool) {
	if rec.Kind != wippidu.KindImport || rec.Status != audit.StatusFailed || rec.ObjectKey == nil {
		return time.Time{}, false
	}
	if o, err := ImportOptionsOf(rec.Options); err != nil || o.Source() != SourceUploads {
		return time.Time{}, false
	}
	failed := rec.UpdatedAt
	if rec.FinishedAt != nil {
		failed = *rec.FinishedAt
	}
	return failed.Add(retention), true
}

// NewImportKey returns a fresh storage key for an uploaded dump.
func NewImportKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "imports/" + time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b) + ".json.gz"
}

// SyncAuditAfterOps brings an audit row in line after an operator retried or
// cancelled its job (a running job's own worker records its cancellation).
func SyncAuditAfterOps(ctx context.Context, db audit.DB, job *rivertype.JobRow) error {
	switch job.State {
	case rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable:
		return audit.SetStatusByJob(ctx, db, job.ID, audit.StatusQueued)
	case rivertype.JobStateCancelled:
		return audit.SetStatusByJob(ctx, db, job.ID, audit.StatusCancelled)
	}
	return nil
}
