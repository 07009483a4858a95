package worker

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/riverqueue/river/rivertype"

	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/jobs"
)

func (a *app) jobsCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageError("jobs needs list, retry ID or cancel ID")
	}
	client, err := a.insertClient()
	if err != nil {
		return err
	}
	switch args[0] {
	case "list":
		audits, err := audit.List(ctx, a.pool, 50)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
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
	case "retry", "cancel":
		if len(args) != 2 {
			return usageError("jobs %s needs a job ID", args[0])
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return usageError("job ID %q is not a number", args[1])
		}
		var job *rivertype.JobRow
		if args[0] == "retry" {
			job, err = client.JobRetry(ctx, id)
		} else {
			job, err = client.JobCancel(ctx, id)
		}
		if err != nil {
			return fmt.Errorf("%s job %d: %w", args[0], id, err)
		}
		if err := jobs.SyncAuditAfterOps(ctx, a.pool, job); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "job %d is now %s\n", id, job.State)
		return nil
	}
	return usageError("unknown jobs subcommand %q", args[0])
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func short(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
