package ops

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/riverqueue/river/rivertype"
	"github.com/spf13/cobra"

	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/cli"
	"github.com/wippidu/wippidu/jobs"
)

// listLimit is how many history rows `worker jobs list` prints, as many as the
// page lists.
const listLimit = 50

func jobsCommand(env cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List exports and imports; retry or cancel one by River's job id",
		Long: `jobs lists the history of exports and imports, and retries or cancels one job.

Two numbers name a job: # is the number of its history row, which the Import/Export
page, its address (/admin/data?job=N), GET /admin/data/jobs/N and the commands' output
show; RIVER JOB is River's own id, which the River UI and 'jobs retry|cancel' take.
'worker jobs list' shows both.`,
	}
	cmd.AddCommand(jobsListCommand(env), jobsActionCommand(env, "retry"), jobsActionCommand(env, "cancel"))
	return cmd
}

func jobsListCommand(env cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "The newest exports and imports: #, RIVER JOB, status, who, file, error",
		Example: "  worker jobs list",
		Args:    cobra.NoArgs,
		RunE: withApp(env, needs{quiet: true, migrated: true}, func(ctx context.Context, a *app, _ []string) error {
			return a.listJobs(ctx)
		}),
	}
}

// jobsActionCommand is `jobs retry ID` or `jobs cancel ID`.
func jobsActionCommand(env cli.Env, action string) *cobra.Command {
	what := map[string]string{
		"retry":  "Run a failed or cancelled job again, by River's job id",
		"cancel": "Cancel a queued or running job, by River's job id",
	}[action]
	return &cobra.Command{
		Use:   action + " ID",
		Short: what,
		Long: what + `.

ID is River's job id: the RIVER JOB column of 'worker jobs list' and the id the River
UI shows, not the # of the page. The history row then says what became of the job.`,
		Example: "  worker jobs list\n  worker jobs " + action + " 54",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("jobs %s needs one ID (River's job id; see 'worker jobs list'), got %d arguments", action, len(args))
			}
			if _, err := strconv.ParseInt(args[0], 10, 64); err != nil {
				return cli.Usagef("job ID %q is not a number: jobs %s takes River's job id (RIVER JOB in 'worker jobs list')", args[0], action)
			}
			return nil
		},
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: withApp(env, needs{quiet: true, migrated: true}, func(ctx context.Context, a *app, args []string) error {
			id, _ := strconv.ParseInt(args[0], 10, 64)
			return a.jobAction(ctx, action, id)
		}),
	}
}

func (a *app) listJobs(ctx context.Context) error {
	client, err := a.insertClient()
	if err != nil {
		return err
	}
	audits, err := audit.List(ctx, a.pool, listLimit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
	// "#" is the number the page shows; retry and cancel take River's job id.
	fmt.Fprintln(tw, "#\tRIVER JOB\tKIND\tSTATUS\tJOB STATE\tATTEMPTS\tCREATED\tBY\tFILE\tERROR")
	for _, au := range audits {
		jobID, state := "-", "-"
		if au.RiverJobID != nil {
			jobID = strconv.FormatInt(*au.RiverJobID, 10)
			if j, err := client.JobGet(ctx, *au.RiverJobID); err == nil {
				state = string(j.State)
			}
		}
		fmt.Fprintf(tw, "#%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", au.ID, jobID, au.Kind, au.Status, state, au.Attempts,
			au.CreatedAt.UTC().Format("2006-01-02 15:04:05"), au.RequestedBy, deref(au.FileName), short(deref(au.ErrorMessage), 80))
	}
	return tw.Flush()
}

func (a *app) jobAction(ctx context.Context, action string, id int64) error {
	client, err := a.insertClient()
	if err != nil {
		return err
	}
	var job *rivertype.JobRow
	if action == "retry" {
		job, err = client.JobRetry(ctx, id)
	} else {
		job, err = client.JobCancel(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("%s River job %d: %w", action, id, err)
	}
	if err := jobs.SyncAuditAfterOps(ctx, a.pool, job); err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stdout, "River job %d is now %s\n", id, job.State)
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// short cuts s to n characters, never inside one.
func short(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
