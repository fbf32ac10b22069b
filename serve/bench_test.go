package serve

import (
	"context"
	"fmt"
	"testing"

	"github.com/credence-risk/credence/serve/creditpb"
)

// benchServer is a server over the fixture with its champion loaded, not
// listening.
func benchServer(b *testing.B) *Server {
	f := getFixture(b)
	reg := newRegistry(b, 1)
	srv, err := NewServer(testConfig(nil), reg, f.idx)
	if err != nil {
		b.Fatal(err)
	}
	srv.reload()
	return srv
}

// BenchmarkScore is one Score call without the network: validation,
// features, model, reasons and metrics.
func BenchmarkScore(b *testing.B) {
	for _, reasons := range []int32{0, 3} {
		b.Run(fmt.Sprintf("reasons=%d", reasons), func(b *testing.B) {
			srv := benchServer(b)
			hs := getFixture(b).hs
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				h := hs[i%len(hs)]
				i++
				if _, err := srv.Score(ctx, &creditpb.ScoreRequest{CustomerId: h.CustomerID, AsOf: day("2023-10-01"), MaxReasons: reasons}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScoreGRPC is one Score call over a loopback connection, client
// included: the latency of a call on an idle server.
func BenchmarkScoreGRPC(b *testing.B) {
	srv := benchServer(b)
	r := startServer(b, srv, false)
	hs := getFixture(b).hs
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h := hs[i%len(hs)]
		i++
		if _, err := r.client.Score(ctx, &creditpb.ScoreRequest{CustomerId: h.CustomerID, AsOf: day("2023-10-01")}); err != nil {
			b.Fatal(err)
		}
	}
}
