package transfer

import "testing"

// LowerLargeValues has the exports of the rest of the test fetch every bytea
// value over size bytes in chunks of chunk bytes, so that small rows take the
// path of huge attachments. It returns a count of the chunk queries run since.
func LowerLargeValues(t testing.TB, size, chunk int64) func() int64 {
	t.Helper()
	oldSize, oldChunk := largeValueBytes, largeChunkBytes
	largeValueBytes, largeChunkBytes = size, chunk
	t.Cleanup(func() { largeValueBytes, largeChunkBytes = oldSize, oldChunk })
	start := largeChunksRead.Load()
	return func() int64 { return largeChunksRead.Load() - start }
}

// LowerSplit has the exports of the rest of the test read every table of at
// least size bytes in parts, when they have more than one connection. It
// returns a count of the COPYs of parts run since.
func LowerSplit(t testing.TB, size int64) func() int64 {
	t.Helper()
	old := splitBytes
	splitBytes = size
	t.Cleanup(func() { splitBytes = old })
	start := partsCopied.Load()
	return func() int64 { return partsCopied.Load() - start }
}
