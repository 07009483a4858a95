-- Refused attempts are audited too (who, from where, why; nothing stored), and an
-- import may be previewed. client_addr is where a web request came from, "cli" for
-- the command line.
ALTER TABLE import_export_audits DROP CONSTRAINT import_export_audits_status_check;
ALTER TABLE import_export_audits ADD CONSTRAINT import_export_audits_status_check
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'refused', 'previewed'));
ALTER TABLE import_export_audits ADD COLUMN client_addr text;
