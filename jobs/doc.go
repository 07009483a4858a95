// Package jobs is what the web tier, the command line and the workers agree on
// about exports and imports as River jobs: the job args and queues, enqueueing a
// job together with its audit row, and reading a job's progress.
//
// The workers that run the jobs live in package worker. A job reports live
// progress into its row (metadata.output, through JobUpdate, committed at once and
// outside the import's transaction) and its final result when it ends; the lasting
// record of every export and import is its import_export_audits row (package
// audit). Nothing here imports the code that moves the data, so the web tier,
// which only enqueues and polls, stays thin.
package jobs
