-- A scheduled refresh that found nothing to import (nothing new, too old, another
-- import running) is recorded as skipped, with its reason in error_message.
ALTER TABLE import_export_audits DROP CONSTRAINT import_export_audits_status_check;
ALTER TABLE import_export_audits ADD CONSTRAINT import_export_audits_status_check
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'refused', 'previewed', 'skipped'));
