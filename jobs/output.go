package jobs

import "github.com/wippidu/wippidu"

// Output is what a job writes into its row's metadata.output: live progress while it
// runs, and the result once it has succeeded.
type Output struct {
	wippidu.Progress
	BytesTotal int64 `json:"bytes_total"`
	AuditID    int64 `json:"audit_id"`
	Result     any   `json:"result,omitempty"`
	// Stored names the finished file of an export whose outcome is not recorded
	// yet: a later attempt records it instead of exporting again.
	Stored *Stored `json:"stored,omitempty"`
}

// Stored is a finished export file in storage.
type Stored struct {
	ObjectKey string `json:"object_key"`
	FileName  string `json:"file_name"`
	SizeBytes int64  `json:"size_bytes"`
}
