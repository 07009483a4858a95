package dump

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// readHeader reads everything before the first table: the version, the other header
// keys, and the opening bracket of the tables array.
func (r *Reader) readHeader() error {
	if err := r.openDump(); err != nil {
		return err
	}
	if err := r.readVersion(); err != nil {
		return err
	}
	if err := r.readHeaderKeys(); err != nil {
		return err
	}
	if r.header.App != App {
		return r.formatErr("not a wippidu dump: the \"app\" key is missing")
	}
	if err := r.openArray(`"tables"`); err != nil {
		return err
	}
	r.state = stateTables
	return nil
}

// openDump consumes the opening brace of the dump's JSON object.
func (r *Reader) openDump() error {
	c, err := r.peek()
	if err != nil {
		if r.eof && r.offset == 0 && r.end == 0 {
			return fmt.Errorf("%w: not a wippidu dump: the gzip file holds no data", ErrFormat)
		}
		return err
	}
	if c != '{' {
		return r.formatErr("not a wippidu dump: the file holds %s, not a JSON object", jsonKind(c))
	}
	r.pos++
	return nil
}

// readVersion reads the first key, which must be schema_version: what follows it
// may mean something else in another version of the format.
func (r *Reader) readVersion() error {
	k, err := r.key()
	if err != nil {
		return err
	}
	if k != "schema_version" {
		return r.formatErr("not a wippidu dump: first key is %q, want \"schema_version\"", k)
	}
	v, err := r.scalar()
	if errors.Is(err, errTooLong) {
		return r.tooLong("schema_version")
	}
	if err != nil {
		return err
	}
	if v.Type != Number {
		return r.formatErr("schema_version must be a number, got %s", v.Type)
	}
	ver, err := strconv.ParseInt(string(v.Data), 10, 64)
	if err != nil || ver < 1 {
		if errors.Is(err, strconv.ErrRange) && v.Data[0] != '-' {
			// A positive integer larger than int64: certainly newer.
			return &NewerSchemaError{Version: -1, Text: string(v.Data)}
		}
		return r.formatErr("schema_version must be a positive integer, got %s", v.Data)
	}
	if ver > SchemaVersion {
		return &NewerSchemaError{Version: ver}
	}
	r.header.SchemaVersion = int(ver)
	return nil
}

// readHeaderKeys reads the header's keys after schema_version up to and including
// the "tables" key.
func (r *Reader) readHeaderKeys() error {
	seen := map[string]bool{}
	for {
		k, err := r.headerKey(seen)
		if err != nil || k == "tables" {
			return err
		}
		v, err := r.scalar()
		if errors.Is(err, errTooLong) {
			return r.tooLong("header value " + strconv.Quote(k))
		}
		if err != nil {
			return err
		}
		if err := r.applyHeader(k, v); err != nil {
			return err
		}
	}
}

// headerKey reads the comma before the next header key and the key, which seen (the
// keys so far) must not hold yet.
func (r *Reader) headerKey(seen map[string]bool) (string, error) {
	if c, err := r.peek(); err != nil {
		return "", err
	} else if c != ',' {
		return "", r.formatErr("header ends without a \"tables\" key")
	}
	r.pos++
	k, err := r.key()
	if err != nil {
		return "", err
	}
	if seen[k] {
		return "", r.formatErr("duplicate header key %q", k)
	}
	seen[k] = true
	if k != "tables" && len(seen) > 64 {
		return "", r.formatErr("more than 64 header keys")
	}
	return k, nil
}

// applyHeader checks the value of a known header key and keeps it.
func (r *Reader) applyHeader(k string, v Value) error {
	switch k {
	case "app":
		if v.Type != String || string(v.Data) != App {
			return r.formatErr("not a wippidu dump: app is %q", v.Data)
		}
		r.header.App = App
	case "source_host":
		if v.Type != String {
			return r.formatErr("source_host must be a string")
		}
		r.header.SourceHost = string(v.Data)
	case "exported_at":
		if v.Type != String {
			return r.formatErr("exported_at must be a string")
		}
		t, err := time.Parse(time.RFC3339Nano, string(v.Data))
		if err != nil {
			return r.formatErr("exported_at is not an RFC 3339 time: %q", v.Data)
		}
		r.header.ExportedAt = t
	case "include_attachments":
		if v.Type != Bool {
			return r.formatErr("include_attachments must be true or false")
		}
		r.header.IncludeAttachments = v.Bool
	case "rows_estimate":
		// Only a hint for progress: a value that is no count is ignored.
		if v.Type == Number {
			if n, err := strconv.ParseInt(string(v.Data), 10, 64); err == nil && n > 0 {
				r.header.RowsEstimate = n
			}
		}
	default:
		// Unknown header keys of the same format version are ignored.
	}
	return nil
}
