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
	b.Cleanup(srv.grpc.Stop) // its workers start with it, served or not
	srv.reload()
	return srv
}

// benchAsOf is the date the benchmarks score as of.
const benchAsOf = "2023-10-01"

// scorable returns the fixture's customers that srv scores as of
// benchAsOf: those with no history before it are refused, as batch
// rescoring skips them.
func scorable(b *testing.B, srv *Server) []string {
	var ids []string
	for _, h := range getFixture(b).hs {
		if _, err := srv.Score(context.Background(), &creditpb.ScoreRequest{CustomerId: h.CustomerID, AsOf: day(benchAsOf)}); err == nil {
			ids = append(ids, h.CustomerID)
		}
	}
	if len(ids) == 0 {
		b.Fatalf("no customer of the fixture is scored as of %s", benchAsOf)
	}
	return ids
}

// BenchmarkScore is one Score call without the network: validation,
// features, model, reasons and metrics.
func BenchmarkScore(b *testing.B) {
	for _, reasons := range []int32{0, 3} {
		b.Run(fmt.Sprintf("reasons=%d", reasons), func(b *testing.B) {
			srv := benchServer(b)
			ids := scorable(b, srv)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				id := ids[i%len(ids)]
				i++
				if _, err := srv.Score(ctx, &creditpb.ScoreRequest{CustomerId: id, AsOf: day(benchAsOf), MaxReasons: reasons}); err != nil {
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
	ids := scorable(b, srv)
	r := startServer(b, srv, false)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := ids[i%len(ids)]
		i++
		if _, err := r.client.Score(ctx, &creditpb.ScoreRequest{CustomerId: id, AsOf: day(benchAsOf)}); err != nil {
			b.Fatal(err)
		}
	}
}
