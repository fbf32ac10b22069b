package serve

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// maxLogValue bounds each string a log line carries: a caller's 1 MB
// customer_id is cut, with its length noted, so that no request can make
// a log line of its own size.
const maxLogValue = 256

// boundedHandler cuts long messages and values and adds the request id of
// the call a record is logged in.
type boundedHandler struct{ next slog.Handler }

// boundedLogger wraps l's handler (see boundedHandler).
func boundedLogger(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(boundedHandler); ok {
		return l
	}
	return slog.New(boundedHandler{l.Handler()})
}

func (h boundedHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h boundedHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, bound(r.Message), r.PC)
	if id := requestIDOf(ctx); id != "" {
		out.AddAttrs(slog.String("request_id", id))
	}
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(boundAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h boundedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	b := make([]slog.Attr, len(as))
	for i, a := range as {
		b[i] = boundAttr(a)
	}
	return boundedHandler{h.next.WithAttrs(b)}
}

func (h boundedHandler) WithGroup(name string) slog.Handler {
	return boundedHandler{h.next.WithGroup(bound(name))}
}

// boundAttr bounds a's key and value, in groups too. Values other than
// strings are bounded by their text (an error, a list of reasons).
func boundAttr(a slog.Attr) slog.Attr {
	a.Key = bound(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(bound(v.String()))
	case slog.KindGroup:
		g := v.Group()
		b := make([]slog.Attr, len(g))
		for i, x := range g {
			b[i] = boundAttr(x)
		}
		a.Value = slog.GroupValue(b...)
	case slog.KindAny:
		if s := fmt.Sprint(v.Any()); len(s) > maxLogValue {
			a.Value = slog.StringValue(bound(s))
		} else {
			a.Value = v
		}
	default:
		a.Value = v
	}
	return a
}

// bound cuts s to maxLogValue bytes, on a rune boundary, noting its length.
func bound(s string) string {
	if len(s) <= maxLogValue {
		return s
	}
	cut := maxLogValue
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:cut], len(s))
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// requestIDHeader is the metadata key of a call's request id, in the
// request and in the response headers.
const requestIDHeader = "x-request-id"

// maxRequestID bounds a request id taken from a caller.
const maxRequestID = 128

type requestIDKey struct{}

// requestIDOf is the request id of the call ctx belongs to; "" outside one.
func requestIDOf(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID returns ctx carrying the call's request id: the caller's
// x-request-id when it is up to maxRequestID printable ASCII characters,
// else a new random one. The id is sent back in the response headers.
func withRequestID(ctx context.Context, setHeader func(metadata.MD) error) context.Context {
	id := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(requestIDHeader); len(v) > 0 && validRequestID(v[0]) {
			id = v[0]
		}
	}
	if id == "" {
		id = rand.Text()
	}
	// A failed SetHeader means the headers were sent already; the id
	// still goes to the logs.
	_ = setHeader(metadata.Pairs(requestIDHeader, id))
	return context.WithValue(ctx, requestIDKey{}, id)
}

func validRequestID(s string) bool {
	return s != "" && len(s) <= maxRequestID && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e })
}

// idStream is a server stream whose context carries the request id.
type idStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s idStream) Context() context.Context { return s.ctx }
