// Package webclient drives a running wippidu web tier over HTTP the way an API
// client (or a script) would: log in, start an export, follow a job, download,
// upload an import. The demo test, the upload benchmark and the load benchmark use it.
package webclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/jobs"
	"github.com/wippidu/wippidu/pull"
)

// Client talks to one instance. Requests go to Addr (host:port, usually on
// 127.0.0.1) with Host set to the instance's hostname, as a browser would send it.
type Client struct {
	Addr string // where to connect, e.g. 127.0.0.1:8082
	Host string // the Host header, e.g. staging.localhost:8082
	HTTP *http.Client
	csrf string
}

// New returns a client with its own cookie jar.
func New(addr, host string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{Addr: addr, Host: host, HTTP: &http.Client{Jar: jar, Timeout: 0}}
}

func (c *Client) url(path string) string { return "http://" + c.Addr + path }

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, contentType string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), body)
	if err != nil {
		return err
	}
	req.Host = c.Host
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		var e struct{ Error string }
		_ = json.Unmarshal(b, &e)
		if e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		return &StatusError{Status: resp.StatusCode, Message: e.Error}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode %q: %w", method, path, b, err)
		}
	}
	return nil
}

// StatusError is a refusal by the server.
type StatusError struct {
	Status  int
	Message string
}

func (e *StatusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message) }

// CSRF is the session's CSRF token, for requests written by hand.
func (c *Client) CSRF() string { return c.csrf }

// CookieHeader is the Cookie header the client sends, for requests written by hand.
func (c *Client) CookieHeader() string {
	// The jar keeps cookies under the Host a request named, not its address.
	u, _ := url.Parse("http://" + c.Host + "/")
	var parts []string
	for _, k := range c.HTTP.Jar.Cookies(u) {
		parts = append(parts, k.Name+"="+k.Value)
	}
	return "Cookie: " + strings.Join(parts, "; ")
}

// Login logs in and keeps the session's CSRF token for later requests.
func (c *Client) Login(ctx context.Context, email, password string) error {
	var page struct {
		CSRF string `json:"csrf_token"`
	}
	if err := c.do(ctx, http.MethodGet, "/login", nil, "", &page); err != nil {
		return err
	}
	form := url.Values{"email": {email}, "password": {password}, "csrf_token": {page.CSRF}}
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	if err := c.do(ctx, http.MethodPost, "/login", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", &sess); err != nil {
		return err
	}
	c.csrf = sess.CSRF
	return nil
}

// Export starts an export job.
func (c *Client) Export(ctx context.Context, includeAttachments bool) (jobs.Submitted, error) {
	form := url.Values{}
	if includeAttachments {
		form.Set("include_attachments", "on")
	}
	var s jobs.Submitted
	err := c.do(ctx, http.MethodPost, "/admin/data/export", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", &s)
	return s, err
}

// Status polls a job once, by the number the page shows (the audit id).
func (c *Client) Status(ctx context.Context, auditID int64) (*jobs.Status, error) {
	var st jobs.Status
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/admin/data/jobs/%d", auditID), nil, "", &st)
	return &st, err
}

// Wait polls a job until it is done.
func (c *Client) Wait(ctx context.Context, auditID int64) (*jobs.Status, error) {
	for {
		st, err := c.Status(ctx, auditID)
		if err != nil {
			return nil, err
		}
		if st.Done {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Download streams a finished export into w.
func (c *Client) Download(ctx context.Context, auditID int64, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(fmt.Sprintf("/admin/data/exports/%d/download", auditID)), nil)
	if err != nil {
		return 0, err
	}
	req.Host = c.Host
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, &StatusError{Status: resp.StatusCode, Message: "download refused"}
	}
	return io.Copy(w, resp.Body)
}

// ImportForm is what the import form asks.
type ImportForm struct {
	ConfirmHost    string
	RiskAck        string
	AnonymizersOff []string
	FileName       string
}

// Import uploads a dump as the browser's form does — every field before the file,
// the file streamed — and returns the enqueued job.
func (c *Client) Import(ctx context.Context, f ImportForm, dump io.Reader) (jobs.Submitted, error) {
	return c.upload(ctx, "/admin/data/import", f, dump)
}

// Preview uploads a dump for a preview (the form's Preview import button).
func (c *Client) Preview(ctx context.Context, f ImportForm, dump io.Reader) (jobs.Submitted, error) {
	return c.upload(ctx, "/admin/data/preview", f, dump)
}

func (c *Client) upload(ctx context.Context, path string, f ImportForm, dump io.Reader) (jobs.Submitted, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			fields := [][2]string{{"csrf_token", c.csrf}, {"confirm_host", f.ConfirmHost}, {"risk_ack", f.RiskAck}}
			for _, k := range anonymizer.Keys {
				off := false
				for _, o := range f.AnonymizersOff {
					off = off || o == k
				}
				if !off {
					fields = append(fields, [2]string{"anonymize_" + k, "on"})
				}
			}
			for _, kv := range fields {
				if err := mw.WriteField(kv[0], kv[1]); err != nil {
					return err
				}
			}
			name := f.FileName
			if name == "" {
				name = "wippidu-export.json.gz"
			}
			part, err := mw.CreateFormFile("dump", name)
			if err != nil {
				return err
			}
			if _, err := io.Copy(part, dump); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	var s jobs.Submitted
	err := c.do(ctx, http.MethodPost, path, pr, mw.FormDataContentType(), &s)
	pr.CloseWithError(io.ErrClosedPipe)
	return s, err
}

// Sources lists the exports in production's storage that the instance may
// import (GET /admin/data/sources).
func (c *Client) Sources(ctx context.Context) ([]pull.Export, error) {
	var out struct {
		Exports []pull.Export `json:"exports"`
	}
	err := c.do(ctx, http.MethodGet, "/admin/data/sources", nil, "", &out)
	return out.Exports, err
}

// ImportFromSource imports the export key names from production's storage: the
// form's fields only, no file.
func (c *Client) ImportFromSource(ctx context.Context, f ImportForm, key string) (jobs.Submitted, error) {
	form := url.Values{"csrf_token": {c.csrf}, "source_key": {key}, "confirm_host": {f.ConfirmHost}, "risk_ack": {f.RiskAck}}
	for _, k := range anonymizer.Keys {
		if !slices.Contains(f.AnonymizersOff, k) {
			form.Set("anonymize_"+k, "on")
		}
	}
	var s jobs.Submitted
	err := c.do(ctx, http.MethodPost, "/admin/data/import/source", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", &s)
	return s, err
}

// Request sends body (JSON when contentType is empty and body is not nil) to path
// with the session's CSRF token, and decodes a JSON answer into out when out is
// not nil. A refusal is a *StatusError.
func (c *Client) Request(ctx context.Context, method, path, contentType string, body io.Reader, out any) error {
	if body != nil && contentType == "" {
		contentType = "application/json"
	}
	return c.do(ctx, method, path, body, contentType, out)
}

// Page returns the HTML a browser gets for path.
func (c *Client) Page(ctx context.Context, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(path), nil)
	if err != nil {
		return "", err
	}
	req.Host = c.Host
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode >= 400 {
		return string(b), &StatusError{Status: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
	}
	return string(b), nil
}
