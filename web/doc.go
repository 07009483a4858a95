// Package web is wippidu's thin web tier: login, the home page, the Import/Export
// page ("Datenmanagement"), JSON progress, the streamed upload of dumps into
// storage, export downloads, the River UI for operators, and health and metrics
// endpoints.
//
// It never runs an export or import itself: it writes an audit row and enqueues
// a River job (jobs.Submitter) and shows the job's progress, which worker
// processes write into the job row.
//
// Every route answers HTML to browsers and JSON to clients that send
// "Accept: application/json". User-facing errors are *wippidu.Error values whose
// codes map to HTTP statuses in one table (errors.go).
//
// Sessions live in the web_sessions table and carry the user's email and role,
// so authenticating a request never touches users: an import holds that table
// locked for its whole duration, and progress polls must keep answering.
package web
