package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/jobs"
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
storage (progress on stderr), then saves the file to --out. A directory saves it under
its own name, wippidu-export-YYYYMMDD-HHMMSS.json.gz (.age when EXPORT_RECIPIENTS
encrypts it). stdout gets the result as JSON, with the export's number (audit_id, the
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
	if f.inline {
		var stop func()
		if client, req.Queue, stop, err = a.inline(ctx); err != nil {
			return err
		}
		defer stop()
	}
	sub := &jobs.Submitter{Pool: a.pool, Client: client, Config: a.cfg}
	s, err := sub.Export(ctx, req)
	if err != nil {
		return userError(err)
	}
	fmt.Fprintf(a.env.Stderr, "export #%d queued (River job %d)\n", s.AuditID, s.JobID)
	st, err := a.wait(ctx, client, s.JobID)
	if err != nil {
		return err
	}
	rec, err := audit.Get(ctx, a.pool, s.AuditID)
	if err != nil {
		return err
	}
	if rec.ObjectKey == nil || rec.FileName == nil {
		return fmt.Errorf("export #%d finished without a file", s.AuditID)
	}
	dest := f.out
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		dest = filepath.Join(dest, *rec.FileName)
	}
	size, err := a.download(ctx, *rec.ObjectKey, dest)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stderr, "saved %s (%s)\n", dest, wippidu.FormatBytes(size))
	return json.NewEncoder(a.env.Stdout).Encode(map[string]any{"file": dest, "job_id": s.JobID, "audit_id": s.AuditID, "result": st.Result})
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
