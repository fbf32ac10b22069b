package synth

import (
	"fmt"
	"runtime"

	"github.com/credence-risk/credence/datasets"
)

// Config describes the book to generate. Zero values of the optional fields
// take the defaults noted on each.
type Config struct {
	Customers int   // number of customers, at least 1
	Months    int   // length of the book in calendar months, at least 1
	Seed      int64 // fixes every byte of the output

	// Start is the first day of the book's first month; zero means 2023-01-01.
	Start datasets.Date
	// AnnualDefaultRate is the target annualised default rate of the
	// portfolio (see the package doc); zero means 0.03.
	AnnualDefaultRate float64
	// CustomersPerPart is the number of customers in each part file; zero
	// means 50,000.
	CustomersPerPart int
	// Workers is the number of parts generated at once; zero means
	// runtime.GOMAXPROCS(0). The output does not depend on it.
	Workers int
	// Format is "parquet" (the default when empty), "csv" or "csv.gz".
	Format string
	// RowGroupRows, when above zero, ends the Parquet row groups of every
	// table every RowGroupRows rows (at most datasets.RowGroupRows, the
	// size otherwise), as large exports cut them: for exercising readers
	// that split parts at row groups.
	RowGroupRows int
}

// DefaultConfig returns a 10,000-customer, 24-month book from 2023-01-01 at
// a 3% annual default rate.
func DefaultConfig() Config {
	return Config{
		Customers:         10_000,
		Months:            24,
		Seed:              1,
		Start:             defaultStart,
		AnnualDefaultRate: 0.03,
		CustomersPerPart:  50_000,
		Workers:           runtime.GOMAXPROCS(0),
		Format:            "parquet",
	}
}

var defaultStart = datasets.YMD(2023, 1, 1)

// maxCustomers keeps customer ids at eight digits.
const maxCustomers = 100_000_000

// maxMonths bounds the book to fifty years.
const maxMonths = 600

// resolved returns cfg with zero values replaced by defaults, or an error
// naming the first invalid field.
func (cfg Config) resolved() (Config, error) {
	def := DefaultConfig()
	if cfg.Start == 0 {
		cfg.Start = def.Start
	}
	if cfg.AnnualDefaultRate == 0 {
		cfg.AnnualDefaultRate = def.AnnualDefaultRate
	}
	if cfg.CustomersPerPart == 0 {
		cfg.CustomersPerPart = def.CustomersPerPart
	}
	if cfg.Workers == 0 {
		cfg.Workers = def.Workers
	}
	if cfg.Format == "" {
		cfg.Format = def.Format
	}
	switch {
	case cfg.Customers < 1 || cfg.Customers >= maxCustomers:
		return cfg, fmt.Errorf("synth: Customers = %d; want 1 to %d", cfg.Customers, maxCustomers-1)
	case cfg.Months < 1 || cfg.Months > maxMonths:
		return cfg, fmt.Errorf("synth: Months = %d; want 1 to %d", cfg.Months, maxMonths)
	case cfg.Start == datasets.NoDate || cfg.Start.Time().Day() != 1:
		return cfg, fmt.Errorf("synth: Start = %s; want the first day of a month", cfg.Start)
	case !(cfg.AnnualDefaultRate > 0 && cfg.AnnualDefaultRate <= 0.5):
		return cfg, fmt.Errorf("synth: AnnualDefaultRate = %v; want more than 0 and at most 0.5", cfg.AnnualDefaultRate)
	case cfg.CustomersPerPart < 1:
		return cfg, fmt.Errorf("synth: CustomersPerPart = %d; want at least 1", cfg.CustomersPerPart)
	case cfg.RowGroupRows < 0 || cfg.RowGroupRows > datasets.RowGroupRows:
		return cfg, fmt.Errorf("synth: RowGroupRows = %d; want 0 to %d", cfg.RowGroupRows, datasets.RowGroupRows)
	case cfg.Workers < 1:
		return cfg, fmt.Errorf("synth: Workers = %d; want at least 1", cfg.Workers)
	}
	if _, err := cfg.extension(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// extension returns the part files' extension for cfg.Format.
func (cfg Config) extension() (string, error) {
	switch cfg.Format {
	case "parquet":
		return ".parquet", nil
	case "csv":
		return ".csv", nil
	case "csv.gz":
		return ".csv.gz", nil
	}
	return "", fmt.Errorf("synth: Format = %q; want parquet, csv or csv.gz", cfg.Format)
}

// Stats summarises a generated book.
type Stats struct {
	Customers     int
	Invoices      int
	Defaults      int
	Parts         int
	ObservedUntil datasets.Date // the book's last day
}
