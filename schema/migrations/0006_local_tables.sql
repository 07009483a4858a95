-- A table that belongs to this instance alone says so in its comment, which starts
-- with "local:" (schema.LocalMark): the catalog leaves it out, so no export, import
-- or truncation ever touches it. Each owner's table is marked here once; a new local
-- table is marked by the migration that creates it.
COMMENT ON TABLE import_export_audits IS 'local: the import and export history of this instance (package audit)';
COMMENT ON TABLE web_sessions IS 'local: the login sessions of this instance (package sessions)';
COMMENT ON TABLE login_networks IS 'local: login attempts per client network (package logins)';
COMMENT ON TABLE login_failures IS 'local: failed logins per email and network (package logins)';
