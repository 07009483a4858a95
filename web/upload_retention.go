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
	rec, ok := s.auditParam(c, errNoHeldUpload, func(a *audit.Record) bool {
		_, held := jobs.UploadHeldUntil(a, s.app.FailedUploadRetention)
		return held
	})
	if !ok {
		return
	}
	if err := s.store.Delete(ctx, *rec.ObjectKey); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.fail(c, err)
		return
	}
	s.logger.InfoContext(ctx, "deleted the upload of a failed import", "audit_id", rec.ID, "requested_by", currentSession(c).Email)
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"audit_id": rec.ID, "upload_deleted": true})
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/data#audit-"+strconv.FormatInt(rec.ID, 10))
}

// auditParam reads the audit row the route's {id} names, when want accepts it;
// otherwise it answers notFound (or the database's error) and returns false.
func (s *Server) auditParam(c *gin.Context, notFound error, want func(*audit.Record) bool) (*audit.Record, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, notFound)
		return nil, false
	}
	a, err := audit.Get(c.Request.Context(), s.pool, id)
	switch {
	case errors.Is(err, audit.ErrNotFound) || err == nil && !want(a):
		s.fail(c, notFound)
		return nil, false
	case err != nil:
		s.fail(c, err)
		return nil, false
	}
	return a, true
}
