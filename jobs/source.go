package jobs

// Source is where an import's dump is stored. Job args spell it "" (this
// instance's STORAGE_URL) or "source" (SOURCE_STORAGE_URL); audit rows and the
// status name it for people (Label).
type Source string

// Where an import's dump is stored (ImportArgs.Source).
const (
	SourceUploads    Source = ""
	SourceProduction Source = "source"
)

// Label is how an audit row and the status name the source: "upload" or
// "production storage".
func (s Source) Label() string {
	if s == SourceProduction {
		return "production storage"
	}
	return "upload"
}

// SourceLabeled is the source an audit row's label names.
func SourceLabeled(label string) Source {
	if label == SourceProduction.Label() {
		return SourceProduction
	}
	return SourceUploads
}
