package transfer

// Limits lowers the sizes at which the exports given Apply read tables in parts
// and values in chunks, so that small test data takes the paths of big tables and
// huge attachments; it counts what those exports did. Each test has its own, so
// tests that lower them run in parallel with every other.
type Limits struct{ l *exportLimits }

// NewLimits starts from the defaults.
func NewLimits() *Limits { return &Limits{defaultLimits()} }

// Split has tables of at least size bytes read in parts, when an export has more
// than one connection.
func (l *Limits) Split(size int64) *Limits { l.l.split = size; return l }

// LargeValues has every bytea value over size bytes fetched in chunks of chunk
// bytes.
func (l *Limits) LargeValues(size, chunk int64) *Limits {
	l.l.largeValue, l.l.largeChunk = size, chunk
	return l
}

// Apply returns opts with these limits.
func (l *Limits) Apply(opts ExportOptions) ExportOptions { opts.limits = l.l; return opts }

// Parts is how many COPYs of parts the exports with these limits ran.
func (l *Limits) Parts() int64 { return l.l.parts.Load() }

// Chunks is how many chunk queries the exports with these limits ran.
func (l *Limits) Chunks() int64 { return l.l.chunks.Load() }
