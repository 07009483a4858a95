package web

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wippidu/wippidu"
)

// Messages only the web tier shows. The gate messages come from package wippidu.
var (
	errLoginFailed  = &wippidu.Error{Code: wippidu.EUNAUTHORIZED, Message: "Invalid email or password."}
	errLoginTooFast = &wippidu.Error{Code: wippidu.ETOOMANY, Message: "Too many failed logins. Wait a little and try again."}
	errLoginNeeded  = &wippidu.Error{Code: wippidu.EUNAUTHORIZED, Message: "Please log in."}
	errNotAdmin     = &wippidu.Error{Code: wippidu.EFORBIDDEN, Message: "This page is for administrators only."}
	errCSRF         = &wippidu.Error{Code: wippidu.EFORBIDDEN, Message: "The form has expired. Reload the page and try again."}
	errNoFile       = &wippidu.Error{Code: wippidu.EINVALID, Message: "Choose an export file (.json.gz) to import."}
	errNoPreview    = &wippidu.Error{Code: wippidu.ENOTFOUND, Message: "There is no finished preview of that number to import."}
	errPreviewGone  = &wippidu.Error{Code: wippidu.ENOTFOUND, Message: "The previewed file is no longer in storage; start again with the file."}
	errNotFound     = &wippidu.Error{Code: wippidu.ENOTFOUND, Message: "Page not found."}
	errMethod       = &wippidu.Error{Code: wippidu.EMETHOD, Message: "Method not allowed."}
	errUploadCut    = &wippidu.Error{Code: wippidu.EINVALID, Message: "The upload was cut off. Try again."}
	errNotExport    = &wippidu.Error{Code: wippidu.ENOTFOUND, Message: "No such export file."}
	errBadForm      = &wippidu.Error{Code: wippidu.EINVALID, Message: "The form could not be read. Reload the page and try again."}
	errNoSourceKey  = &wippidu.Error{Code: wippidu.EINVALID, Message: "Choose an export from production storage to import."}
	errBodyTooLarge = &wippidu.Error{Code: wippidu.ETOOLARGE, Message: "The request is larger than this page accepts."}
	errTooManyParts = &wippidu.Error{Code: wippidu.EINVALID, Message: "The import form has more or longer fields than it should. Reload the page and try again."}
	// errNoDataRights refuses data work to a session that may only look.
	errNoDataRights = &wippidu.Error{Code: wippidu.EFORBIDDEN, Message: "Imports, previews, exports and River UI need one of this instance's own admin accounts (STAGING_ADMINS, or the admin who started the last import), logged in with its own password. Accounts that came with an import, and the staging password, never do data work here."}
	errNoHeldUpload = &wippidu.Error{Code: wippidu.ENOTFOUND, Message: "That import holds no uploaded dump to delete."}
)

// errTooLarge is the refusal of an upload above the configured limit.
func errTooLarge(limit int64) error {
	return wippidu.Errorf(wippidu.ETOOLARGE, "The file is larger than this instance accepts (%s). Raise MAX_UPLOAD_BYTES to import it.", wippidu.FormatBytes(limit))
}

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[string]int{
	wippidu.EINVALID:      http.StatusBadRequest,
	wippidu.EUNAUTHORIZED: http.StatusUnauthorized,
	wippidu.EFORBIDDEN:    http.StatusForbidden,
	wippidu.ENOTFOUND:     http.StatusNotFound,
	wippidu.ECONFLICT:     http.StatusConflict,
	wippidu.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	wippidu.ETOOMANY:      http.StatusTooManyRequests,
	wippidu.EMETHOD:       http.StatusMethodNotAllowed,
	wippidu.EUNAVAILABLE:  http.StatusServiceUnavailable,
	wippidu.EINTERNAL:     http.StatusInternalServerError,
}

// httpStatus returns the status for err.
func httpStatus(err error) int {
	if s, ok := statusOf[wippidu.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// errorHeadings title the error page by what went wrong.
var errorHeadings = map[int]string{
	http.StatusBadRequest:            "The request cannot be done",
	http.StatusForbidden:             "Not allowed",
	http.StatusNotFound:              "Not found",
	http.StatusConflict:              "Not now",
	http.StatusMethodNotAllowed:      "Not allowed here",
	http.StatusRequestEntityTooLarge: "Too large",
	http.StatusTooManyRequests:       "Too many attempts",
	http.StatusServiceUnavailable:    "Not available right now",
}

// fail answers err: JSON {"error": message} to API clients, the error page to
// browsers. Internal errors are logged with their details and shown generically.
func (s *Server) fail(c *gin.Context, err error) {
	s.logIfInternal(c, err)
	status := httpStatus(err)
	if wantsJSON(c) {
		c.AbortWithStatusJSON(status, gin.H{"error": wippidu.ErrorMessage(err)})
		return
	}
	c.Abort()
	heading := errorHeadings[status]
	if heading == "" {
		heading = "Something went wrong"
	}
	s.render(c, status, "error.html", s.page(c, heading, map[string]any{
		"Message": wippidu.ErrorMessage(err), "Heading": heading, "Status": status,
	}))
}

func (s *Server) logIfInternal(c *gin.Context, err error) {
	var e *wippidu.Error
	if !errors.As(err, &e) || e.Code == wippidu.EINTERNAL {
		s.logger.ErrorContext(c.Request.Context(), "request failed",
			"route", c.FullPath(), "method", c.Request.Method, "error", err)
	}
}
