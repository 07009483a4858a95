package jobs

import (
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu"
)

// Queues used by wippidu's jobs.
const (
	QueueExports     = "exports"
	QueueImports     = "imports"
	QueueMaintenance = "maintenance"
)

// MaxAttempts is how often an export or import is tried before it is given up.
const MaxAttempts = 5

// ExportArgs starts an export.
type ExportArgs struct {
	AuditID            int64  `json:"audit_id"`
	IncludeAttachments bool   `json:"include_attachments"`
	SourceHost         string `json:"source_host"`
}

// Kind implements river.JobArgs.
func (ExportArgs) Kind() string { return string(wippidu.KindExport) }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (ExportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueExports, MaxAttempts: MaxAttempts}
}

// ImportArgs starts an import of an uploaded dump.
type ImportArgs struct {
	AuditID        int64    `json:"audit_id"`
	ObjectKey      string   `json:"object_key"`
	FileName       string   `json:"file_name"`
	AnonymizersOff []string `json:"anonymizers_off,omitempty"`
	RiskAck        string   `json:"risk_ack,omitempty"`
	// Preview runs the whole import and rolls it back: staging is unchanged, the
	// audit row ends previewed with the result and sample rows.
	Preview bool `json:"preview,omitempty"`
	// Source says which storage holds ObjectKey: SourceUploads (empty) is this
	// instance's STORAGE_URL, SourceProduction is SOURCE_STORAGE_URL, which is
	// only read, never written or deleted.
	Source Source `json:"source,omitempty"`
}

// Kind implements river.JobArgs.
func (ImportArgs) Kind() string { return string(wippidu.KindImport) }

// ActiveStates are the job states in which an export or import counts as queued
// or running: the one list the unique-import rule and every query use.
var ActiveStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// InsertOpts implements river.JobArgsWithInsertOpts: at most one import job may be
// queued or running (the import's advisory lock guards the running code as well).
func (ImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       QueueImports,
		MaxAttempts: MaxAttempts,
		UniqueOpts:  river.UniqueOpts{ByState: ActiveStates},
	}
}

// LivenessArgs is the periodic job that hands back jobs whose worker died.
type LivenessArgs struct{}

// Kind implements river.JobArgs.
func (LivenessArgs) Kind() string { return "liveness" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (LivenessArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{ByPeriod: 15 * time.Second}}
}

// HousekeepingArgs is the periodic job that deletes expired dumps.
type HousekeepingArgs struct{}

// Kind implements river.JobArgs.
func (HousekeepingArgs) Kind() string { return "housekeeping" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (HousekeepingArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, MaxAttempts: 3,
		UniqueOpts: river.UniqueOpts{ByPeriod: 10 * time.Minute}}
}

// ScheduledRefreshArgs is the periodic job of REFRESH_SCHEDULE: it decides whether
// production's newest export is to be imported, and enqueues the import.
type ScheduledRefreshArgs struct{}

// Kind implements river.JobArgs.
func (ScheduledRefreshArgs) Kind() string { return "scheduled_refresh" }

// InsertOpts implements river.JobArgsWithInsertOpts. One decision at a time: two
// runs deciding at once (a new leader's first tick next to the old one's last)
// could both find the same export new. A missed tick is not retried; the next one
// decides again.
func (ScheduledRefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{ByState: ActiveStates}}
}

// ScheduledExportArgs is the periodic job of EXPORT_SCHEDULE: it enqueues an
// export with attachments unless the schedule's previous one is still going.
type ScheduledExportArgs struct{}

// Kind implements river.JobArgs.
func (ScheduledExportArgs) Kind() string { return "scheduled_export" }

// InsertOpts implements river.JobArgsWithInsertOpts (one decision at a time, as
// ScheduledRefreshArgs).
func (ScheduledExportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{ByState: ActiveStates}}
}
