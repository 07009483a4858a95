package pull_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/internal/s3test"
	"github.com/wippidu/wippidu/internal/testdb"
	"github.com/wippidu/wippidu/pull"
	"github.com/wippidu/wippidu/storage"
	"github.com/wippidu/wippidu/storage/file"
	"github.com/wippidu/wippidu/storage/s3"
)

// The same tests run against a folder and a real S3 server, as production's
// storage may be either.
func TestFileStorage(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T) storage.Storage {
		st, err := file.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

func TestS3Storage(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	run(t, func(t *testing.T) storage.Storage {
		// Each test under a prefix of its own, as production's STORAGE_URL may have one.
		st, err := s3.New(t.Context(), s3.Config{Bucket: srv.Bucket, Prefix: "production-" + strings.ToLower(rand.Text()),
			Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

func run(t *testing.T, newStore func(t *testing.T) storage.Storage) {
	tests := []struct {
		name string
		run  func(t *testing.T, st storage.Storage)
	}{
		{"ListNewestFirstWithHeaders", testList},
		{"ListLimit", testListLimit},
		{"ListEmpty", testListEmpty},
		{"UnreadableHeaders", testUnreadable},
		{"FindByKeyAndName", testFind},
		{"FindRefusesOtherObjects", testFindRefuses},
		{"ImportableSaysWhyNot", testImportable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore(t))
		})
	}
}

// header is a dump with no tables, made on host at the time its name says.
func header(t *testing.T, host string, at time.Time, attachments bool) []byte {
	t.Helper()
	return testdb.Gzip(t, fmt.Sprintf(`{"schema_version": 1, "app": "wippidu", "source_host": %q, "exported_at": %q, "include_attachments": %t, "tables": []}`,
		host, at.UTC().Format(time.RFC3339), attachments))
}

func put(t *testing.T, st storage.Storage, key string, body []byte) {
	t.Helper()
	if _, err := st.Put(t.Context(), key, bytes.NewReader(body)); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// exportKey is where production stores an export made at at, as audit id.
func exportKey(id int, at time.Time) string {
	return fmt.Sprintf("exports/%d/wippidu-export-%s.json.gz", id, at.UTC().Format("20060102-150405"))
}

var day = time.Date(2026, 11, 25, 10, 11, 12, 0, time.UTC)

func testList(t *testing.T, st storage.Storage) {
	older, newer := day, day.Add(26*time.Hour)
	put(t, st, exportKey(7, older), header(t, "app.wippidu.net", older, true))
	put(t, st, exportKey(12, newer), header(t, "app.wippidu.net", newer, false))
	// Not exports: an upload, a note next to an export, a file of another name.
	put(t, st, "imports/20261125-101112-abc.json.gz", header(t, "app.wippidu.net", newer, true))
	put(t, st, "exports/12/notes.txt", []byte("hello"))
	put(t, st, "exports/13/backup.json.gz", header(t, "app.wippidu.net", newer, true))

	got, err := pull.List(t.Context(), st, pull.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if keys := keysOf(got); !slices.Equal(keys, []string{exportKey(12, newer), exportKey(7, older)}) {
		t.Fatalf("keys: got %v, want the two exports, newest first", keys)
	}
	first := got[0]
	if first.Name != "wippidu-export-20261126-121112.json.gz" || first.SourceHost != "app.wippidu.net" || !first.ExportedAt.Equal(newer) ||
		first.IncludeAttachments || first.Encrypted || first.HeaderError != "" || first.Err() != nil {
		t.Errorf("newest: got %+v", first)
	}
	if want := int64(len(header(t, "app.wippidu.net", newer, false))); first.Size != want {
		t.Errorf("size: got %d, want %d", first.Size, want)
	}
	if !got[1].IncludeAttachments || !got[1].Time().Equal(older) {
		t.Errorf("older: got %+v", got[1])
	}
}

func testListLimit(t *testing.T, st storage.Storage) {
	for i := range 4 {
		at := day.Add(time.Duration(i) * time.Hour)
		put(t, st, exportKey(i+1, at), header(t, "app.wippidu.net", at, true))
	}
	got, err := pull.List(t.Context(), st, pull.Options{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if keys := keysOf(got); !slices.Equal(keys, []string{exportKey(4, day.Add(3*time.Hour)), exportKey(3, day.Add(2*time.Hour))}) {
		t.Errorf("keys: got %v, want the newest two", keys)
	}
}

func testListEmpty(t *testing.T, st storage.Storage) {
	got, err := pull.List(t.Context(), st, pull.Options{})
	if err != nil || len(got) != 0 {
		t.Errorf("got %v, %v; want no exports and no error", got, err)
	}
}

func testUnreadable(t *testing.T, st storage.Storage) {
	put(t, st, exportKey(1, day), []byte("not gzip at all"))
	put(t, st, exportKey(2, day.Add(time.Hour)), testdb.Gzip(t, `{"schema_version": 9, "app": "wippidu", "tables": []}`))
	put(t, st, "exports/3/wippidu-export-20261125-121112.json.gz.age", []byte("age-encryption.org/v1\n"))
	got, err := pull.List(t.Context(), st, pull.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d exports, want 3: %+v", len(got), got)
	}
	want := map[string]string{
		exportKey(1, day):                                      wippidu.ErrNotADump.Message,
		exportKey(2, day.Add(time.Hour)):                       "Dump schema version 9 is newer than this instance supports.",
		"exports/3/wippidu-export-20261125-121112.json.gz.age": "The export is encrypted and this instance has no IMPORT_IDENTITY to decrypt it.",
	}
	for _, e := range got {
		if e.HeaderError != want[e.Key] || wippidu.ErrorMessage(e.Err()) != want[e.Key] || e.SourceHost != "" {
			t.Errorf("%s: header error %q (%v), host %q; want %q", e.Key, e.HeaderError, e.Err(), e.SourceHost, want[e.Key])
		}
		if e.Encrypted != strings.HasSuffix(e.Key, ".age") {
			t.Errorf("%s: encrypted %t", e.Key, e.Encrypted)
		}
	}
}

func testFind(t *testing.T, st storage.Storage) {
	older, newer := day, day.Add(time.Hour)
	put(t, st, exportKey(1, older), header(t, "app.wippidu.net", older, true))
	put(t, st, exportKey(2, newer), header(t, "prod.example", newer, false))
	ctx := t.Context()
	byKey, err := pull.Find(ctx, st, exportKey(1, older), pull.Options{})
	if err != nil || byKey.Key != exportKey(1, older) || byKey.SourceHost != "app.wippidu.net" || !byKey.IncludeAttachments || byKey.Size == 0 {
		t.Errorf("by key: got %+v, %v", byKey, err)
	}
	byName, err := pull.Find(ctx, st, " wippidu-export-20261125-111112.json.gz ", pull.Options{})
	if err != nil || byName.Key != exportKey(2, newer) || byName.SourceHost != "prod.example" {
		t.Errorf("by name: got %+v, %v", byName, err)
	}
}

func testFindRefuses(t *testing.T, st storage.Storage) {
	put(t, st, exportKey(1, day), header(t, "app.wippidu.net", day, true))
	put(t, st, "imports/wippidu-export-20261125-101112.json.gz", header(t, "app.wippidu.net", day, true))
	put(t, st, "exports/1/notes.txt", []byte("hello"))
	for _, name := range []string{
		"", "   ",
		"imports/wippidu-export-20261125-101112.json.gz", // exists, but is no export
		"exports/../imports/wippidu-export-20261125-101112.json.gz",
		"/exports/1/wippidu-export-20261125-101112.json.gz",
		"exports/1/notes.txt",
		"exports/9/wippidu-export-20261125-101112.json.gz", // missing
		"wippidu-export-20200101-000000.json.gz",           // no export of that name
		"notes.txt",
	} {
		e, err := pull.Find(t.Context(), st, name, pull.Options{})
		if !errors.Is(err, pull.ErrNotFound) {
			t.Errorf("Find(%q): got %+v, %v; want ErrNotFound", name, e, err)
		}
	}
}

func keysOf(es []pull.Export) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Key)
	}
	return out
}

func testImportable(t *testing.T, st storage.Storage) {
	good, broken := exportKey(1, day), exportKey(2, day.Add(time.Hour))
	put(t, st, good, header(t, "app.wippidu.net", day, true))
	put(t, st, broken, []byte("not gzip at all"))
	ctx := t.Context()
	if e, err := pull.Importable(ctx, st, good, pull.Options{}); err != nil || e.SourceHost != "app.wippidu.net" {
		t.Errorf("good export: got %+v, %v", e, err)
	}
	for name, want := range map[string]string{
		broken:                           "wippidu-export-20261125-111112.json.gz: " + wippidu.ErrNotADump.Message,
		exportKey(3, day):                wippidu.ErrSourceNotFound.Message,
		"imports/x/" + path(good):        wippidu.ErrSourceNotFound.Message,
		"wippidu-export-20261125-111112": wippidu.ErrSourceNotFound.Message,
	} {
		_, err := pull.Importable(ctx, st, name, pull.Options{})
		var we *wippidu.Error
		if !errors.As(err, &we) || we.Message != want {
			t.Errorf("Importable(%q): got %v, want %q", name, err, want)
		}
	}
}

// path is the file name of a key.
func path(key string) string { return key[strings.LastIndex(key, "/")+1:] }
