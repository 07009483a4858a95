package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wippidu/wippidu"
	"github.com/wippidu/wippidu/audit"
	"github.com/wippidu/wippidu/browse"
)

// importedFrom says which import the instance's data comes from.
type importedFrom struct {
	AuditID            int64                      `json:"audit_id"`
	RequestedBy        string                     `json:"requested_by"`
	FileName           string                     `json:"file_name"`
	FinishedAt         *time.Time                 `json:"finished_at"`
	SourceHost         string                     `json:"source_host"`
	ExportedAt         time.Time                  `json:"exported_at"`
	AnonymizersSkipped []string                   `json:"anonymizers_skipped"`
	Unscrubbed         []wippidu.UnscrubbedColumn `json:"unscrubbed"`
}

// browseAnswer is the JSON of the browse page: the import (null when the
// instance never imported), the overview and the asked-for table's page.
type browseAnswer struct {
	Import *importedFrom `json:"import"`
	*browse.View
}

// browsePage shows what the instance's app tables hold: every table with its row
// count, and with ?table=NAME one page (?page=N) of its rows, each column marked
// with what the data policy replaced it with. It only reads (browse.Reader), so
// after a refresh an admin can check the import without psql.
func (s *Server) browsePage(c *gin.Context) {
	ctx := c.Request.Context()
	from, err := s.importedFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := browse.New(browse.Config{DB: s.pool})
	if err != nil {
		s.fail(c, err)
		return
	}
	q := browse.Query{Table: c.Query("table"), Page: pageNumber(c.Query("page"))}
	if from != nil {
		q.Unscrubbed, q.AnonymizersSkipped = from.Unscrubbed, from.AnonymizersSkipped
	}
	view, err := r.Read(ctx, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	if wantsJSON(c) {
		c.JSON(http.StatusOK, browseAnswer{Import: from, View: view})
		return
	}
	data := map[string]any{"Import": from, "View": view}
	if t := view.Table; t != nil && len(t.Rows) > 0 {
		first := (t.Page-1)*t.PageRows + 1
		data["FirstRow"], data["LastRow"] = first, first+len(t.Rows)-1
	}
	s.render(c, http.StatusOK, "browse.html", s.page(c, "Data in this instance", data))
}

// importedFrom reads the import whose data the instance holds; nil when none.
func (s *Server) importedFrom(c *gin.Context) (*importedFrom, error) {
	rec, err := audit.LastImportRecord(c.Request.Context(), s.pool)
	if err != nil || rec == nil {
		return nil, err
	}
	from := &importedFrom{AuditID: rec.ID, RequestedBy: rec.RequestedBy, FinishedAt: rec.FinishedAt}
	if rec.FileName != nil {
		from.FileName = *rec.FileName
	}
	var res wippidu.ImportResult
	if len(rec.Result) > 0 {
		if err := json.Unmarshal(rec.Result, &res); err != nil {
			return nil, err
		}
	}
	from.SourceHost, from.ExportedAt = res.SourceHost, res.ExportedAt
	from.AnonymizersSkipped, from.Unscrubbed = res.AnonymizersSkipped, res.Unscrubbed
	return from, nil
}

// pageNumber reads ?page=: absent is the first page; anything but a positive
// number is -1, which browse.Reader refuses, naming the pages it has.
func pageNumber(v string) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return -1
	}
	return n
}
