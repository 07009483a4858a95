package wippidu

import (
	"encoding/json"
	"time"
)

// Kind is what a job does. River's job kind and the kind column of
// import_export_audits say the same.
type Kind string

// The two kinds of job.
const (
	KindExport Kind = "export"
	KindImport Kind = "import"
)

// Phase is where a running export or import is; Progress reports it.
type Phase string

// Phases a running export or import reports, in the order they come.
const (
	PhaseExporting   Phase = "exporting"
	PhaseReading     Phase = "reading"
	PhasePeople      Phase = "reading_people"
	PhasePreparing   Phase = "preparing"
	PhaseLoading     Phase = "loading"
	PhaseIndexes     Phase = "building_indexes"
	PhaseForeignKeys Phase = "checking_foreign_keys"
	PhaseSequences   Phase = "resetting_sequences"
	PhaseLeakCheck   Phase = "checking_for_leaks"
	PhaseCommitting  Phase = "committing"
	PhaseSampling    Phase = "sampling" // a preview reads the first rows, then rolls back
	PhaseRecording   Phase = "recording"
	PhaseDone        Phase = "done"
)

// Progress is a snapshot of a running export or import. Counts are 64-bit from end
// to end: dumps of many gigabytes are normal.
type Progress struct {
	Phase     Phase  `json:"phase"`
	Table     string `json:"table"`
	RowsDone  int64  `json:"rows_done"`
	BytesDone int64  `json:"bytes_done"`
	// RowsTotal is the number of rows the job expects, as PostgreSQL estimates it
	// at export time (0 when unknown): a progress bar moves with rows and bytes.
	RowsTotal int64 `json:"rows_total,omitempty"`
	// Step of Steps counts the work of a phase after the load, such as the
	// foreign keys checked so far.
	Step  int `json:"step,omitempty"`
	Steps int `json:"steps,omitempty"`
}

// TableCount is the number of rows exported or imported for one table.
type TableCount struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
}

// ExportResult summarises a finished export.
type ExportResult struct {
	SourceHost         string       `json:"source_host"`
	ExportedAt         time.Time    `json:"exported_at"`
	IncludeAttachments bool         `json:"include_attachments"`
	Tables             []TableCount `json:"tables"`
	Rows               int64        `json:"rows"`
	Bytes              int64        `json:"bytes"` // of the file as stored
	// EncryptedTo is how many age public keys (EXPORT_RECIPIENTS) the file is
	// encrypted to; 0: it is not encrypted.
	EncryptedTo int `json:"encrypted_to,omitempty"`
	// DurationSeconds is how long the job took to write the file into storage.
	DurationSeconds float64 `json:"duration_seconds,omitempty"`
}

// ImportResult is what an import did: shown to the admin in the result panel and
// kept in the import's audit row.
type ImportResult struct {
	SourceHost         string       `json:"source_host"`
	ExportedAt         time.Time    `json:"exported_at"`
	SchemaVersion      int          `json:"schema_version"`
	IncludeAttachments bool         `json:"include_attachments"`
	Tables             []TableCount `json:"tables"`
	Rows               int64        `json:"rows"`
	AnonymizersRun     []string     `json:"anonymizers_run"`
	AnonymizersSkipped []string     `json:"anonymizers_skipped"`
	SkippedTables      []string     `json:"skipped_tables"`
	MissingTables      []string     `json:"missing_tables"`
	SkippedColumns     []string     `json:"skipped_columns"`
	MissingColumns     []string     `json:"missing_columns"`
	PasswordsReset     bool         `json:"passwords_reset"`
	// Unscrubbed lists what was loaded as it is although it may hold personal
	// data: the columns of switched-off anonymizers.
	Unscrubbed []UnscrubbedColumn `json:"unscrubbed"`
	// LeakCheck is what the import found of production's personal values in
	// what it wrote, before it committed.
	LeakCheck *LeakCheck `json:"leak_check"`
	// AllowList says how the import knew which words of kept free text are
	// common in the dump.
	AllowList *AllowList `json:"allow_list,omitempty"`
	// KeptAccounts are staging's own admins, carried over the refresh.
	KeptAccounts []string `json:"kept_accounts"`
	// ImportedAdmins says whether production's admins stayed admins ("keep") or
	// became parents ("demote").
	ImportedAdmins  string  `json:"imported_admins,omitempty"`
	DurationSeconds float64 `json:"duration_seconds"`
	// Preview says the import was a dry run: it ran whole and was rolled back;
	// Sample then holds the first rows of each table as it would have left them
	// (package browse's []TablePage, with production's values hidden).
	Preview bool            `json:"preview,omitempty"`
	Sample  json.RawMessage `json:"sample,omitempty"`
}

// UnscrubbedColumn is a column loaded as it is, and why.
type UnscrubbedColumn struct {
	Column string `json:"column"` // table.column
	Why    string `json:"why"`    // the anonymizer switched off
}

// LeakCheck is the proof an import gives: how many values it looked at in how many
// columns, which production values it found where, and what the allow-list of
// kept free text replaced.
type LeakCheck struct {
	Columns  int           `json:"columns"`
	Values   int64         `json:"values"`
	Found    int64         `json:"found"`
	Findings []LeakFinding `json:"findings"`
	// Replaced counts what the import wrote in place of the dump's values in kept
	// columns, per column and kind, so that an admin can see what the allow-list
	// did.
	Replaced []Replacement `json:"replaced"`
}

// AllowList is how an import knew the common tokens of the dump's kept free
// text: the words and numbers at least CommonWriters people wrote, which alone
// reach staging as they are.
type AllowList struct {
	CommonWriters int       `json:"common_writers"`
	CommonTokens  int       `json:"common_tokens"`
	CountedBy     CountedBy `json:"counted_by"`
}

// CountedBy says who counted the common tokens.
type CountedBy string

// Who counts: the export, which writes them into the dump's header, or the
// import, in a pass of its own over a dump without them.
const (
	CountedByExport CountedBy = "export"
	CountedByImport CountedBy = "import"
)

// LeakKind is what the leak check found: a production value, or a token of kept
// free text that is neither common in the dump nor written by the anonymizer.
type LeakKind string

// LeakFinding is how many production values of one kind a column holds.
type LeakFinding struct {
	Column string   `json:"column"`
	Kind   LeakKind `json:"kind"`
	Count  int64    `json:"count"`
}

// ReplacedKind is what the anonymizer replaced in a kept value: a name, an email,
// digits, a date, a rare word, ….
type ReplacedKind string

// Replacement is how many values of one kind the anonymizer replaced in a kept
// column.
type Replacement struct {
	Column string       `json:"column"`
	Kind   ReplacedKind `json:"kind"`
	Count  int64        `json:"count"`
}
