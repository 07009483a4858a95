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
// Sessions (package sessions) carry the user's email, role and data rights, so
// authenticating a request never touches users: an import holds that table
// locked for its whole duration, and progress polls must keep answering. Every
// admin may look at the Import/Export page; only a session with data rights
// (package accounts: one of the instance's own admins, with its own password)
// imports, previews, exports or uses River UI.
//
// The front door is bounded: logins are limited per client network for the
// whole deployment (package logins; TRUSTED_PROXIES says whose X-Forwarded-For
// to believe), every body but a dump upload is read to 64 KiB at most and within
// a time limit, and an upload must keep moving (limits.go).
package web
