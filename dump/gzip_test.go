package dump

import (
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"io"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/klauspost/compress/flate"
	kgzip "github.com/klauspost/compress/gzip"
)

// gzipInput is n bytes that compress like a dump: JSON-ish text with repeats
// far apart and incompressible runs in between.
func gzipInput(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	words := []string{`{"id":`, `"Elternabend am Dienstag"`, `,"body":"`, `Liebe Eltern, `, `"},`, "\n", `"data":"`}
	var b []byte
	for len(b) < n {
		if r.IntN(20) == 0 {
			for range r.IntN(3000) {
				b = append(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[r.IntN(64)])
			}
			continue
		}
		b = append(b, words[r.IntN(len(words))]...)
	}
	return b[:n]
}

// TestGzipWriterIsOneGzipMember writes inputs of every size around the block
// size, in writes of every size, on one and several compressors, and reads them
// back with the standard library, with klauspost's reader and with gzip(1): each
// is the input exactly, as one gzip member (the standard reader in single-stream
// mode finds nothing after it).
func TestGzipWriterIsOneGzipMember(t *testing.T) {
	t.Parallel()
	sizes := []int{0, 1, 100, gzipWindowBytes, gzipBlockBytes - 1, gzipBlockBytes, gzipBlockBytes + 1, 3*gzipBlockBytes + 12345}
	gzipBin, _ := exec.LookPath("gzip")
	for _, compressors := range []int{1, 3} {
		for _, level := range []int{flate.NoCompression, flate.BestSpeed} {
			for i, n := range sizes {
				in := gzipInput(n, uint64(i))
				var out bytes.Buffer
				z, err := newGzipWriter(&out, level, compressors)
				if err != nil {
					t.Fatal(err)
				}
				r := rand.New(rand.NewPCG(uint64(n), 2))
				for p := in; len(p) > 0; {
					k := min(len(p), 1+r.IntN(3*gzipBlockBytes/2))
					if _, err := z.Write(p[:k]); err != nil {
						t.Fatal(err)
					}
					p = p[k:]
				}
				if err := z.Close(); err != nil {
					t.Fatal(err)
				}
				zr, err := stdgzip.NewReader(bytes.NewReader(out.Bytes()))
				if err != nil {
					t.Fatalf("%d compressors, level %d, %d bytes: %v", compressors, level, n, err)
				}
				zr.Multistream(false)
				got, err := io.ReadAll(zr)
				if err != nil || !bytes.Equal(got, in) {
					t.Fatalf("%d compressors, level %d, %d bytes: read back %d bytes, %v", compressors, level, n, len(got), err)
				}
				if rest := restAfter(t, out.Bytes()); len(rest) != 0 {
					t.Fatalf("%d compressors, level %d, %d bytes: %d bytes after the member", compressors, level, n, len(rest))
				}
				kr, err := kgzip.NewReader(bytes.NewReader(out.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				if got, err := io.ReadAll(kr); err != nil || !bytes.Equal(got, in) {
					t.Fatalf("klauspost reader, %d compressors, level %d, %d bytes: %d bytes, %v", compressors, level, n, len(got), err)
				}
				if gzipBin != "" {
					cmd := exec.Command(gzipBin, "-dc")
					cmd.Stdin = bytes.NewReader(out.Bytes())
					if got, err := cmd.Output(); err != nil || !bytes.Equal(got, in) {
						t.Fatalf("gzip -dc, %d compressors, level %d, %d bytes: %d bytes, %v", compressors, level, n, len(got), err)
					}
				}
			}
		}
	}
}

// restAfter returns what follows the first gzip member of b.
func restAfter(t *testing.T, b []byte) []byte {
	t.Helper()
	br := bytes.NewReader(b)
	zr, err := stdgzip.NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	if _, err := io.Copy(io.Discard, zr); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(br)
	return rest
}

// TestGzipWriterSize: blocks compressed apart, each with the window before it,
// come within 2% of one compressor's output at the same level, on dump-like
// text and on a random 16 KiB run repeated, whose every match lies 16 KiB back:
// across each block's start too, so that a block without its dictionary would
// cost 16 KiB more.
func TestGzipWriterSize(t *testing.T) {
	t.Parallel()
	run := gzipInput(16<<10, 5)
	for i := range run {
		run[i] ^= byte(rand.N(256)) // no repeats inside the run
	}
	inputs := map[string][]byte{"dump-like text": gzipInput(3<<20, 9), "a repeated run": bytes.Repeat(run, 128)}
	for name, in := range inputs {
		var one, ours bytes.Buffer
		zw, _ := kgzip.NewWriterLevel(&one, kgzip.BestSpeed)
		if _, err := zw.Write(in); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		z, err := newGzipWriter(&ours, flate.BestSpeed, 2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := z.Write(in); err != nil {
			t.Fatal(err)
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		ratio := float64(ours.Len()) / float64(one.Len())
		t.Logf("%s, %d bytes: one compressor %d, blocks %d (%.4f×)", name, len(in), one.Len(), ours.Len(), ratio)
		if ratio > 1.02 {
			t.Errorf("%s: blocks make the dump %.1f%% bigger, want at most 2%%", name, (ratio-1)*100)
		}
	}
}

// failWriter fails every write after the first ok bytes.
type failWriter struct{ ok int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.ok < len(p) {
		return 0, errors.New("disk full")
	}
	f.ok -= len(p)
	return len(p), nil
}

// TestGzipWriterStopsAtError: once the destination fails, Write and Close return
// its error, and neither Close nor Abort leaves a goroutine behind.
func TestGzipWriterStopsAtError(t *testing.T) {
	before := runtime.NumGoroutine()
	z, err := newGzipWriter(&failWriter{ok: 100}, flate.BestSpeed, 2)
	if err != nil {
		t.Fatal(err)
	}
	in := gzipInput(gzipBlockBytes, 3)
	var werr error
	for range 20 {
		if _, werr = z.Write(in); werr != nil {
			break
		}
	}
	if werr == nil || werr.Error() != "disk full" {
		t.Errorf("write after the destination failed: %v, want disk full", werr)
	}
	if err := z.Close(); err == nil || err.Error() != "disk full" {
		t.Errorf("close: %v, want disk full", err)
	}
	// Given up half way: Abort stops the goroutines as well.
	z, err = newGzipWriter(io.Discard, flate.BestSpeed, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := z.Write(gzipInput(3*gzipBlockBytes, 4)); err != nil {
		t.Fatal(err)
	}
	z.Abort()
	z.Abort()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close and Abort, %d before", n, before)
	}
}

// readCounter counts the reads of a file.
type readCounter struct {
	r     io.Reader
	reads int
}

func (c *readCounter) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

// Inflate reads a file given as a plain io.Reader in large blocks: gzip alone
// reads 4 KiB at a time, a system call each.
func TestInflateReadsInLargeBlocks(t *testing.T) {
	t.Parallel()
	var zipped bytes.Buffer
	zw, _ := kgzip.NewWriterLevel(&zipped, kgzip.NoCompression)
	in := gzipInput(8<<20, 3)
	if _, err := zw.Write(in); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	src := &readCounter{r: bytes.NewReader(zipped.Bytes())}
	r, err := Inflate(src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(out, in) {
		t.Fatalf("inflated %d bytes (%v), want the %d written", len(out), err, len(in))
	}
	if max := zipped.Len()/(128<<10) + 2; src.reads > max {
		t.Fatalf("%d reads of a %d-byte file, want at most %d (blocks of 128 KiB or more)", src.reads, zipped.Len(), max)
	}
}
