// Package pull finds production's exports in the storage staging may read
// (SOURCE_STORAGE_URL), so that staging imports one straight from there: nothing
// passes through an admin's laptop, and the object is read as a stream.
//
// Production stores each export as exports/<audit id>/wippidu-export-….json.gz
// (…json.gz.age when encrypted). List reads the header of each of the newest
// ones (source host, export time, attachments) and nothing more; Find looks one
// up again by the key List gave (or by its file name), so that a request can
// name an export without being trusted to name any other object.
package pull

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/storage"
)

// Prefix is where production's exports are stored, relative to its STORAGE_URL.
const Prefix = "exports/"

// DefaultLimit is how many exports List describes.
const DefaultLimit = 10

// Export is one export found in the source storage.
type Export struct {
	Key     string    `json:"key"`  // the object's key, which names it uniquely
	Name    string    `json:"name"` // its file name, wippidu-export-YYYYMMDD-HHMMSS.json.gz[.age]
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"` // when it was stored
	// From the dump's header; zero when it could not be read (HeaderError says why).
	SourceHost         string    `json:"source_host"`
	ExportedAt         time.Time `json:"exported_at"`
	IncludeAttachments bool      `json:"include_attachments"`
	Encrypted          bool      `json:"encrypted"`
	HeaderError        string    `json:"header_error,omitempty"`

	headerErr error
}

// Time is when the export was made: the header's time, else when it was stored.
func (e Export) Time() time.Time {
	if !e.ExportedAt.IsZero() {
		return e.ExportedAt
	}
	return e.ModTime
}

// Err is why the export's header could not be read (nil when it was): a
// *wippidu.Error whose message may be shown as it is when the file is not a dump
// or is too new, another error otherwise.
func (e Export) Err() error { return e.headerErr }

// Options configure List and Find.
type Options struct {
	// Limit bounds how many of the newest exports List describes (DefaultLimit
	// when 0).
	Limit int
	// Unwrap turns an encrypted dump's bytes into the plain dump (the import's
	// decryption); nil: encrypted exports are listed without their header.
	Unwrap func(io.Reader) (io.Reader, error)
	// IsEncrypted reports whether a file name or its first bytes belong to an
	// encrypted dump; nil: by the ".age" suffix.
	IsEncrypted func(name string) bool
}

// Ready reports why an instance cannot import from production's storage: imports
// are not enabled on it, or it has no SOURCE_STORAGE_URL (source is nil); nil
// when it can. The web tier and the command line refuse alike with it.
func Ready(importsAllowed bool, source storage.Storage) error {
	if !importsAllowed {
		return wippidu.ErrImportDisabled
	}
	if source == nil {
		return wippidu.ErrNoSource
	}
	return nil
}

// IsExportName reports whether name is the file name of an export.
func IsExportName(name string) bool {
	return strings.HasPrefix(name, "wippidu-export-") &&
		(strings.HasSuffix(name, ".json.gz") || strings.HasSuffix(name, ".json.gz.age"))
}

// List returns the newest exports in st, newest first, each with its header.
// Only the headers are read, one export after the other; a ctx that ends
// leaves the remaining exports with a HeaderError.
func List(ctx context.Context, st storage.Storage, opts Options) ([]Export, error) {
	out, err := exports(ctx, st)
	if err != nil {
		return nil, err
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	out = out[:min(len(out), limit)]
	for i := range out {
		describe(ctx, st, &out[i], opts)
	}
	return out, nil
}

// exports lists every export in st, newest first, without reading any.
func exports(ctx context.Context, st storage.Storage) ([]Export, error) {
	objs, err := st.List(ctx, Prefix)
	if err != nil {
		return nil, fmt.Errorf("list exports in the source storage: %w", err)
	}
	var out []Export
	for _, o := range objs {
		name := path.Base(o.Key)
		if !IsExportName(name) {
			continue
		}
		out = append(out, Export{Key: o.Key, Name: name, Size: o.Size, ModTime: o.ModTime})
	}
	// Newest first: by the time in the file name, then by when it was stored.
	slices.SortFunc(out, func(a, b Export) int {
		if c := strings.Compare(b.Name, a.Name); c != 0 {
			return c
		}
		return b.ModTime.Compare(a.ModTime)
	})
	return out, nil
}

// ErrNotFound is returned by Find for a name no export has.
var ErrNotFound = errors.New("no such export in the source storage")

// Find returns the export named name, with its header: its key (which must lie
// below Prefix and end in an export's file name), or its file name (the newest
// export of that name). Anything else is ErrNotFound.
func Find(ctx context.Context, st storage.Storage, name string, opts Options) (Export, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Export{}, fmt.Errorf("%w: no name given", ErrNotFound)
	}
	var e Export
	if strings.Contains(name, "/") {
		if !strings.HasPrefix(name, Prefix) || !IsExportName(path.Base(name)) {
			return Export{}, fmt.Errorf("%w: %q", ErrNotFound, name)
		}
		o, err := st.Stat(ctx, name)
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, storage.ErrInvalidKey) {
			return Export{}, fmt.Errorf("%w: %q", ErrNotFound, name)
		}
		if err != nil {
			return Export{}, fmt.Errorf("read the source storage: %w", err)
		}
		e = Export{Key: o.Key, Name: path.Base(o.Key), Size: o.Size, ModTime: o.ModTime}
	} else {
		all, err := exports(ctx, st)
		if err != nil {
			return Export{}, err
		}
		i := slices.IndexFunc(all, func(e Export) bool { return e.Name == name })
		if i < 0 {
			return Export{}, fmt.Errorf("%w: %q", ErrNotFound, name)
		}
		e = all[i]
	}
	describe(ctx, st, &e, opts)
	return e, nil
}

// Importable is Find for an import: it also requires the export's header to be
// readable, and its errors are the ones people are shown —
// wippidu.ErrSourceNotFound, wippidu.SourceUnavailable when the storage cannot
// be read, wippidu.SourceUnreadable when the export cannot.
func Importable(ctx context.Context, st storage.Storage, name string, opts Options) (Export, error) {
	e, err := Find(ctx, st, name, opts)
	switch {
	case errors.Is(err, ErrNotFound):
		return e, wippidu.ErrSourceNotFound
	case err != nil:
		return e, wippidu.SourceUnavailable(err)
	case e.Err() != nil:
		return e, wippidu.SourceUnreadable(e.Name, e.Err())
	}
	return e, nil
}

// describe reads the export's header into e.
func describe(ctx context.Context, st storage.Storage, e *Export, opts Options) {
	if opts.IsEncrypted != nil {
		e.Encrypted = opts.IsEncrypted(e.Name)
	} else {
		e.Encrypted = strings.HasSuffix(e.Name, ".age")
	}
	if err := readHeader(ctx, st, e, opts); err != nil {
		e.headerErr, e.HeaderError = err, err.Error()
	}
}

// errNoIdentity is the header error of an encrypted export this instance cannot
// decrypt.
var errNoIdentity = wippidu.Errorf(wippidu.EINVALID, "The export is encrypted and this instance has no IMPORT_IDENTITY to decrypt it.")

func readHeader(ctx context.Context, st storage.Storage, e *Export, opts Options) error {
	if e.Encrypted && opts.Unwrap == nil {
		return errNoIdentity
	}
	rc, err := st.Open(ctx, e.Key)
	if err != nil {
		return fmt.Errorf("open %s: %w", e.Key, err)
	}
	defer rc.Close()
	var in io.Reader = rc
	if e.Encrypted {
		if in, err = opts.Unwrap(rc); err != nil {
			return fmt.Errorf("decrypt %s: %w", e.Key, err)
		}
	}
	r, err := dump.NewReader(in, dump.ReaderOptions{})
	var newer *dump.NewerSchemaError
	switch {
	case errors.As(err, &newer):
		return wippidu.Errorf(wippidu.EINVALID, "%s", newer.Error())
	case errors.Is(err, dump.ErrFormat):
		return wippidu.ErrNotADump
	case err != nil:
		return fmt.Errorf("read the header of %s: %w", e.Key, err)
	}
	defer r.Close()
	h := r.Header()
	e.SourceHost, e.ExportedAt, e.IncludeAttachments = h.SourceHost, h.ExportedAt, h.IncludeAttachments
	return nil
}
