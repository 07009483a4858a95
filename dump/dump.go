// Package dump reads and writes wippidu dump files: gzip of one UTF-8 JSON object
// holding a header and every app table as columns plus rows.
//
// Both directions stream. The writer turns PostgreSQL's COPY text output straight
// into JSON rows; the reader yields one row at a time and turns values back into
// COPY text input. Memory use depends on the largest single value, never on the size
// of the dump. The format is documented in docs/dump-format.md.
package dump

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// SchemaVersion is the version of the file format this build writes and the newest
// it reads.
const SchemaVersion = 1

// App is the value of the header's "app" key.
const App = "wippidu"

// Header is everything in a dump before its tables.
type Header struct {
	SchemaVersion      int
	App                string
	SourceHost         string
	ExportedAt         time.Time
	IncludeAttachments bool
	// RowsEstimate is PostgreSQL's estimate of the dump's rows at export time (0
	// when unknown), for the importer's progress bar; never a check.
	RowsEstimate int64
}

// Column names a column of a dumped table and its PostgreSQL type (format_type()).
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Kind says how the values of a column are encoded in JSON.
type Kind uint8

// The value encodings. Everything that is not an integer, a boolean or bytea is
// carried as a JSON string holding PostgreSQL's text form of the value, which is
// lossless for every type (numeric, timestamptz, jsonb, arrays, …).
const (
	KindText  Kind = iota // JSON string: PostgreSQL text representation
	KindInt               // JSON number: smallint, integer, bigint
	KindBool              // JSON true/false
	KindBytea             // JSON string: standard base64 of the bytes
)

// KindOf returns the encoding used for a column of the given PostgreSQL type.
func KindOf(pgType string) Kind {
	switch strings.TrimSpace(pgType) {
	case "smallint", "integer", "bigint":
		return KindInt
	case "boolean":
		return KindBool
	case "bytea":
		return KindBytea
	}
	return KindText
}

// ErrNewerSchema is wrapped by the error for a dump written by a newer format.
var ErrNewerSchema = errors.New("newer dump schema version")

// NewerSchemaError reports a dump whose schema_version is newer than SchemaVersion.
type NewerSchemaError struct {
	Version int64  // -1 when the version does not fit an int64
	Text    string // the version as written, when it does not fit
}

func (e *NewerSchemaError) Error() string {
	if e.Text != "" {
		return fmt.Sprintf("Dump schema version %s is newer than this instance supports.", e.Text)
	}
	return fmt.Sprintf("Dump schema version %d is newer than this instance supports.", e.Version)
}

// Unwrap lets errors.Is(err, ErrNewerSchema) match.
func (e *NewerSchemaError) Unwrap() error { return ErrNewerSchema }

// ErrFormat is wrapped by every error about a malformed dump: a retry cannot fix it.
var ErrFormat = errors.New("malformed dump")

// FileName returns the file name of an export made at t: wippidu-export-YYYYMMDD-HHMMSS.json.gz.
func FileName(t time.Time) string {
	return "wippidu-export-" + t.UTC().Format("20060102-150405") + ".json.gz"
}
