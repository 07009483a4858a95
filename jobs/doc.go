// Package jobs runs exports and imports as River jobs.
//
// The web tier and the command line enqueue jobs with a Submitter; worker processes
// run them with the workers registered by NewClient. A job reports live progress
// into its row (metadata.output, through JobUpdate, committed at once and outside the
// import's transaction) and its final result through RecordOutput; the lasting record
// of every export and import is its import_export_audits row.
//
// Long jobs are safe: a job's Timeout is JobTimeout (hours) and River's stuck-job
// rescue waits an hour longer, so a slow import is never run twice. A worker that
// dies is noticed much sooner by the liveness job, which looks for the job's own
// database session (named "wippidu-job:<id>:<attempt>") and hands the job back for
// a retry when the session is gone. Retrying is safe because a failed import
// changed nothing.
package jobs
