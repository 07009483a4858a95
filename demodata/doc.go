// Package demodata fills an empty wippidu database with production-like demo data,
// fast enough to make millions of rows in about a minute.
//
// A demo or a staging refresh needs data that looks and behaves like production:
// realistic volumes and proportions, German names and addresses, message bodies
// of realistic length, attachments whose bytes do not compress away, soft-deleted
// rows, NULLs next to empty strings, text full of umlauts, emoji, tabs, newlines,
// quotes and backslashes, timestamps with microseconds. Generate makes all of that
// from a seed:
//
//	stats, err := demodata.Generate(ctx, pool, demodata.Config{Users: 100_000}, logger)
//
// gives about 100 000 users (a few admins, 5% teachers, the rest parents), a class
// per teacher, 1.3 students per parent with their guardianships, a million
// messages, twenty parental letters per class and the acknowledgements of most
// parents, and attachments for 5% of the messages and 30% of the letters. User 1
// is an admin who logs in with Config.AdminEmail and Config.AdminPassword.
//
// # How it is fast
//
// Every table is loaded with COPY in text format. A goroutine writes the rows
// into one end of a pipe while the connection streams the other end to the
// server, so generating and loading overlap, and memory stays flat: only a small
// plan (a few numbers per user, student and class) is kept, never a table. Faker
// is slow and has one global random source, so it is asked once for pools of
// names and sentences, which fast seeded PCG sources then sample. bcrypt is far
// too slow for one hash per user: users share a pool of (at most) 32 hashes of
// random passwords, computed on all cores while the rest is planned.
//
// Everything happens in one transaction: an error or a cancelled context leaves
// the database as empty as it was.
package demodata
