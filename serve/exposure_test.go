package serve

import (
	"net"
	"strings"
	"testing"
)

func TestCheckExposure(t *testing.T) {
	cases := []struct {
		name   string
		addr   net.Addr
		config func(*Config)
		refuse bool
	}{
		{"loopback", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50051}, nil, false},
		{"loopback v6", &net.TCPAddr{IP: net.IPv6loopback, Port: 50051}, nil, false},
		{"every interface", &net.TCPAddr{IP: net.IPv4zero, Port: 50051}, nil, true},
		{"every interface v6", &net.TCPAddr{IP: net.IPv6unspecified, Port: 50051}, nil, true},
		{"a LAN address", &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 50051}, nil, true},
		{"with tokens", &net.TCPAddr{IP: net.IPv4zero, Port: 50051}, func(c *Config) { c.Tokens = []string{"t"} }, false},
		{"with TLS", &net.TCPAddr{IP: net.IPv4zero, Port: 50051}, func(c *Config) { c.TLSCert, c.TLSKey = "c.pem", "k.pem" }, false},
		{"insecure", &net.TCPAddr{IP: net.IPv4zero, Port: 50051}, func(c *Config) { c.Insecure = true }, false},
		{"unix socket", &net.UnixAddr{Name: "/tmp/credence.sock", Net: "unix"}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if c.config != nil {
				c.config(&cfg)
			}
			err := cfg.CheckExposure(c.addr)
			if (err != nil) != c.refuse {
				t.Fatalf("CheckExposure(%s) = %v; want refused %v", c.addr, err, c.refuse)
			}
			if err != nil && !strings.Contains(err.Error(), "--insecure") {
				t.Errorf("error %q does not say how to proceed", err)
			}
		})
	}
}

// TestServeRefusesOpenListener checks that Serve itself refuses an open,
// unauthenticated listener, whatever built the configuration.
func TestServeRefusesOpenListener(t *testing.T) {
	srv, err := NewServer(testConfig(nil), newRegistry(t, 0), getFixture(t).idx)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Skipf("cannot listen on every interface here: %v", err)
	}
	if err := srv.Serve(t.Context(), lis); err == nil || !strings.Contains(err.Error(), "without TLS or tokens") {
		t.Errorf("Serve on %s = %v; want a refusal", lis.Addr(), err)
	}
}
