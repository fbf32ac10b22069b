package serve

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
)

// tokens checks bearer tokens. It keeps their SHA-256 only, so that every
// comparison takes the same time whatever the token's length or content.
type tokens [][sha256.Size]byte

func newTokens(ts []string) tokens {
	out := make(tokens, len(ts))
	for i, t := range ts {
		out[i] = sha256.Sum256([]byte(t))
	}
	return out
}

// open reports whether a method is reachable without a token: health
// checking and reflection, for load balancers and grpcurl.
func open(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/grpc.health.v1.Health/") ||
		strings.HasPrefix(fullMethod, "/grpc.reflection.")
}

// check returns ErrUnauthenticated unless ctx carries "authorization:
// Bearer TOKEN" with an accepted token.
func (ts tokens) check(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return &kindError{kind: ErrUnauthenticated, msg: `missing "authorization: Bearer TOKEN" metadata`}
	}
	scheme, tok, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return &kindError{kind: ErrUnauthenticated, msg: `authorization is not "Bearer TOKEN"`}
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	match := 0
	for i := range ts {
		match |= subtle.ConstantTimeCompare(sum[:], ts[i][:])
	}
	if match != 1 {
		return &kindError{kind: ErrUnauthenticated, msg: "invalid bearer token"}
	}
	return nil
}

// serverTLS builds the server's transport credentials from PEM files; a
// client CA requires and verifies client certificates.
func serverTLS(certFile, keyFile, clientCAFile string) (credentials.TransportCredentials, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCAFile != "" {
		pool, err := certPool(clientCAFile)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return credentials.NewTLS(cfg), nil
}

// certPool reads PEM certificates into a pool.
func certPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("tls: %s holds no PEM certificate", file)
	}
	return pool, nil
}
