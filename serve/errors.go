package serve

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/serve/limit"
)

var (
	// ErrNotFound reports an unknown customer or model.
	ErrNotFound = errors.New("not found")
	// ErrNoModel reports that no model is ready to serve.
	ErrNoModel = errors.New("no model is ready to serve")
	// ErrUnauthenticated reports a call without a valid bearer token.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrFutureAsOf reports an as_of past what the book knows.
	ErrFutureAsOf = errors.New("as_of is after the data date")
	// ErrNotLive reports events sent to a server without a live store.
	ErrNotLive = errors.New("the server holds no live store")
)

// FieldError is a malformed request: Field names the field in the API's
// terms, e.g. "as_of" or "history.invoices[2].due_date".
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// badField returns a FieldError.
func badField(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// kindError is an error of a kind (ErrNotFound, ErrNoModel, ...) whose
// message stands alone, without the kind's text appended.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// notFound reports an unknown customer or model.
func notFound(format string, args ...any) error {
	return &kindError{kind: ErrNotFound, msg: fmt.Sprintf(format, args...)}
}

// statusOf turns an error of the server into the gRPC status the client
// sees. It is the only place where errors meet codes.
func statusOf(err error) *status.Status {
	if err == nil {
		return nil
	}
	var fe *FieldError
	switch {
	case errors.As(err, &fe), errors.Is(err, limit.ErrInvalidRequest):
		return status.New(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrNotFound), errors.Is(err, registry.ErrNotFound):
		return status.New(codes.NotFound, err.Error())
	case errors.Is(err, ErrUnauthenticated):
		return status.New(codes.Unauthenticated, err.Error())
	case errors.Is(err, ErrNoModel):
		return status.New(codes.Unavailable, err.Error())
	case errors.Is(err, ErrFutureAsOf), errors.Is(err, ErrNotLive):
		return status.New(codes.FailedPrecondition, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, err.Error())
	}
	// Errors from grpc itself (a failed Send, say) already carry a code.
	if s, ok := status.FromError(err); ok {
		return s
	}
	return status.New(codes.Internal, err.Error())
}
