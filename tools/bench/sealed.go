package main

import (
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/wippidu/wippidu/anonymizer"
)

// The encrypted sides: the same export and import as the plain ones, with
// EXPORT_RECIPIENTS and IMPORT_IDENTITY set.
const (
	sideExportSealed  = "wippidu export, encrypted"
	sideKeptSealedJob = "import, anonymizers off, encrypted (job)"
	sideKeptSealedCLI = "import, anonymizers off, encrypted (CLI)"
)

// ageKeys are the key pair the encrypted sides use: EXPORT_RECIPIENTS for the
// export, IMPORT_IDENTITY (an identity file, as on a real staging worker) for the
// import.
type ageKeys struct {
	exportEnv, importEnv []string
}

// newAgeKeys makes a key pair and writes its identity file into work.
func newAgeKeys(work string) (*ageKeys, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(work, "bench.agekey")
	if err := os.WriteFile(path, []byte(id.String()+"\n"), 0o600); err != nil {
		return nil, err
	}
	return &ageKeys{exportEnv: []string{"EXPORT_RECIPIENTS=" + id.Recipient().String()},
		importEnv: []string{"IMPORT_IDENTITY=" + path}}, nil
}

// sealedExport times the encrypted export, next to the plain one in the same round.
func (r *runner) sealedExport(db demoDB, f roundFiles, t *tally) task {
	return task{sideExportSealed, func() error {
		p, err := worker(r.work, dbURL(r.server, db.src), filepath.Join(r.work, "storage-"+db.label), r.keys.exportEnv,
			"export", "--inline", "--out", f.sealed)
		if err != nil {
			return err
		}
		t.add(sideExportSealed, p.sample)
		t.bytes[sideExportSealed], err = size(f.sealed)
		return err
	}}
}

// sealedImport times the import of the encrypted export with every anonymizer
// off, into the same database as the plain one: the pair differs only in the
// decryption.
func (r *runner) sealedImport(db demoDB, f roundFiles, t *tally) task {
	return task{strings.TrimSuffix(sideKeptSealedJob, " (job)"), func() error {
		storage := filepath.Join(r.work, "storage-"+db.label+"-staging")
		job, cli, err := importJob(filepath.Join(r.work, "bin", "worker"), dbURL(r.server, db.oursKept), storage, f.sealed,
			r.keys.importEnv, "--keep", strings.Join(anonymizer.Keys, ","), "--risk-ack", anonymizer.RiskAck)
		if err != nil {
			return err
		}
		t.add(sideKeptSealedJob, job)
		t.add(sideKeptSealedCLI, cli)
		return nil
	}}
}

// sealedRows are the cost of encryption: the plain side as "ours", the encrypted
// one as the reference, so that reference ÷ ours is encrypted ÷ plain time.
func sealedRows() []row {
	return []row{
		{what: "cost of encryption ¶: export, encrypted vs plain", ours: []string{sideExport}, ref: []string{sideExportSealed}},
		{what: "cost of encryption ¶: import, anonymizers off (job), encrypted vs plain", ours: []string{sideKeptJob}, ref: []string{sideKeptSealedJob}},
		{what: "cost of encryption ¶: import, anonymizers off (CLI), encrypted vs plain", ours: []string{sideKeptCLI}, ref: []string{sideKeptSealedCLI}},
	}
}
