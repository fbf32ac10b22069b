package serve_test

import (
	"context"
	"log"
	"net"
	"os/signal"
	"syscall"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/serve"
)

// A server over a registry and a book, serving until SIGTERM and then
// draining, as `credence serve` runs it.
func ExampleNewServer() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	reg, err := registry.Open("models")
	if err != nil {
		log.Fatal(err)
	}
	book, err := datasets.Open("book")
	if err != nil {
		log.Fatal(err)
	}
	idx, err := serve.LoadIndex(ctx, book)
	if err != nil {
		log.Fatal(err)
	}
	cfg := serve.DefaultConfig()
	cfg.Tokens = []string{"a long random token"}
	srv, err := serve.NewServer(cfg, reg, idx)
	if err != nil {
		log.Fatal(err)
	}
	lis, err := net.Listen("tcp", ":50051")
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Serve(ctx, lis); err != nil {
		log.Fatal(err)
	}
}
