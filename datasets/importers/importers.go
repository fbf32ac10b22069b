package importers

import (
	"context"
)

// Stats counts what an import wrote, and the source rows it left out.
type Stats struct {
	Customers, Invoices, Statements, Defaults, Observations int
	// Skipped counts source rows that were not written; SkipReasons breaks
	// the count down by reason.
	Skipped     int
	SkipReasons map[string]int
}

func (s *Stats) skip(reason string) {
	if s.SkipReasons == nil {
		s.SkipReasons = map[string]int{}
	}
	s.SkipReasons[reason]++
	s.Skipped++
}

// Importer reads a dataset from in and writes it as a book into outDir.
type Importer func(ctx context.Context, in, outDir string) (Stats, error)

var registry = []struct {
	name string
	imp  Importer
}{
	{"uci-taiwan", UCITaiwan},
	{"credit-card-approval", CreditCardApproval},
	{"ibm-ar", IBMAR},
	{"german", German},
}

// Names lists the importers by the name the command line uses.
func Names() []string {
	names := make([]string, len(registry))
	for i, r := range registry {
		names[i] = r.name
	}
	return names
}

// Lookup returns the importer called name.
func Lookup(name string) (Importer, bool) {
	for _, r := range registry {
		if r.name == name {
			return r.imp, true
		}
	}
	return nil, false
}

// checkEvery is how many rows a reading loop goes between looks at its
// context: often enough to stop promptly, rarely enough to cost nothing.
const checkEvery = 1 << 12
