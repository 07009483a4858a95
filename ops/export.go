package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/storage"
)

// exportFlags are `worker export`'s flags.
type exportFlags struct {
	noAttachments, inline bool
	out                   string
}

func exportCommand(env cli.Env) *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:   "export [--no-attachments] [--inline] --out FILE",
		Short: "Enqueue an export, wait for it, save the file",
		Long: `export enqueues an export of every app table, waits while a worker writes it into
storage (progress on stderr), then saves the file to --out: a link to the stored file
where storage is a folder on its filesystem, else a copy; with --inline and S3 storage
it is written as it goes up. A directory saves it under its own name,
wippidu-export-YYYYMMDD-HHMMSS.json.gz (.age when EXPORT_RECIPIENTS encrypts it).
stdout gets the result as JSON, with the export's number (audit_id, the
# of the page and of 'worker jobs list') and River's job_id.`,
		Example: `  worker export --out .                        # a worker (worker run) makes it
  worker export --inline --out /tmp/prod.json.gz  # made in this process
  worker export --no-attachments --out .          # attachment bytes left out`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("export takes no arguments, got %q: the file goes to --out FILE", args)
			}
			if f.out == "" {
				return cli.Usagef("export needs --out FILE: where to save the export (a directory keeps the export's own name)")
			}
			return nil
		},
		RunE: withApp(env, needs{quiet: true, migrated: true}, func(ctx context.Context, a *app, _ []string) error {
			return a.export(ctx, f)
		}),
	}
	cmd.Flags().BoolVar(&f.noAttachments, "no-attachments", false, "leave attachment bytes out of the dump")
	cmd.Flags().StringVar(&f.out, "out", "", "file to save the export to; a directory saves it under its own name (required)")
	cmd.Flags().BoolVar(&f.inline, "inline", false, "run the export in this process instead of waiting for a worker")
	return cmd
}

func (a *app) export(ctx context.Context, f exportFlags) error {
	client, err := a.insertClient()
	if err != nil {
		return err
	}
	req := jobs.ExportRequest{RequestedBy: a.requestedBy(), IncludeAttachments: !f.noAttachments, SourceHost: a.cfg.Hostname}
	var tee *teeStore
	var ended <-chan *river.Event // nil: the job runs on a worker
	if f.inline {
		deps := a.deps
		if _, ok := a.storage.(storage.Linker); !ok {
			// Storage that cannot link the export out (S3) gets it once: the file
			// is written as the export goes up.
			tee = newTeeStore(a.storage, outDir(f.out))
			defer tee.close()
			d := *a.deps
			d.Storage = tee
			deps = &d
		}
		run, err := a.inline(ctx, deps)
		if err != nil {
			return err
		}
		defer run.stop()
		client, req.Queue, ended = run.client, run.queue, run.ended
	}
	sub := &jobs.Submitter{Pool: a.pool, Client: client, Config: a.cfg}
	s, err := sub.Export(ctx, req)
	if err != nil {
		return userError(err)
	}
	fmt.Fprintf(a.env.Stderr, "export #%d queued (River job %d)\n", s.AuditID, s.JobID)
	st, err := a.wait(ctx, client, s.JobID, ended)
	if err != nil {
		return err
	}
	rec, err := audit.Get(ctx, a.pool, s.AuditID)
	if err != nil {
		return err
	}
	if rec.ObjectKey == nil || rec.FileName == nil || rec.SizeBytes == nil {
		return fmt.Errorf("export #%d finished without a file", s.AuditID)
	}
	dest := f.out
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		dest = filepath.Join(dest, *rec.FileName)
	}
	how, err := a.save(ctx, tee, *rec.ObjectKey, *rec.SizeBytes, dest)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stderr, "saved %s (%s, %s)\n", dest, wippidu.FormatBytes(*rec.SizeBytes), how)
	return json.NewEncoder(a.env.Stdout).Encode(map[string]any{"file": dest, "job_id": s.JobID, "audit_id": s.AuditID, "result": st.Result})
}

// outDir is the folder --out saves into.
func outDir(out string) string {
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		return out
	}
	return filepath.Dir(out)
}

// save puts the stored export at dest, without copying it where it can, and says
// how: the copy written as it went up (tee), a link to the stored file, or else a
// download.
func (a *app) save(ctx context.Context, tee *teeStore, key string, size int64, dest string) (string, error) {
	if tee != nil {
		if path, ok := tee.take(key, size); ok {
			if err := os.Rename(path, dest); err != nil {
				os.Remove(path)
				return "", fmt.Errorf("save export: %w", err)
			}
			return "written as it was stored", nil
		}
	}
	if l, ok := a.storage.(storage.Linker); ok {
		_, err := l.LinkOut(ctx, key, dest)
		if err == nil {
			return "linked to the stored file, not copied", nil
		}
		if !errors.Is(err, errors.ErrUnsupported) {
			return "", fmt.Errorf("save export: %w", err)
		}
	}
	if _, err := a.download(ctx, key, dest); err != nil {
		return "", err
	}
	return "downloaded", nil
}

// download copies a stored export to dest, through dest.part so that dest is
// either the whole file or not there, and returns its size.
func (a *app) download(ctx context.Context, key, dest string) (int64, error) {
	src, err := a.storage.Open(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("open export: %w", err)
	}
	defer src.Close()
	tmp := dest + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", tmp, err)
	}
	n, err := io.Copy(f, src)
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return 0, fmt.Errorf("download export: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("write %s: %w", dest, err)
	}
	return n, os.Rename(tmp, dest)
}
