package web

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/jobs"
)

// An uploaded dump is production's raw data. After a failed import it stays in
// storage for FAILED_UPLOAD_RETENTION, so that ops can retry the job; the history
// says so on the import's row, until when, with a button to delete it sooner.

// heldUploads returns, by audit id, until when the upload of each failed import
// among audits is still held: only those whose dump is still in storage.
func (s *Server) heldUploads(ctx context.Context, audits []*audit.Record) map[int64]*time.Time {
	held := map[int64]*time.Time{}
	for _, a := range audits {
		until, ok := jobs.UploadHeldUntil(a, s.app.FailedUploadRetention)
		if !ok {
			continue
		}
		if _, err := s.store.Stat(ctx, *a.ObjectKey); err == nil {
			held[a.ID] = &until
		}
	}
	return held
}

// deleteUpload deletes the held upload of a failed import at once
// (POST /admin/data/imports/{id}/upload/delete), and goes back to the page. A
// retry of that import then says the upload is gone.
func (s *Server) deleteUpload(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, errNoHeldUpload)
		return
	}
	rec, err := audit.Get(ctx, s.pool, id)
	if errors.Is(err, audit.ErrNotFound) {
		s.fail(c, errNoHeldUpload)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, ok := jobs.UploadHeldUntil(rec, s.app.FailedUploadRetention); !ok {
		s.fail(c, errNoHeldUpload)
		return
	}
	if err := s.store.Delete(ctx, *rec.ObjectKey); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.fail(c, err)
		return
	}
	s.logger.InfoContext(ctx, "deleted the upload of a failed import", "audit_id", id, "requested_by", currentSession(c).Email)
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"audit_id": id, "upload_deleted": true})
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/data#audit-"+strconv.FormatInt(id, 10))
}
