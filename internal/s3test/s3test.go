// Package s3test runs a real S3-compatible server, versitygw with its posix
// backend, for tests:
//
//	func TestSomething(t *testing.T) {
//		srv := s3test.Start(t)
//		// srv.Endpoint, srv.AccessKey, srv.SecretKey, srv.Bucket …
//	}
//
// Each Start runs its own server on a free port over a temporary directory, with
// a fresh bucket, and stops it when the test ends. Share one Server between
// subtests (and keep them apart by key prefix or with NewBucket) rather than
// starting one per subtest.
//
// The versitygw binary is found in this order: the path in $VERSITYGW (as
// "make test" sets it); a versitygw on $PATH; <module root>/.bin/versitygw,
// where "make tools" installs it (the module root is the nearest folder with a
// go.mod at or above the working directory). The tests never install it
// themselves. Without one, Start skips the test and says how to get it ("make
// tools", or set VERSITYGW), except when $CI is "true": there it fails the test,
// so that CI never passes without having run the S3 tests.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// Region is the region the server runs in.
const Region = "us-east-1"

// startTimeout bounds how long a started server may take to answer.
const startTimeout = 30 * time.Second

// Server is a running versitygw.
type Server struct {
	// Endpoint is the base URL, http://127.0.0.1:PORT.
	Endpoint string
	// Region is the signing region.
	Region string
	// AccessKey and SecretKey are the root credentials.
	AccessKey string
	SecretKey string
	// Bucket is a fresh, empty bucket made for the test that started the server.
	Bucket string
	// Client is an SDK client for the server, with path-style addressing.
	Client *awss3.Client

	output *output
}

// Start runs versitygw for tb, creates an empty bucket and returns the server.
// The server is killed when tb ends; if tb failed, its output is logged.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := Binary(tb)
	srv := &Server{
		Region:    Region,
		AccessKey: "test" + strings.ToLower(rand.Text()[:12]),
		SecretKey: rand.Text(),
	}
	var err error
	// Another process may take the free port between picking and binding it.
	for range 3 {
		if err = srv.start(tb, bin); err == nil {
			break
		}
	}
	if err != nil {
		tb.Fatalf("start versitygw: %v", err)
	}
	srv.Client = awss3.New(awss3.Options{
		BaseEndpoint:               aws.String(srv.Endpoint),
		Region:                     srv.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	srv.Bucket = srv.NewBucket(tb)
	return srv
}

// start runs one versitygw process and waits until it answers HTTP.
func (srv *Server) start(tb testing.TB, bin string) error {
	tb.Helper()
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	out := &output{}
	cmd := exec.Command(bin,
		"--access", srv.AccessKey,
		"--secret", srv.SecretKey,
		"--region", Region,
		"--port", addr,
		"--quiet",
		"posix", tb.TempDir())
	cmd.Stdout, cmd.Stderr = out, out
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	endpoint := "http://" + addr
	if err := waitReady(endpoint, exited); err != nil {
		stop()
		if errors.Is(err, errExited) {
			err = fmt.Errorf("%w: %v", err, waitErr)
		}
		return fmt.Errorf("%w; output:\n%s", err, out)
	}
	tb.Cleanup(func() {
		stop()
		if tb.Failed() {
			tb.Logf("versitygw at %s output:\n%s", endpoint, out)
		}
	})
	srv.Endpoint = endpoint
	srv.output = out
	return nil
}

var errExited = errors.New("versitygw exited")

// waitReady polls endpoint until it answers any HTTP response.
func waitReady(endpoint string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errExited
		default:
		}
		resp, err := client.Get(endpoint)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("versitygw did not answer at %s within %v", endpoint, startTimeout)
}

// NewBucket creates another empty bucket and returns its name.
func (srv *Server) NewBucket(tb testing.TB) string {
	tb.Helper()
	name := "test-" + strings.ToLower(rand.Text())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := srv.Client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		tb.Fatalf("create bucket %q: %v", name, err)
	}
	return name
}

// Output returns what the server has printed so far.
func (srv *Server) Output() string {
	return srv.output.String()
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// output collects the server's stdout and stderr, keeping the last maxOutput
// bytes.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

const maxOutput = 64 << 10

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if extra := o.buf.Len() - maxOutput; extra > 0 {
		o.buf.Next(extra)
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}
