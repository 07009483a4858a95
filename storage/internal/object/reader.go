package object

import (
	"context"
	"io"
)

// ContextReader returns a reader that reads from r until ctx is done and from
// then on returns ctx's error instead.
//
// Every backend's Put copies a caller's reader to its destination, and that copy
// must stop when the caller gives up: io.Copy and io.ReadFull know nothing of
// contexts, so without this a cancelled Put would go on reading (and writing)
// until the source ran dry. The check comes before each Read, so a Read already
// blocked in r is not interrupted.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return ctxReader{ctx: ctx, r: r}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
