package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/pull"
)

// Imports straight from production's storage (SOURCE_STORAGE_URL): nothing is
// uploaded, the import job reads the export from there.

// sourceTimeout bounds listing production's storage, or finding one export in it.
const sourceTimeout = time.Minute

// sourceReady reports why this instance cannot import from production's storage.
func (a *app) sourceReady() error { return pull.Ready(a.cfg.AllowProdImport, a.deps.Source) }

// listSource is `worker import --list-source`: production's newest exports, one a
// line, the newest first.
func (a *app) listSource(ctx context.Context) error {
	if err := a.sourceReady(); err != nil {
		return a.explained(err, jobs.ImportGate{})
	}
	ctx, cancel := context.WithTimeout(ctx, sourceTimeout)
	defer cancel()
	list, err := pull.List(ctx, a.deps.Source, a.deps.PullOptions())
	if err != nil {
		return userError(wippidu.SourceUnavailable(err))
	}
	if len(list) == 0 {
		fmt.Fprintln(a.env.Stderr, "no exports in production storage")
		return nil
	}
	printSources(a.env.Stdout, list)
	return nil
}

func printSources(w io.Writer, list []pull.Export) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOURCE HOST\tEXPORTED AT\tSIZE\tATTACHMENTS\tENCRYPTED\tKEY")
	yes := map[bool]string{true: "yes", false: "no"}
	for _, e := range list {
		attachments := yes[e.IncludeAttachments]
		if e.HeaderError != "" {
			attachments = "–"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.SourceHost, e.Time().UTC().Format(time.RFC3339),
			wippidu.FormatBytes(e.Size), attachments, yes[e.Encrypted], e.Key)
		if e.HeaderError != "" {
			fmt.Fprintf(tw, "  cannot be imported: %s\t\t\t\t\t\t\n", e.HeaderError)
		}
	}
	_ = tw.Flush()
}

// importFromSource is `worker import --from-source NAME`: the gates of an import
// of a FILE, then the export NAME (a file name or key from --list-source) is
// imported from production's storage.
func (a *app) importFromSource(ctx context.Context, f *importFlags) error {
	gate, name := f.gate(a.cfg.Hostname), f.fromSource
	refused := func(err error) error {
		return a.refused(ctx, audit.Refusal{Kind: wippidu.KindImport, RequestedBy: a.requestedBy(), FileName: path.Base(name),
			Options: map[string]any{"confirm_host": gate.ConfirmHost, "anonymizers_off": gate.AnonymizersOff,
				"risk_acknowledged": gate.RiskAck != "", "source": jobs.SourceProduction.Label()}}, gate, err)
	}
	if err := jobs.CheckImportGates(a.cfg, gate); err != nil {
		return refused(err)
	}
	if err := a.sourceReady(); err != nil {
		return refused(err)
	}
	client, sub, err := a.importSubmitter(ctx, refused)
	if err != nil {
		return err
	}
	fctx, cancel := context.WithTimeout(ctx, sourceTimeout)
	e, err := pull.Importable(fctx, a.deps.Source, name, a.deps.PullOptions())
	cancel()
	if err != nil {
		return refused(err)
	}
	req := jobs.ImportRequest{ImportGate: gate, RequestedBy: a.requestedBy(), FileName: e.Name, ObjectKey: e.Key,
		Size: e.Size, Source: jobs.SourceProduction, Preview: f.dryRun}
	var ended <-chan *river.Event // nil: the job runs on a worker
	if f.inline {
		run, err := a.inline(ctx, a.deps)
		if err != nil {
			return err
		}
		defer run.stop()
		client, req.Queue, ended = run.client, run.queue, run.ended
		sub.Client = client
	}
	s, err := sub.Import(ctx, req)
	if err != nil {
		return refused(err)
	}
	fmt.Fprintf(a.env.Stderr, "import #%d of %s (%s, exported by %s) from production storage queued (River job %d)\n",
		s.AuditID, e.Name, wippidu.FormatBytes(e.Size), e.SourceHost, s.JobID)
	st, err := a.wait(ctx, client, s.JobID, ended)
	if err != nil {
		return err
	}
	if f.dryRun {
		fmt.Fprintf(a.env.Stderr, "preview #%d finished: nothing was changed\n", s.AuditID)
	}
	return json.NewEncoder(a.env.Stdout).Encode(map[string]any{"job_id": s.JobID, "audit_id": s.AuditID, "source_key": e.Key,
		"preview": f.dryRun, "result": st.Result})
}
