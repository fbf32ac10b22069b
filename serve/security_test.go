package serve

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/credence-risk/credence/serve/creditpb"
)

func TestTokens(t *testing.T) {
	reg := newRegistry(t, 1)
	cfg := testConfig(nil)
	cfg.Tokens = []string{"first-token", "s3cret"}
	r := start(t, cfg, reg, true) // health checks need no token
	id := getFixture(t).hs[0].CustomerID
	cases := []struct {
		name, auth string
		want       codes.Code
	}{
		{"none", "", codes.Unauthenticated},
		{"wrong", "Bearer s3cre", codes.Unauthenticated},
		{"longer", "Bearer s3crets", codes.Unauthenticated},
		{"not bearer", "Basic s3cret", codes.Unauthenticated},
		{"no scheme", "s3cret", codes.Unauthenticated},
		{"right", "Bearer s3cret", codes.OK},
		{"the other", "bearer first-token", codes.OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := ctxT(t)
			if c.auth != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", c.auth)
			}
			_, err := r.client.Score(ctx, &creditpb.ScoreRequest{CustomerId: id})
			if got := status.Code(err); got != c.want {
				t.Errorf("Score: got %v (%v); want %v", got, err, c.want)
			}
			stream, err := r.client.ScoreStream(ctx)
			if err == nil {
				// A Send after the server refused the stream says io.EOF;
				// Recv gives the status.
				if err = stream.Send(&creditpb.ScoreStreamRequest{Score: &creditpb.ScoreRequest{CustomerId: id}}); err == nil || errors.Is(err, io.EOF) {
					_, err = stream.Recv()
				}
			}
			if got := status.Code(err); got != c.want {
				t.Errorf("ScoreStream: got %v (%v); want %v", got, err, c.want)
			}
		})
	}
}

// writePEM writes a certificate and, when key is set, its key.
func writePEM(t *testing.T, dir, name string, der []byte, key *ecdsa.PrivateKey) (certFile, keyFile string) {
	t.Helper()
	certFile = filepath.Join(dir, name+".crt")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if key != nil {
		b, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		keyFile = filepath.Join(dir, name+".key")
		if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// testPKI makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, all signed by the CA.
type testPKI struct {
	caFile, serverCert, serverKey, clientCert, clientKey string
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Credence test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		k := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	var p testPKI
	p.caFile, _ = writePEM(t, dir, "ca", caDER, nil)
	der, k := issue(2, "credence server", x509.ExtKeyUsageServerAuth)
	p.serverCert, p.serverKey = writePEM(t, dir, "server", der, k)
	der, k = issue(3, "credence client", x509.ExtKeyUsageClientAuth)
	p.clientCert, p.clientKey = writePEM(t, dir, "client", der, k)
	return p
}

func TestTLS(t *testing.T) {
	p := newTestPKI(t)
	pool, err := certPool(p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	clientPair, err := tls.LoadX509KeyPair(p.clientCert, p.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	withCert := credentials.NewTLS(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{clientPair}})
	withoutCert := credentials.NewTLS(&tls.Config{RootCAs: pool})
	id := getFixture(t).hs[0].CustomerID

	for _, mutual := range []bool{false, true} {
		name := "tls"
		if mutual {
			name = "mutual tls"
		}
		t.Run(name, func(t *testing.T) {
			reg := newRegistry(t, 1)
			cfg := testConfig(nil)
			cfg.TLSCert, cfg.TLSKey = p.serverCert, p.serverKey
			if mutual {
				cfg.TLSClientCA = p.caFile
			}
			r := start(t, cfg, reg, true, grpc.WithTransportCredentials(withCert))
			if _, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: id}); err != nil {
				t.Errorf("score over TLS: %v", err)
			}
			clients := map[string]credentials.TransportCredentials{"plaintext": insecure.NewCredentials()}
			if mutual {
				clients["no client certificate"] = withoutCert
			} else {
				clients["no client certificate"] = nil // allowed without mutual TLS
			}
			for what, creds := range clients {
				if creds == nil {
					creds = withoutCert
				}
				conn, err := grpc.NewClient("passthrough:///"+r.addr, grpc.WithTransportCredentials(creds))
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
				cancel()
				conn.Close()
				wantOK := what == "no client certificate" && !mutual
				if (err == nil) != wantOK {
					t.Errorf("%s client: err %v; want success %v", what, err, wantOK)
				}
			}
		})
	}
}
