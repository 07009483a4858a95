package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// home is the start page every logged-in user sees; the layout adds the staging
// banner once this instance holds imported data.
func (s *Server) home(c *gin.Context) {
	pd := s.page(c, "Home", nil)
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"email": pd.User.Email, "role": pd.User.Role, "staging_data": pd.StagingBanner,
			"not_anonymized": pd.NotAnonymized})
		return
	}
	s.render(c, http.StatusOK, "home.html", pd)
}
