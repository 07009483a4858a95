// Package baddump makes a corpus of broken dump files from one good export, so that
// tests can prove an import refuses each with a specific message and loses nothing.
//
// Generate takes a good dump (from transfer.Export of the test fixture) and returns
// named entries: truncated and damaged gzip, wrong JSON shapes, bad schema versions,
// rows of the wrong length or types, values PostgreSQL cannot hold, broken keys,
// hostile names, and a few huge inputs (a 500 MB row, a gzip bomb, millions of
// tables) that are produced as streams and never held in memory. Because the
// mutations find tables and columns by name in the good dump, the corpus follows the
// schema as it changes.
package baddump

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/klauspost/compress/flate"
	kgzip "github.com/klauspost/compress/gzip"

	"github.com/wippidu/wippidu/dump"
)

// The header values Normalize writes, so that the corpus is the same on every run.
const (
	SourceHost = "app.wippidu.net"
	ExportedAt = "2026-11-25T10:11:12Z"
)

// Entry is one bad dump and what an import of it must say.
type Entry struct {
	Name string // short, usable as a file name
	// Want is a substring the import's error message must contain.
	Want string
	// Data is the whole file; nil for streamed entries.
	Data []byte
	// Streamed entries are too big to hold (hundreds of megabytes to 100 GB once
	// decompressed); Open produces them on the fly.
	Streamed bool
	// Unanonymized says the fault sits in a column an anonymizer replaces, so the
	// importer only meets it with every anonymizer off.
	Unanonymized bool

	open func() io.Reader
}

// Open returns the file's bytes as a stream.
func (e Entry) Open() io.Reader {
	if e.open != nil {
		return e.open()
	}
	return bytes.NewReader(e.Data)
}

// FileName is the entry's name in testdata/baddumps.
func (e Entry) FileName() string { return e.Name + ".json.gz" }

// Normalize returns the good dump with a fixed source host and export time, gzipped
// reproducibly: the base every corpus entry is made from.
func Normalize(good []byte) ([]byte, error) {
	d, err := normalized(good)
	if err != nil {
		return nil, err
	}
	return gz(d.encode()), nil
}

func normalized(good []byte) (*doc, error) {
	js, err := gunzip(good)
	if err != nil {
		return nil, fmt.Errorf("baddump: good dump: %w", err)
	}
	d, err := parse(js)
	if err != nil {
		return nil, fmt.Errorf("baddump: good dump: %w", err)
	}
	d.set("source_host", quote(SourceHost))
	d.set("exported_at", quote(ExportedAt))
	return d, nil
}

// Generate returns the corpus made from good, a dump of the test fixture (at least
// two rows in users and messages, one attachment, a student in a class).
func Generate(good []byte) ([]Entry, error) {
	base, err := normalized(good)
	if err != nil {
		return nil, err
	}
	c := &corpus{base: base, js: base.encode()}
	c.file = gz(c.js)
	for _, part := range []func() error{c.truncations, c.damagedGzip, c.notADump, c.header, c.rows, c.keys, c.hostileNames, c.huge} {
		if err := part(); err != nil {
			return nil, err
		}
	}
	return c.out, nil
}

// corpus is the bad dumps being made from one good one.
type corpus struct {
	base *doc
	js   []byte // the good dump's JSON
	file []byte // and its gzip
	out  []Entry
}

func (c *corpus) add(name, want string, data []byte) {
	c.out = append(c.out, Entry{Name: name, Want: want, Data: data})
}

// setValue makes a dump whose value in table's row (from 0) and column col is raw.
func (c *corpus) setValue(name, table, col string, row int, raw, want string) {
	c.mutate(name, func(d *doc) string {
		t := d.table(table)
		t.row(row)[t.col(col)] = raw
		return want
	})
}

// mutate edits a copy of the good dump's JSON and returns the expected message.
func (c *corpus) mutate(name string, f func(d *doc) string) {
	d := c.base.clone()
	want := f(d)
	c.add(name, want, gz(d.encode()))
}

// Truncated at offsets spread over the file: in the gzip header, at the start of
// the data, in the middle of rows, in the trailer.
func (c *corpus) truncations() error {
	add, file := c.add, c.file
	add("truncated-at-0", "the file is empty", file[:0])
	add("truncated-in-gzip-header", "not a gzip file", file[:5])
	add("truncated-after-gzip-header", "the file is truncated", file[:len(gzipHeader)+1])
	for _, pct := range []int{10, 25, 40, 55, 70, 85, 95} {
		add(fmt.Sprintf("truncated-at-%d-percent", pct), "the file is truncated", file[:len(file)*pct/100])
	}
	add("truncated-in-gzip-trailer", "the file is truncated", file[:len(file)-4])
	return nil
}

// Damaged gzip.
func (c *corpus) damagedGzip() error {
	add, file, js := c.add, c.file, c.js
	add("gzip-flipped-magic", "not a gzip file", flip(file, 0, 0xff))
	add("gzip-flipped-method", "not a gzip file", flip(file, 2, 0x01))
	add("gzip-reserved-block-type", "damaged gzip data", orByte(file, len(gzipHeader), 0x06))
	add("gzip-flipped-crc", "damaged gzip data", flip(file, len(file)-8, 0xff))
	add("gzip-flipped-size", "damaged gzip data", flip(file, len(file)-1, 0xff))
	for _, pct := range []int{30, 60, 90} {
		at, err := cleanFlip(file, js, len(file)*pct/100)
		if err != nil {
			return err
		}
		add(fmt.Sprintf("gzip-flipped-at-%d-percent", pct), "damaged gzip data", flip(file, at, 0xff))
	}
	add("gzip-trailing-garbage", "damaged gzip data", append(bytes.Clone(file), "garbage after the gzip member"...))
	return nil
}

// Not a dump at all.
func (c *corpus) notADump() error {
	add, js := c.add, c.js
	add("not-gzip", "not a gzip file", js)
	add("gzip-of-nothing", "the gzip file holds no data", gz(nil))
	add("gzip-of-text", "the file holds no JSON (first byte 'D')", gz([]byte("Dies ist keine Sicherung.\n")))
	add("top-level-array", "the file holds a JSON array, not a JSON object", gz([]byte(`[`+string(js)+`]`)))
	add("top-level-string", "the file holds a JSON string, not a JSON object", gz([]byte(`"wippidu"`)))
	add("top-level-number", "the file holds a JSON number, not a JSON object", gz([]byte(`1`)))
	add("top-level-null", "the file holds JSON null, not a JSON object", gz([]byte(`null`)))
	add("data-after-the-end", "data after the end of the dump", gz(append(bytes.Clone(js), `{"schema_version":1}`...)))
	return nil
}

// Header.
func (c *corpus) header() error {
	mutate := c.mutate
	mutate("schema-version-newer", func(d *doc) string {
		d.set("schema_version", strconv.Itoa(dump.SchemaVersion+1))
		return fmt.Sprintf("Dump schema version %d is newer than this instance supports.", dump.SchemaVersion+1)
	})
	mutate("schema-version-missing", func(d *doc) string {
		d.drop("schema_version")
		return `first key is "app", want "schema_version"`
	})
	mutate("schema-version-string", func(d *doc) string {
		d.set("schema_version", `"1"`)
		return "schema_version must be a number, got a string"
	})
	mutate("schema-version-negative", func(d *doc) string {
		d.set("schema_version", `-1`)
		return "schema_version must be a positive integer, got -1"
	})
	mutate("schema-version-fraction", func(d *doc) string {
		d.set("schema_version", `1.5`)
		return "schema_version must be a positive integer, got 1.5"
	})
	mutate("schema-version-huge", func(d *doc) string {
		d.set("schema_version", `123456789012345678901234567890`)
		return "Dump schema version 123456789012345678901234567890 is newer than this instance supports."
	})
	mutate("app-missing", func(d *doc) string {
		d.drop("app")
		return `the "app" key is missing`
	})
	mutate("app-other", func(d *doc) string {
		d.set("app", `"wordpress"`)
		return `app is "wordpress"`
	})
	mutate("exported-at-not-a-time", func(d *doc) string {
		d.set("exported_at", `"gestern"`)
		return `exported_at is not an RFC 3339 time: "gestern"`
	})
	mutate("tables-not-an-array", func(d *doc) string {
		d.tables = nil
		d.header = append(d.header, field{"tables", `{}`})
		return `"tables" must be an array, found a JSON object`
	})
	return nil
}

// Rows.
func (c *corpus) rows() error {
	add, mutate, base := c.add, c.mutate, c.base
	mutate("row-too-many-values", func(d *doc) string {
		t := d.table("messages")
		t.rows[0] = append(t.row(0), `"extra"`)
		return fmt.Sprintf(`table "messages" row 1: more values than the table's %d columns`, len(t.columns))
	})
	mutate("row-too-few-values", func(d *doc) string {
		t := d.table("messages")
		t.rows[1] = t.row(1)[:len(t.columns)-1]
		return fmt.Sprintf(`table "messages" row 2: found %d values, want %d`, len(t.columns)-1, len(t.columns))
	})
	{
		d := base.clone()
		d.table("users").rows[1] = []string{"\x00row"}
		add("row-not-an-array", `table "users" row 2: a row must be an array, found a JSON object`,
			gz(bytes.Replace(d.encode(), []byte("[\x00row]"), []byte(`{"id":2}`), 1)))
	}
	c.setValue("value-string-in-bigint", "users", "id", 0, `"eins"`, `table "users" row 1 column "id" (bigint): want a number, got a string`)
	c.setValue("value-fraction-in-bigint", "messages", "sender_id", 0, `2.5`, `table "messages" row 1 column "sender_id" (bigint): want an integer, got a fraction or exponent`)
	c.setValue("value-exponent-in-bigint", "messages", "recipient_id", 0, `1e3`, `table "messages" row 1 column "recipient_id" (bigint): want an integer, got a fraction or exponent`)
	c.setValue("value-exponent-upper-in-bigint", "messages", "sender_id", 1, `2E1`, `table "messages" row 2 column "sender_id" (bigint): want an integer, got a fraction or exponent`)
	c.setValue("value-number-in-text", "messages", "subject", 0, `42`, `table "messages" row 1 column "subject" (text): want a string, got a number`)
	c.setValue("value-string-in-boolean", "parental_letters", "requires_acknowledgement", 0, `"ja"`, `table "parental_letters" row 1 column "requires_acknowledgement" (boolean): want a boolean, got a string`)
	c.setValue("value-number-in-bytea", "attachments", "data", 0, `12345`, `table "attachments" row 1 column "data" (bytea): want a string, got a number`)
	c.setValue("value-object", "messages", "subject", 0, `{"de":"Elternabend"}`, `table "messages" row 1 column "subject": expected a value, found a nested object`)
	c.setValue("value-array", "students", "notes", 0, `["Allergie","Nüsse"]`, `table "students" row 1 column "notes": expected a value, found a nested array`)
	c.setValue("value-bad-literal", "messages", "read_at", 1, `nil`, `table "messages" row 2 column "read_at": invalid literal, expected "null"`)
	c.setValue("value-bad-number", "messages", "recipient_id", 0, `-`, `table "messages" row 1 column "recipient_id": invalid number`)
	c.setValue("value-bad-escape", "messages", "subject", 0, `"Eltern\qabend"`, `table "messages" row 1 column "subject": invalid escape \q in a string`)
	c.setValue("value-lone-surrogate", "messages", "subject", 0, `"\ud800"`, `table "messages" row 1 column "subject": unpaired UTF-16 surrogate in a string`)
	c.setValue("value-control-character", "messages", "subject", 0, "\"tab\there\"", `table "messages" row 1 column "subject": control character 0x09 inside a string`)
	c.setValue("bytea-invalid-base64", "attachments", "data", 0, `"not base64!"`, `table "attachments" row 1: column "data": bytea value is not valid base64`)
	c.out[len(c.out)-1].Unanonymized = true
	c.setValue("text-invalid-utf8", "messages", "subject", 0, "\"Gr\xfc\xdfe\"", `table "messages" row 1: column "subject": invalid UTF-8 in a text value`)
	c.setValue("text-nul-byte", "messages", "subject", 0, `"Eltern\u0000abend"`, `table "messages" row 1: column "subject": NUL byte in a text value`)
	c.setValue("date-out-of-range", "parental_letters", "due_date", 0, `"2026-11-31"`, `date/time field value out of range (SQLSTATE 22008); table "parental_letters", row 1, column "due_date"`)
	c.setValue("birth-date-not-a-date", "students", "birth_date", 0, `"2018-05-32"`, `table "students" row 1: column "birth_date": not a date in the form YYYY-MM-DD`)
	c.setValue("check-violated", "school_classes", "grade", 0, `99`, `violates check constraint "school_classes_grade_check"`)
	c.setValue("not-null-violated", "users", "role", 0, `null`, `null value in column "role" of relation "users" violates not-null constraint`)
	return nil
}

// Keys.
func (c *corpus) keys() error {
	mutate := c.mutate
	mutate("duplicate-primary-key", func(d *doc) string {
		t := d.table("users")
		t.row(1)[t.col("id")] = t.row(0)[t.col("id")]
		return `duplicate key value violates unique constraint "users_pkey" (SQLSTATE 23505); key (id) already exists, table "users", row 2, constraint "users_pkey"`
	})
	c.setValue("foreign-key-nowhere", "students", "school_class_id", 0, `999`, `foreign key "students_school_class_id_fkey" of table "students" does not hold for the dump's rows`)
	mutate("table-twice", func(d *doc) string {
		d.tables = append(d.tables, d.clone().table("school_classes"))
		return `table "school_classes" appears twice in the dump`
	})
	mutate("column-twice", func(d *doc) string {
		t := d.table("users")
		i := t.col("email")
		t.columns = append(t.columns, t.columns[i])
		for j := range t.rows {
			t.rows[j] = append(t.rows[j], t.rows[j][i])
		}
		return `table "users": column "email" appears twice`
	})
	return nil
}

// Hostile names. Only names found in staging's catalog ever reach SQL, so none of
// these can run anything; they are refused because no wippidu schema has them.
func (c *corpus) hostileNames() error {
	mutate := c.mutate
	// want may say "table %d" for where the users table is.
	renameTable := func(name, newName, want string, keep bool) {
		mutate(name, func(d *doc) string {
			if strings.Contains(want, "%d") {
				want = fmt.Sprintf(want, d.position("users"))
			}
			t := d.table("users")
			if keep { // a copy under the hostile name, next to the real table
				t = d.clone().table("users")
				d.tables = append(d.tables, t)
			}
			t.name = quote(newName)
			return want
		})
	}
	ident := func(s string) string {
		return "table name " + strconv.QuoteToASCII(s) + " is not a wippidu identifier"
	}
	for _, c := range []struct{ name, table string }{
		{"table-name-sql", "users; DROP TABLE users"},
		{"table-name-double-quote", `users"; DROP TABLE "users`},
		{"table-name-single-quote", `users'); DROP TABLE users; --`},
		{"table-name-uppercase", "Users"},
	} {
		renameTable(c.name, c.table, ident(c.table), true)
	}
	renameTable("table-name-cyrillic-lookalike", "uѕers", ident("uѕers"), false)
	renameTable("table-name-10kb", strings.Repeat("users", 2048), "table %d: name longer than 256 bytes", false)
	renameTable("table-name-empty", "", "table %d: name must be a non-empty string, got an empty string", false)
	mutate("table-name-number", func(d *doc) string {
		want := fmt.Sprintf("table %d: name must be a non-empty string, got a number", d.position("users"))
		d.table("users").name = `42`
		return want
	})
	renameColumn := func(name, newName, want string) {
		mutate(name, func(d *doc) string {
			t := d.table("users")
			t.columns[t.col("email")].name = quote(newName)
			return want
		})
	}
	col := func(s string) string {
		return `table "users": column name ` + strconv.QuoteToASCII(s) + " is not a wippidu identifier"
	}
	renameColumn("column-name-sql", `email"; DROP TABLE users; --`, col(`email"; DROP TABLE users; --`))
	renameColumn("column-name-cyrillic-lookalike", "еmail", col("еmail"))
	renameColumn("column-name-10kb", strings.Repeat("email", 2048), `table "users": column 5 name longer than 256 bytes`)
	return nil
}

// Huge inputs, streamed.
func (c *corpus) huge() error {
	c.out = append(c.out, streamed(c.base)...)
	return nil
}

// streamed makes the entries too big to hold in memory.
func streamed(base *doc) []Entry {
	const mark = "@@baddump-fill@@"
	split := func(f func(d *doc)) (prefix, suffix []byte) {
		d := base.clone()
		f(d)
		p, s, ok := bytes.Cut(d.encode(), []byte(mark))
		if !ok {
			panic("baddump: fill mark lost")
		}
		return p, s
	}
	inValue := func(table, col string) func(d *doc) {
		return func(d *doc) {
			t := d.table(table)
			t.row(0)[t.col(col)] = `"` + mark + `"`
		}
	}
	long := fmt.Sprintf("value longer than %d bytes", dump.DefaultMaxValueBytes)
	var out []Entry
	add := func(name, want string, open func() io.Reader) {
		out = append(out, Entry{Name: name, Want: want, Streamed: true, open: open})
	}

	p, s := split(inValue("messages", "subject"))
	add("row-500mb-in-loaded-column", `table "messages" row 1 column "subject": `+long, repeatStream(p, 'x', 500<<20, s))
	// messages.body is replaced by the bodies anonymizer: the reader only scans it.
	p, s = split(inValue("messages", "body"))
	add("row-500mb-in-anonymized-column", `table "messages" row 1 column "body": `+long, repeatStream(p, 'x', 500<<20, s))
	js := base.encode()
	i := bytes.Index(js, []byte(`"tables":[`)) + len(`"tables":[`)
	add("gzip-bomb-100gb-whitespace", fmt.Sprintf("more than %d bytes of whitespace in a row", dump.MaxWhitespace),
		repeatStream(js[:i], ' ', 100<<30, js[i:]))
	p, s = split(func(d *doc) { d.set("source_host", `"`+mark+`"`) })
	add("gzip-bomb-100gb-string", `header value "source_host" longer than 256 bytes`, repeatStream(p, 'A', 100<<30, s))
	add("two-million-tables", fmt.Sprintf("the dump has more than %d tables", dump.DefaultMaxTables),
		manyTables(js[:i], 2_000_000))
	return out
}

func flip(b []byte, at int, mask byte) []byte {
	b = bytes.Clone(b)
	b[at] ^= mask
	return b
}

func orByte(b []byte, at int, mask byte) []byte {
	b = bytes.Clone(b)
	b[at] |= mask
	return b
}

// cleanFlip finds, from offset from on, a byte of the deflate data whose flipping
// the decompressor reports as damage before it hands out a single wrong byte: then
// the importer's message is about the gzip data, not about garbage JSON.
func cleanFlip(file, js []byte, from int) (int, error) {
	for at := from; at < len(file)-8 && at < from+4096; at++ {
		zr, err := kgzip.NewReader(bytes.NewReader(flip(file, at, 0xff)))
		if err != nil {
			continue
		}
		got, err := io.ReadAll(zr)
		var corrupt flate.CorruptInputError
		if (errors.As(err, &corrupt) || errors.Is(err, kgzip.ErrChecksum)) && bytes.HasPrefix(js, got) {
			return at, nil
		}
	}
	return 0, fmt.Errorf("baddump: no cleanly detected flip near byte %d", from)
}
