package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/wippidu/wippidu/anonymizer"
	"github.com/wippidu/wippidu/internal/bigdump"
	"github.com/wippidu/wippidu/internal/pgtest"
	"github.com/wippidu/wippidu/internal/procmem"
	"github.com/wippidu/wippidu/internal/webclient"
)

// pacedUploadBytes is the size of the upload TestTricklingClientsAreCut sends at
// 5 MB/s beside the trickling clients: 128 MiB (26 s) by default; run it with
// -paced-upload-bytes 1073741824 for a whole GiB (about 3.5 minutes).
var pacedUploadBytes = flag.Int64("paced-upload-bytes", 128<<20, "size of the upload sent at 5 MB/s while clients trickle")

// TestAnonymousBigPostsCostNoMemory posts 100 MiB bodies to /login as an
// anonymous client, with and without the login form's cookie, one and then four
// at once: the web process refuses them having read at most 64 KiB each, and its
// peak resident set stays small.
func TestAnonymousBigPostsCostNoMemory(t *testing.T) {
	t.Parallel()
	dbURL, storeDir := pgtest.NewDB(t), t.TempDir()
	vars := stagingEnv(t, pgtest.NewPool(t, dbURL), dbURL, storeDir)
	web, addr := startWeb(t, vars)
	cookie := loginCookie(t, addr)
	post := func(withCookie bool) {
		// A form whose email field is 100 MiB long: a multipart parser keeps up
		// to 32 MiB of such values in memory.
		const boundary = "big"
		head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n"
		tail := "\r\n--" + boundary + "--\r\n"
		body := io.MultiReader(strings.NewReader(head), io.LimitReader(letters{}, 100<<20), strings.NewReader(tail))
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/login", body)
		req.Host = "staging.wippidu.net"
		req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
		if withCookie {
			req.Header.Set("Cookie", cookie)
			req.ContentLength = -1 // chunked: the server learns the size only by reading
		} else {
			req.ContentLength = int64(len(head)+len(tail)) + 100<<20
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return // the server may close the connection while the body is still being sent
		}
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("a 100 MiB login post: got %d, want a refusal", resp.StatusCode)
		}
	}
	post(false)
	post(true)
	one, err := procmem.Peak(web.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() { post(i%2 == 0) })
	}
	wg.Wait()
	four, err := procmem.Peak(web.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("web peak RSS: %.1f MB after one 100 MiB post of each kind, %.1f MB after four at once", float64(one)/1e6, float64(four)/1e6)
	if one > 60e6 || four > 100e6 {
		t.Errorf("web peak RSS %.1f MB after one, %.1f MB after four 100 MiB posts; want under 60 and 100 MB", float64(one)/1e6, float64(four)/1e6)
	}
}

// letters reads as an endless run of the letter a.
type letters struct{}

func (letters) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// loginCookie is the Cookie header a browser has after GET /login: the login
// form's signed CSRF cookie.
func loginCookie(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var parts []string
	for _, c := range resp.Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// TestTricklingClientsAreCut opens 50 connections that send one byte every five
// seconds — of their headers, of a login form, of an upload — while an admin
// uploads a dump at 5 MB/s. The server closes every trickling connection within
// 30 s; the upload completes.
func TestTricklingClientsAreCut(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("takes half a minute or more; skipped with -short")
	}
	dbURL, storeDir := pgtest.NewDB(t), t.TempDir()
	vars := stagingEnv(t, pgtest.NewPool(t, dbURL), dbURL, storeDir)
	_, addr := startWeb(t, vars)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	admin := webclient.New(addr, "staging.wippidu.net")
	if err := admin.Login(ctx, "admin@wippidu.example", "admin password"); err != nil {
		t.Fatal(err)
	}
	upload := uploadStart(addr, admin)
	login := loginCookie(t, addr)
	starts := map[string]string{
		"headers": "GET /login HTTP/1.1\r\nHost: staging.wippidu.net\r\nX-Slow: ",
		"login form": "POST /login HTTP/1.1\r\nHost: staging.wippidu.net\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
			"Content-Length: 1000\r\nCookie: " + login + "\r\n\r\nemail=",
		"upload": upload,
	}
	type cut struct {
		kind  string
		after time.Duration
		err   error
	}
	cuts := make(chan cut, 50)
	kinds := []string{"headers", "login form", "upload"}
	for i := range 50 {
		kind := kinds[i%3]
		go func() {
			after, err := trickle(ctx, addr, starts[kind])
			cuts <- cut{kind, after, err}
		}()
	}

	paced := bigdump.Stream(*pacedUploadBytes)
	began := time.Now()
	_, err := admin.Import(ctx, webclient.ImportForm{ConfirmHost: "staging.wippidu.net", FileName: "paced.json.gz"},
		&pacedReader{r: paced, perSecond: 5e6, start: began})
	took := time.Since(began)
	if err != nil {
		t.Errorf("the upload at 5 MB/s (%d bytes, %v): %v", paced.Size(), took.Round(time.Second), err)
	} else {
		t.Logf("the upload at 5 MB/s: %d bytes in %v, accepted", paced.Size(), took.Round(time.Second))
	}
	longest := map[string]time.Duration{}
	for range 50 {
		c := <-cuts
		if c.err != nil {
			t.Errorf("a trickling %s client: %v", c.kind, c.err)
			continue
		}
		longest[c.kind] = max(longest[c.kind], c.after)
	}
	for _, kind := range kinds {
		t.Logf("trickling %s: the last connection was closed after %v", kind, longest[kind].Round(100*time.Millisecond))
		if longest[kind] > 30*time.Second {
			t.Errorf("trickling %s: a connection stayed open %v, want at most 30 s", kind, longest[kind])
		}
	}
}

// uploadStart is the start of an import form as a browser sends it, up to the
// first byte of its file, with admin's session.
func uploadStart(addr string, admin *webclient.Client) string {
	const boundary = "trickle"
	var b strings.Builder
	fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n%s\r\n", boundary, admin.CSRF())
	fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=\"confirm_host\"\r\n\r\nstaging.wippidu.net\r\n", boundary)
	for _, k := range anonymizer.Keys {
		fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=\"anonymize_%s\"\r\n\r\non\r\n", boundary, k)
	}
	fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=\"dump\"; filename=\"slow.json.gz\"\r\n\r\n\x1f", boundary)
	return "POST /admin/data/import HTTP/1.1\r\nHost: staging.wippidu.net\r\nAccept: application/json\r\n" +
		"Content-Type: multipart/form-data; boundary=" + boundary + "\r\nContent-Length: 100000000\r\n" +
		admin.CookieHeader() + "\r\n\r\n" + b.String()
}

// trickle sends start, then one byte every five seconds, and returns how long
// after start the server closed the connection (a read ends), or an error after a
// minute.
func trickle(ctx context.Context, addr, start string) (time.Duration, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	began := time.Now()
	if _, err := io.WriteString(conn, start); err != nil {
		return 0, err
	}
	closed := make(chan struct{})
	go func() {
		// Whatever the server answers, the connection is closed when reading ends.
		_, _ = io.Copy(io.Discard, bufio.NewReader(conn))
		close(closed)
	}()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-closed:
			return time.Since(began), nil
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tick.C:
			if time.Since(began) > time.Minute {
				return 0, fmt.Errorf("still open after %v", time.Since(began).Round(time.Second))
			}
			_, _ = conn.Write([]byte("x")) // a write may fail once the server has gone; the read tells
		}
	}
}

// pacedReader reads r at perSecond bytes a second at most.
type pacedReader struct {
	r         io.Reader
	perSecond float64
	start     time.Time
	n         int64
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if due := p.start.Add(time.Duration(float64(p.n) / p.perSecond * float64(time.Second))); time.Until(due) > 0 {
		time.Sleep(time.Until(due))
	}
	n, err := p.r.Read(b[:min(len(b), 64<<10)])
	p.n += int64(n)
	return n, err
}

// TestLoginLimitIsOneForTheDeployment sprays the staging password over 50 imported
// accounts from 50 loopback addresses, alternating between two web processes on one
// database: they are one client network, limited as one, whichever process answers.
func TestLoginLimitIsOneForTheDeployment(t *testing.T) {
	t.Parallel()
	dbURL, storeDir := pgtest.NewDB(t), t.TempDir()
	pool := pgtest.NewPool(t, dbURL)
	vars := stagingEnv(t, pool, dbURL, storeDir)
	vars["LOGIN_ATTEMPTS_PER_MINUTE"] = "5"
	hash, err := bcrypt.GenerateFromPassword([]byte(anonymizer.StagingPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `INSERT INTO users (email, first_name, last_name, password_hash, role)
		SELECT 'user-' || i || '@staging.local', 'Imported', 'Parent', $1, 'parent' FROM generate_series(1, 50) i`, string(hash)); err != nil {
		t.Fatal(err)
	}
	_, a := startWeb(t, vars)
	_, b := startWeb(t, vars)
	checked, slowed := 0, 0
	for i := range 50 {
		status := loginFrom(t, fmt.Sprintf("127.0.0.%d", 2+i), []string{a, b}[i%2],
			fmt.Sprintf("user-%d@staging.local", i+1), anonymizer.StagingPassword)
		if status == http.StatusTooManyRequests {
			slowed++
		} else {
			checked++
		}
	}
	if checked > 5 || slowed < 45 {
		t.Errorf("50 logins from 50 loopback addresses over two web processes: %d reached the password check, %d were slowed; want at most 5", checked, slowed)
	}
}

// loginFrom logs in at addr from the loopback address from, as a JSON client, and
// returns the login's status.
func loginFrom(t *testing.T, from, addr, email, password string) int {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Jar: jar}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/login", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		CSRF string `json:"csrf_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"email": {email}, "password": {password}, "csrf_token": {page.CSRF}}
	req, _ = http.NewRequest(http.MethodPost, "http://"+addr+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	return resp.StatusCode
}
