package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/dump"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/sealed"
)

// parseInterleaved parses flags that may come before or after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// deleteQueueSQL removes an inline run's queue once its client has stopped. River
// keeps a row for every queue a client ever served, and the River UI lists it until
// the queue cleaner drops it a day later; nobody serves an inline queue again.
// River has no call that deletes one queue.
const deleteQueueSQL = `DELETE FROM river_queue WHERE name = $1`

// inline starts a River client in this process that serves a queue of its own, so
// that the job runs here, through the same path as on a worker. The returned stop
// ends the client and removes the queue.
func (a *app) inline(ctx context.Context) (*river.Client[pgx.Tx], string, func(), error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	queue := "inline_" + hex.EncodeToString(b)
	client, err := NewClient(a.deps, ClientOptions{Queues: map[string]river.QueueConfig{queue: {MaxWorkers: 1}}})
	if err != nil {
		return nil, "", nil, err
	}
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, "", nil, fmt.Errorf("start inline client: %w", err)
	}
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = client.StopAndCancel(sctx)
		// A job the run leaves unfinished (the command was interrupted) would wait in a
		// queue nobody serves, and hold off every later import: it is cancelled.
		a.cancelLeftOver(sctx, client, queue)
		if _, err := a.pool.Exec(sctx, deleteQueueSQL, queue); err != nil {
			a.logger.WarnContext(sctx, "remove inline queue", slog.String("queue", queue), slog.Any("error", err))
		}
	}
	return client, queue, stop, nil
}

// cancelLeftOver cancels the jobs an inline run's queue still holds, and says so in
// their audit rows.
func (a *app) cancelLeftOver(ctx context.Context, client *river.Client[pgx.Tx], queue string) {
	res, err := client.JobList(ctx, river.NewJobListParams().Queues(queue).First(10).States(
		rivertype.JobStateAvailable, rivertype.JobStateRetryable, rivertype.JobStateScheduled, rivertype.JobStateRunning))
	if err != nil {
		a.logger.WarnContext(ctx, "list inline jobs", slog.String("queue", queue), slog.Any("error", err))
		return
	}
	for _, j := range res.Jobs {
		job, err := client.JobCancel(ctx, j.ID)
		if err == nil {
			err = jobs.SyncAuditAfterOps(ctx, a.pool, job)
		}
		if err != nil {
			a.logger.WarnContext(ctx, "cancel inline job", slog.Int64("job_id", j.ID), slog.Any("error", err))
		}
	}
}

func (a *app) export(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	noAttach := fs.Bool("no-attachments", false, "leave attachment binaries out of the dump")
	out := fs.String("out", "", "file to save the export to (a directory saves it under its own name)")
	inline := fs.Bool("inline", false, "run the export in this process")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *out == "" || len(pos) > 0 {
		return usageError("export needs --out FILE and no other arguments")
	}
	client, err := a.insertClient()
	if err != nil {
		return err
	}
	req := jobs.ExportRequest{RequestedBy: requestedBy(env.Getenv), IncludeAttachments: !*noAttach, SourceHost: a.cfg.Hostname}
	if *inline {
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
	fmt.Fprintf(env.Stderr, "export #%d queued (River job %d)\n", s.AuditID, s.JobID)
	st, err := a.wait(ctx, env, client, s.JobID)
	if err != nil {
		return err
	}
	rec, err := audit.Get(ctx, a.pool, s.AuditID)
	if err != nil {
		return err
	}
	if rec.ObjectKey == nil || rec.FileName == nil {
		return fmt.Errorf("export %d finished without a file", s.AuditID)
	}
	dest := *out
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		dest = filepath.Join(dest, *rec.FileName)
	}
	if err := a.download(ctx, *rec.ObjectKey, dest); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "saved %s\n", dest)
	return json.NewEncoder(env.Stdout).Encode(map[string]any{"file": dest, "job_id": s.JobID, "audit_id": s.AuditID, "result": st.Result})
}

func (a *app) download(ctx context.Context, key, dest string) error {
	src, err := a.storage.Open(ctx, key)
	if err != nil {
		return fmt.Errorf("open export: %w", err)
	}
	defer src.Close()
	tmp := dest + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("download export: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", dest, err)
	}
	return os.Rename(tmp, dest)
}

func (a *app) importDump(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	confirm := fs.String("confirm-host", "", "this instance's hostname (APP_HOSTNAME), typed to confirm")
	keep := fs.String("keep", "", "anonymizers to switch off, comma-separated ("+joinKeys()+")")
	riskAck := fs.String("risk-ack", "", "must be "+anonymizer.RiskAck+" when --keep is given")
	inline := fs.Bool("inline", false, "run the import in this process")
	dryRun := fs.Bool("dry-run", false, "preview: run the whole import, print its result and first rows, roll it back")
	fromSource := fs.String("from-source", "", "import this export (file name or key) straight from SOURCE_STORAGE_URL instead of a FILE")
	listSource := fs.Bool("list-source", false, "list the newest exports in SOURCE_STORAGE_URL and import nothing")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *listSource {
		if len(pos) > 0 || *fromSource != "" {
			return usageError("import --list-source takes no FILE and no --from-source")
		}
		return a.listSource(ctx, env)
	}
	if (len(pos) != 1) == (*fromSource == "") {
		return usageError("import needs exactly one FILE, or --from-source NAME")
	}
	off, err := anonymizer.ParseKeep(*keep)
	if err != nil {
		return usageError("--keep: %v", err)
	}
	gate := jobs.ImportGate{ConfirmHost: *confirm, ActualHost: a.cfg.Hostname, AnonymizersOff: off, RiskAck: *riskAck}
	if *fromSource != "" {
		return a.importFromSource(ctx, env, gate, *fromSource, sourceRun{inline: *inline, preview: *dryRun})
	}
	path := pos[0]
	refused := func(err error) error {
		return a.refused(ctx, audit.Refusal{Kind: wippidu.KindImport, RequestedBy: requestedBy(env.Getenv), FileName: filepath.Base(path),
			Options: map[string]any{"confirm_host": gate.ConfirmHost, "anonymizers_off": off, "risk_acknowledged": *riskAck != ""}}, err)
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
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "uploading %s (%s)\n", filepath.Base(path), wippidu.FormatBytes(size))
	_, err = a.storage.Put(ctx, key, f)
	f.Close()
	if err != nil {
		return fmt.Errorf("upload dump: %w", err)
	}
	req := jobs.ImportRequest{ImportGate: gate, RequestedBy: requestedBy(env.Getenv), FileName: filepath.Base(path), ObjectKey: key, Size: size,
		Preview: *dryRun}
	if *inline {
		var stop func()
		if client, req.Queue, stop, err = a.inline(ctx); err != nil {
			_ = a.storage.Delete(context.WithoutCancel(ctx), key)
			return err
		}
		defer stop()
		sub.Client = client
	}
	s, err := sub.Import(ctx, req)
	if err != nil {
		_ = a.storage.Delete(context.WithoutCancel(ctx), key)
		return refused(err)
	}
	fmt.Fprintf(env.Stderr, "import #%d queued (River job %d)\n", s.AuditID, s.JobID)
	st, err := a.wait(ctx, env, client, s.JobID)
	if *dryRun {
		// The command line has no second step that would import the previewed
		// upload: it goes.
		_ = a.storage.Delete(context.WithoutCancel(ctx), key)
	}
	if err != nil {
		return err
	}
	if *dryRun {
		fmt.Fprintf(env.Stderr, "preview #%d finished: nothing was changed\n", s.AuditID)
	}
	return json.NewEncoder(env.Stdout).Encode(map[string]any{"job_id": s.JobID, "audit_id": s.AuditID, "preview": *dryRun, "result": st.Result})
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

// refused records a refused command in the audit history, as the web tier records
// refused requests, and returns it as the command's failure.
func (a *app) refused(ctx context.Context, r audit.Refusal, err error) error {
	var we *wippidu.Error
	if errors.As(err, &we) {
		r.ClientAddr, r.Reason = "cli", we.Message
		if _, aerr := audit.Refuse(context.WithoutCancel(ctx), a.pool, r); aerr != nil {
			a.logger.ErrorContext(ctx, "record refusal", slog.Any("error", aerr))
		}
	}
	return userError(err)
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

func joinKeys() string {
	s := ""
	for i, k := range anonymizer.Keys {
		if i > 0 {
			s += ","
		}
		s += k
	}
	return s
}

// wait polls a job until it ends, printing progress to stderr.
func (a *app) wait(ctx context.Context, env Env, client *river.Client[pgx.Tx], jobID int64) (*jobs.Status, error) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		st, err := jobs.GetStatus(ctx, client, a.pool, jobID)
		if err != nil {
			return nil, err
		}
		line := progressLine(st)
		if line != last {
			fmt.Fprintln(env.Stderr, line)
			last = line
		}
		if st.Done {
			if st.Succeeded {
				return st, nil
			}
			return st, &exitError{code: 1, err: fmt.Errorf("%s #%d %s (River job %d): %s", st.Kind, st.AuditID, st.AuditStatus, jobID, st.Error)}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped waiting for job %d (it goes on; see `worker jobs list`): %w", jobID, ctx.Err())
		case <-tick.C:
		}
	}
}

func progressLine(st *jobs.Status) string {
	s := fmt.Sprintf("%s #%d: %s", st.Kind, st.AuditID, st.State)
	if st.PhaseLabel != "" {
		s += ", " + st.PhaseLabel
	}
	if st.Table != "" {
		s += " " + st.Table
	}
	if st.RowsDone > 0 {
		s += ", " + st.RowsText + " rows"
	}
	if st.BytesDone > 0 || st.BytesTotal > 0 {
		s += ", " + st.BytesText
	}
	s += fmt.Sprintf(", %.0f %%", st.Percent)
	if st.Error != "" && !st.Done {
		s += " (last error: " + st.Error + ")"
	}
	return s
}
