package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/sealed"
	"github.com/wippidu/wippidu/storage"
)

// importFlags are `worker import`'s flags.
type importFlags struct {
	confirmHost, keep, riskAck, fromSource string
	inline, dryRun, listSource             bool

	off []string // --keep, read
}

func importCommand(env cli.Env) *cobra.Command {
	f := &importFlags{}
	cmd := &cobra.Command{
		Use:   "import --confirm-host HOST [--keep emails,names,...] [--risk-ack TEXT] [--dry-run] [--inline] FILE",
		Short: "Import a dump into this instance, anonymized; wait, print the result",
		Long: `import replaces every app table of this instance (staging) with a dump, in one
transaction, every anonymizer on unless --keep switches some off. It stores FILE for a
worker (a link to it where storage is a folder on its filesystem, else a copy), or, with
--inline, runs the import here on FILE where it lies; or it reads export NAME straight
from production's storage (SOURCE_STORAGE_URL). It enqueues the import and waits:
progress on stderr, the result as JSON on stdout. It exits 0 only when the import
succeeded; otherwise staging is exactly as it was.

--confirm-host must be this instance's APP_HOSTNAME (case and port ignored). Imports run
only where APP_ALLOW_PROD_IMPORT=true. --keep switches anonymizers off, with --risk-ack
` + anonymizer.RiskAck + `; they are ` + strings.Join(anonymizer.Keys, ", ") + `.
--dry-run previews: the whole import runs, its result and first rows are printed, and it
rolls back. The import's number (audit_id) is the # of the page and of 'worker jobs list'.`,
		Example: `  worker import --confirm-host staging.wippidu.net wippidu-export-20261125-101112.json.gz
  worker import --confirm-host staging.wippidu.net --dry-run wippidu-export-20261125-101112.json.gz
  worker import --confirm-host staging.wippidu.net --keep emails --risk-ack ` + anonymizer.RiskAck + ` FILE
  worker import --list-source
  worker import --confirm-host staging.wippidu.net --from-source wippidu-export-20261125-101112.json.gz`,
		Args: func(_ *cobra.Command, args []string) error { return f.check(args) },
		RunE: withApp(env, needs{quiet: true, migrated: true}, func(ctx context.Context, a *app, args []string) error {
			switch {
			case f.listSource:
				return a.listSource(ctx)
			case f.fromSource != "":
				return a.importFromSource(ctx, f)
			}
			return a.importFile(ctx, f, args[0])
		}),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"gz", "age"}, cobra.ShellCompDirectiveFilterFileExt
		},
	}
	cli.MoreForms(cmd,
		"import --from-source NAME --confirm-host HOST [--keep emails,names,...] [--risk-ack TEXT] [--dry-run] [--inline]",
		"import --list-source")
	fl := cmd.Flags()
	fl.StringVar(&f.confirmHost, "confirm-host", "", "this instance's hostname, typed to confirm which instance the import replaces (APP_HOSTNAME)")
	fl.StringVar(&f.keep, "keep", "", "anonymizers to switch off, comma-separated ("+strings.Join(anonymizer.Keys, ",")+"); needs --risk-ack")
	fl.StringVar(&f.riskAck, "risk-ack", "", "the text "+anonymizer.RiskAck+", required with --keep")
	fl.BoolVar(&f.dryRun, "dry-run", false, "preview: run the whole import, print its result and first rows, roll it back")
	fl.BoolVar(&f.inline, "inline", false, "run the import in this process instead of waiting for a worker")
	fl.StringVar(&f.fromSource, "from-source", "", "import this export (file name or key) straight from SOURCE_STORAGE_URL instead of a FILE")
	fl.BoolVar(&f.listSource, "list-source", false, "list the newest exports in SOURCE_STORAGE_URL and import nothing")
	_ = cmd.RegisterFlagCompletionFunc("keep", cli.CompleteList(anonymizer.Keys...))
	for _, name := range []string{"confirm-host", "risk-ack", "from-source"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
	return cmd
}

// check tells a command line that cannot be an import apart before anything is
// read: each of the three forms, and what --keep names.
func (f *importFlags) check(args []string) error {
	if f.listSource {
		if len(args) > 0 || f.fromSource != "" {
			return cli.Usagef("import --list-source takes no FILE and no --from-source")
		}
		return nil
	}
	if len(args) > 1 {
		return cli.Usagef("import takes one FILE, got %d: %s", len(args), strings.Join(args, " "))
	}
	if (len(args) == 1) == (f.fromSource != "") {
		return cli.Usagef("import needs a FILE or --from-source NAME (one of them)")
	}
	if f.confirmHost == "" {
		return cli.Usagef("import needs --confirm-host HOST: this instance's hostname, APP_HOSTNAME, typed to confirm which instance it replaces")
	}
	off, err := anonymizer.ParseKeep(f.keep)
	if err != nil {
		return cli.Usagef("--keep: %v", err)
	}
	f.off = off
	return nil
}

func (f *importFlags) gate(actualHost string) jobs.ImportGate {
	return jobs.ImportGate{ConfirmHost: f.confirmHost, ActualHost: actualHost, AnonymizersOff: f.off, RiskAck: f.riskAck}
}

// importFile is `worker import FILE`.
func (a *app) importFile(ctx context.Context, f *importFlags, path string) error {
	gate := f.gate(a.cfg.Hostname)
	refused := func(err error) error {
		return a.refused(ctx, audit.Refusal{Kind: wippidu.KindImport, RequestedBy: a.requestedBy(), FileName: filepath.Base(path),
			Options: map[string]any{"confirm_host": gate.ConfirmHost, "anonymizers_off": gate.AnonymizersOff, "risk_acknowledged": gate.RiskAck != ""}},
			gate, err)
	}
	if err := jobs.CheckImportGates(a.cfg, gate); err != nil {
		return refused(err)
	}
	size, err := checkDumpFile(path, a.cfg.ImportIdentity)
	if err != nil {
		return refused(err)
	}
	client, sub, err := a.importSubmitter(ctx, refused)
	if err != nil {
		return err
	}
	key := jobs.NewImportKey()
	req := jobs.ImportRequest{ImportGate: gate, RequestedBy: a.requestedBy(), FileName: filepath.Base(path), ObjectKey: key, Size: size,
		Preview: f.dryRun}
	// discard deletes the stored dump once no job will read it.
	discard := func() { _ = a.storage.Delete(context.WithoutCancel(ctx), key) }
	var ended <-chan *river.Event // nil: the job runs on a worker
	if f.inline {
		// The job runs here: it reads the file where it lies, nothing is stored.
		deps := *a.deps
		deps.Storage = inPlace{Storage: a.storage, key: key, path: path}
		discard = func() {}
		fmt.Fprintf(a.env.Stderr, "reading %s (%s) where it lies\n", filepath.Base(path), wippidu.FormatBytes(size))
		run, err := a.inline(ctx, &deps)
		if err != nil {
			return err
		}
		defer run.stop()
		client, req.Queue, ended = run.client, run.queue, run.ended
		sub.Client = client
	} else if err := a.upload(ctx, path, key, size); err != nil {
		return err
	}
	s, err := sub.Import(ctx, req)
	if err != nil {
		discard()
		return refused(err)
	}
	fmt.Fprintf(a.env.Stderr, "import #%d queued (River job %d)\n", s.AuditID, s.JobID)
	st, err := a.wait(ctx, client, s.JobID, ended)
	if f.dryRun {
		// The command line has no second step that would import the previewed
		// upload: it goes.
		discard()
	}
	if err != nil {
		return err
	}
	if f.dryRun {
		fmt.Fprintf(a.env.Stderr, "preview #%d finished: nothing was changed\n", s.AuditID)
	}
	return json.NewEncoder(a.env.Stdout).Encode(map[string]any{"job_id": s.JobID, "audit_id": s.AuditID, "preview": f.dryRun, "result": st.Result})
}

// upload stores the dump file under key for a worker to read: a link to the file
// where storage is a folder on its filesystem, a copy elsewhere.
func (a *app) upload(ctx context.Context, path, key string, size int64) error {
	if l, ok := a.storage.(storage.Linker); ok {
		_, err := l.LinkIn(ctx, key, path)
		if err == nil {
			fmt.Fprintf(a.env.Stderr, "linked %s (%s) into storage, not copied\n", filepath.Base(path), wippidu.FormatBytes(size))
			return nil
		}
		if !errors.Is(err, errors.ErrUnsupported) {
			return fmt.Errorf("upload dump: %w", err)
		}
	}
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	fmt.Fprintf(a.env.Stderr, "uploading %s (%s)\n", filepath.Base(path), wippidu.FormatBytes(size))
	if _, err := a.storage.Put(ctx, key, file); err != nil {
		return fmt.Errorf("upload dump: %w", err)
	}
	return nil
}

// importSubmitter returns what the command submits an import with, once no other
// import is queued or running; that refusal goes through refused.
func (a *app) importSubmitter(ctx context.Context, refused func(error) error) (*river.Client[pgx.Tx], *jobs.Submitter, error) {
	client, err := a.insertClient()
	if err != nil {
		return nil, nil, err
	}
	sub := &jobs.Submitter{Pool: a.pool, Client: client, Config: a.cfg}
	if active, err := sub.ImportActive(ctx); err != nil {
		return nil, nil, err
	} else if active {
		return nil, nil, refused(wippidu.ErrImportBusy)
	}
	return client, sub, nil
}

// checkDumpFile reads a dump file's header so that a file that is not a dump, or is
// too new, is refused before anything is uploaded. An encrypted dump is accepted
// by its age header; with IMPORT_IDENTITY (identity), one for other keys is refused.
func checkDumpFile(path, identity string) (int64, error) {
	dec, err := sealed.NewDecrypter(identity)
	if err != nil {
		return 0, fmt.Errorf("IMPORT_IDENTITY %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	// The same check as the web tier's, on the same amount of the file.
	prefix := make([]byte, dump.CheckBytes)
	n, err := io.ReadFull(f, prefix)
	complete := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	if err != nil && !complete {
		return 0, err
	}
	if err := dec.CheckUpload(dump.CheckUpload)(prefix[:n], complete); errors.Is(err, wippidu.ErrNotADump) {
		return 0, wippidu.Errorf(wippidu.EINVALID, "%s: %s", path, wippidu.ErrNotADump.Message)
	} else if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
