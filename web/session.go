package web

import (
	"github.com/gin-gonic/gin"

	"github.com/wippidu/wippidu/sessions"
)

// session is a logged-in user (package sessions keeps them).
type session = sessions.Session

// currentSession returns the request's session, or nil.
func currentSession(c *gin.Context) *session {
	v, _ := c.Get(sessionKey)
	ss, _ := v.(*session)
	return ss
}
