package main_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoSickNotesNameTheSendersChild refreshes from demo data at 5,000 users
// with the commands as they ship (demodata, worker export, worker import): about
// one message in twenty is a sick note, "Krankmeldung <child's first name>", and on
// staging every one of them names the fake first name of one of the sender's
// children there.
func TestDemoSickNotesNameTheSendersChild(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("generates 5,000 users")
	}
	prod := newInstance(t, false)
	staging := newInstance(t, true)
	gen := exec.Command(demodataBin, "--users", "5000", "--attachment-kb", "1")
	gen.Env = prod.cmd().Env
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("demodata: %v\n%s", err, out)
	}
	dir := t.TempDir()
	if code, _, stderr := prod.run(t, "export", "--inline", "--out", dir); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "wippidu-export-*.json.gz"))
	if len(files) != 1 {
		t.Fatalf("export files: %v", files)
	}
	if code, stdout, stderr := staging.run(t, "import", "--inline", "--confirm-host", "staging.wippidu.net", files[0]); code != 0 ||
		!strings.Contains(stdout, `"leak_check":{"found":0,`) {
		t.Fatalf("import: exit %d\n%s\n%s", code, stdout, stderr)
	}
	ctx := context.Background()
	var notes, named, prodNotes int
	if err := staging.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE EXISTS (
			SELECT 1 FROM guardianships g JOIN students s ON s.id = g.student_id
			WHERE g.parent_id = m.sender_id AND s.first_name = substr(m.subject, length('Krankmeldung ') + 1)))
		FROM messages m WHERE m.subject LIKE 'Krankmeldung %'`).Scan(&notes, &named); err != nil {
		t.Fatal(err)
	}
	if err := prod.pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE subject LIKE 'Krankmeldung %'`).Scan(&prodNotes); err != nil {
		t.Fatal(err)
	}
	if notes < 1000 || named != notes || prodNotes != notes {
		t.Errorf("sick notes: %d on production, %d on staging, of which %d name one of the sender's children; want all",
			prodNotes, notes, named)
		rows, err := staging.pool.Query(ctx, `SELECT m.id, m.sender_id, m.subject FROM messages m
			WHERE m.subject LIKE 'Krankmeldung %' AND NOT EXISTS (SELECT 1 FROM guardianships g JOIN students s ON s.id = g.student_id
			WHERE g.parent_id = m.sender_id AND s.first_name = substr(m.subject, length('Krankmeldung ') + 1)) LIMIT 5`)
		if err == nil {
			for rows.Next() {
				var id, sender int64
				var subject string
				_ = rows.Scan(&id, &sender, &subject)
				t.Logf("message %d from user %d: %q", id, sender, subject)
			}
			rows.Close()
		}
	}
}
