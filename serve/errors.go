package serve

import (
	"context"
	"errors"
	"fmt"
	"math"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/reflect/protoreflect"

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

// errorDomain is the domain of the google.rpc.ErrorInfo every error carries.
const errorDomain = "credence.v1"

// statusOf turns an error of the server into the gRPC status the client
// sees, with a google.rpc.ErrorInfo whose reason names the kind of error
// and, for a malformed request, a google.rpc.BadRequest naming the field.
// It is the only place where errors meet codes.
func statusOf(err error) *status.Status {
	if err == nil {
		return nil
	}
	var fe *FieldError
	var code codes.Code
	var reason string
	switch {
	case errors.As(err, &fe):
		code, reason = codes.InvalidArgument, "INVALID_FIELD"
	case errors.Is(err, limit.ErrInvalidRequest):
		code, reason = codes.InvalidArgument, "INVALID_LIMIT_REQUEST"
	case errors.Is(err, ErrNotFound), errors.Is(err, registry.ErrNotFound):
		code, reason = codes.NotFound, "NOT_FOUND"
	case errors.Is(err, ErrUnauthenticated):
		code, reason = codes.Unauthenticated, "UNAUTHENTICATED"
	case errors.Is(err, ErrNoModel):
		code, reason = codes.Unavailable, "NO_MODEL_READY"
	case errors.Is(err, ErrFutureAsOf):
		code, reason = codes.FailedPrecondition, "AS_OF_AFTER_DATA_DATE"
	case errors.Is(err, ErrNotLive):
		code, reason = codes.FailedPrecondition, "NO_LIVE_STORE"
	case errors.Is(err, context.DeadlineExceeded):
		code, reason = codes.DeadlineExceeded, "DEADLINE_EXCEEDED"
	case errors.Is(err, context.Canceled):
		code, reason = codes.Canceled, "CANCELLED"
	default:
		// Errors from grpc itself (a failed Send, say) already carry a code.
		if s, ok := status.FromError(err); ok {
			return s
		}
		code, reason = codes.Internal, "INTERNAL"
	}
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: reason, Domain: errorDomain}}
	if fe != nil {
		details = append(details, &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: fe.Field, Description: fe.Reason}}})
	}
	st, derr := status.New(code, err.Error()).WithDetails(details...)
	if derr != nil {
		return status.New(code, err.Error())
	}
	return st
}

// finite refuses a request holding a double that is not finite: NaN or an
// infinity is never an amount, a figure or a bound. Values of maps of
// attributes may be NaN, which means unknown there, but not infinite.
// field is the request's path, "" at the top.
func finite(field string, m proto.Message) error {
	if m == nil {
		return nil
	}
	return finiteIn(field, m.ProtoReflect())
}

func finiteIn(prefix string, m protoreflect.Message) error {
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := string(fd.Name())
		if prefix != "" {
			name = prefix + "." + name
		}
		switch {
		case fd.IsMap():
			vd := fd.MapValue()
			v.Map().Range(func(k protoreflect.MapKey, x protoreflect.Value) bool {
				at := fmt.Sprintf("%s[%q]", name, truncate(k.String(), 64))
				switch vd.Kind() {
				case protoreflect.DoubleKind, protoreflect.FloatKind:
					if math.IsInf(x.Float(), 0) {
						err = badField(at, "%v is not a number (NaN when unknown)", x.Float())
					}
				case protoreflect.MessageKind:
					err = finiteIn(at, x.Message())
				}
				return err == nil
			})
		case fd.IsList():
			l := v.List()
			for i := range l.Len() {
				at := fmt.Sprintf("%s[%d]", name, i)
				switch fd.Kind() {
				case protoreflect.DoubleKind, protoreflect.FloatKind:
					err = finiteValue(at, l.Get(i).Float())
				case protoreflect.MessageKind:
					err = finiteIn(at, l.Get(i).Message())
				}
				if err != nil {
					break
				}
			}
		case fd.Kind() == protoreflect.DoubleKind || fd.Kind() == protoreflect.FloatKind:
			err = finiteValue(name, v.Float())
		case fd.Kind() == protoreflect.MessageKind:
			err = finiteIn(name, v.Message())
		}
		return err == nil
	})
	return err
}

func finiteValue(field string, x float64) error {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return badField(field, "%v is not a finite number", x)
	}
	return nil
}
