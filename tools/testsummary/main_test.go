package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// stream is a `go test -json` run of three packages: one passes with a skipped
// test, one fails, one does not build.
const stream = `{"Action":"start","Package":"github.com/wippidu/wippidu/storage"}
{"Action":"run","Package":"github.com/wippidu/wippidu/storage","Test":"TestFile"}
{"Action":"output","Package":"github.com/wippidu/wippidu/storage","Test":"TestFile","Output":"=== RUN   TestFile\n"}
{"Action":"pass","Package":"github.com/wippidu/wippidu/storage","Test":"TestFile","Elapsed":0.1}
{"Action":"run","Package":"github.com/wippidu/wippidu/storage","Test":"TestS3"}
{"Action":"output","Package":"github.com/wippidu/wippidu/storage","Test":"TestS3","Output":"=== RUN   TestS3\n"}
{"Action":"output","Package":"github.com/wippidu/wippidu/storage","Test":"TestS3","Output":"    s3_test.go:20: versitygw not found; run make tools\n"}
{"Action":"output","Package":"github.com/wippidu/wippidu/storage","Test":"TestS3","Output":"--- SKIP: TestS3 (0.00s)\n"}
{"Action":"skip","Package":"github.com/wippidu/wippidu/storage","Test":"TestS3","Elapsed":0}
{"Action":"pass","Package":"github.com/wippidu/wippidu/storage","Elapsed":1.5}
{"Action":"run","Package":"github.com/wippidu/wippidu/dump","Test":"TestRead"}
{"Action":"run","Package":"github.com/wippidu/wippidu/dump","Test":"TestRead/empty"}
{"Action":"output","Package":"github.com/wippidu/wippidu/dump","Test":"TestRead/empty","Output":"    read_test.go:9: got 1, want 2\n"}
{"Action":"fail","Package":"github.com/wippidu/wippidu/dump","Test":"TestRead/empty","Elapsed":0}
{"Action":"fail","Package":"github.com/wippidu/wippidu/dump","Test":"TestRead","Elapsed":0}
{"Action":"output","Package":"github.com/wippidu/wippidu/dump","Output":"FAIL\n"}
{"Action":"fail","Package":"github.com/wippidu/wippidu/dump","Elapsed":2}
{"ImportPath":"github.com/wippidu/wippidu/web [github.com/wippidu/wippidu/web.test]","Action":"build-output","Output":"web/x.go:1:1: expected 'package'\n"}
{"ImportPath":"github.com/wippidu/wippidu/web [github.com/wippidu/wippidu/web.test]","Action":"build-fail"}
{"Action":"skip","Package":"github.com/wippidu/wippidu/audit","Elapsed":0}
not json at all
`

func TestSummary(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	r := newRun(&out)
	if err := r.read(strings.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	r.summary(90 * time.Second)
	got := out.String()
	for _, want := range []string{
		"ok    storage  1.5s  2 tests, 1 skipped\n",
		"--- FAIL: TestRead/empty (dump)\n    read_test.go:9: got 1, want 2\n",
		"FAIL  dump  2.0s\n",
		"BUILD FAILED github.com/wippidu/wippidu/web [github.com/wippidu/wippidu/web.test]\nweb/x.go:1:1: expected 'package'\n",
		"-     audit  (no tests)\n",
		"not json at all\n",
		"==> summary: 3 packages (1 ok, 1 failed, 1 without tests, 1 did not build: github.com/wippidu/wippidu/web [github.com/wippidu/wippidu/web.test]); 3 tests and 1 subtests: 1 passed, 2 failed, 1 skipped; 1m30s\n",
		"failed:\n  dump TestRead\n  dump TestRead/empty\n",
		"skipped:\n  storage TestS3: s3_test.go:20: versitygw not found; run make tools\n",
		"slowest packages: dump 2s, storage 2s, audit 0s\n",
		"slowest tests: storage TestFile 0s, storage TestS3 0s, dump TestRead 0s\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the summary lacks %q; got:\n%s", want, got)
		}
	}
	if !r.failed() {
		t.Error("failed() = false, want true")
	}
}

// TestTwoCommands: the arguments split into commands at "---", and the packages of
// a stream read with a label are counted apart from the same packages unlabelled.
func TestTwoCommands(t *testing.T) {
	t.Parallel()
	got := commands(strings.Fields("go test -json -race -skip X ./... --- go test -json -run X ./a ./b"))
	if len(got) != 2 || strings.Join(got[0], " ") != "go test -json -race -skip X ./..." || strings.Join(got[1], " ") != "go test -json -run X ./a ./b" {
		t.Errorf("commands: got %q", got)
	}
	const one = `{"Action":"pass","Package":"github.com/wippidu/wippidu/storage","Test":"TestFile","Elapsed":0.1}
{"Action":"pass","Package":"github.com/wippidu/wippidu/storage","Elapsed":1.5}
`
	const other = `{"Action":"fail","Package":"github.com/wippidu/wippidu/storage","Test":"TestBig","Elapsed":3}
{"Action":"fail","Package":"github.com/wippidu/wippidu/storage","Elapsed":4}
`
	var out bytes.Buffer
	r := newRun(&out)
	var mu sync.Mutex
	if err := r.readLocked(strings.NewReader(one), "", &mu); err != nil {
		t.Fatal(err)
	}
	if err := r.readLocked(strings.NewReader(other), "without -race", &mu); err != nil {
		t.Fatal(err)
	}
	r.summary(time.Minute)
	for _, want := range []string{
		"ok    storage  1.5s  1 tests\n",
		"FAIL  storage (without -race)  4.0s\n",
		"==> summary: 2 packages (1 ok, 1 failed, 0 without tests); 2 tests and 0 subtests: 1 passed, 1 failed, 0 skipped; 1m0s\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the summary lacks %q; got:\n%s", want, out.String())
		}
	}
	if !r.failed() {
		t.Error("failed() = false, want true")
	}
}
