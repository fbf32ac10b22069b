package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeRefusesOpenAddress checks that serve on every interface with
// neither TLS nor tokens stops before reading anything, naming --insecure.
func TestServeRefusesOpenAddress(t *testing.T) {
	dir := t.TempDir()
	out, err := credence(t, "serve", "--addr", "0.0.0.0:0", "--metrics-addr", "", "--registry", filepath.Join(dir, "registry"), "--book", filepath.Join(dir, "book"))
	if err == nil || !strings.Contains(err.Error(), "--insecure") {
		t.Fatalf("serve on 0.0.0.0 without TLS or tokens: %v\n%s; want a refusal naming --insecure", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "registry")); !os.IsNotExist(err) {
		t.Errorf("the refused serve touched the registry: %v", err)
	}
}
