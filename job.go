package wippidu

import "time"

// The two kinds of job: River's job kind and the kind column of
// import_export_audits say the same.
const (
	KindExport = "export"
	KindImport = "import"
)

// Phases a running export or import reports, in the order they come.
const (
	PhaseExporting   = "exporting"
	PhaseReading     = "reading"
	PhasePeople      = "reading_people"
	PhasePreparing   = "preparing"
	PhaseLoading     = "loading"
	PhaseForeignKeys = "checking_foreign_keys"
	PhaseSequences   = "resetting_sequences"
	PhaseLeakCheck   = "checking_for_leaks"
	PhaseCommitting  = "committing"
	PhaseRecording   = "recording"
	PhaseDone        = "done"
)

// Progress is a snapshot of a running export or import. Counts are 64-bit from end
// to end: dumps of many gigabytes are normal.
type Progress struct {
	Phase     string `json:"phase"`
	Table     string `json:"table"`
	RowsDone  int64  `json:"rows_done"`
	BytesDone int64  `json:"bytes_done"`
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
	Bytes              int64        `json:"bytes"`
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
	DurationSeconds    float64      `json:"duration_seconds"`
}
