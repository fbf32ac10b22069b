// Package synth generates synthetic B2B trade receivables books: customers,
// their invoices and payments, and their defaults, with a known true
// probability of default per customer and month. The books feed demos, tests
// and benchmarks; a seed fixes every byte of the output.
//
// # Model
//
// Each customer has a latent creditworthiness z. Its starting value is drawn
// from a two-component mixture (a weak minority and a sound majority) whose
// mean depends on industry, size and country; it then follows a random walk
// with a small monthly step. Every customer is also exposed to one economic
// cycle shared by the whole book: a sinusoid with a random period and phase
// plus AR(1) noise, all drawn from the seed. The monthly default hazard is
//
//	hazard(m) = logistic(a − b·z(m) + γ(industry)·cycle(m) + δ(industry))
//
// where γ is the industry's sensitivity to the cycle and δ its base risk. The
// intercept a is calibrated by bisection, before anything is written, so that
// the expected annualised default rate of a sample of the book's own customers
// (all of them up to 20,000, else an even stride) along their actual z paths
// equals Config.AnnualDefaultRate. The annualised rate is
// 1 − (1 − defaults / customer-months at risk)^12, a customer being at risk
// from the first month up to and including its default month.
//
// A customer defaults at most once, on a day drawn in its default month, with
// reason "insolvency", "90dpd" or "write-off". It receives no invoices after
// that and its open items stay unpaid.
//
// Customer attributes are noisy functions of the starting z: annual revenue
// (lognormal by size), net worth and working capital (both can be negative for
// weak firms), years in business and the current credit limit (a function of
// the customer's purchases, payment terms and risk). Industries differ in base
// risk, cycle sensitivity and sales seasonality; countries in payment culture
// (usual terms and typical lateness).
//
// Invoices arrive as a Poisson number per month (about one for a micro firm,
// a dozen for a large one, two on average), spread over the month, with
// lognormal amounts that follow the industry's seasonality. Payment terms are
// 30, 45, 60 or 90 days, mostly the customer's usual term. A good payer often
// pays early or on time; a weak one is late more often and by more days.
// Some payments are partial and some invoices are disputed (then paid later,
// often partially). Items paid after the book's last day are open.
//
// Early warning: over the six months before a default, payment delays grow
// (up to about 45 extra days on average), partial payments become frequent
// and purchases fall; 20 to 80 days before the default the customer stops
// paying altogether.
//
// # Shape
//
// The package's tests hold a 5,000-customer, 24-month book to these ranges:
// the annualised default rate within ±30% of the target (about ±6% is
// binomial noise); 1.5 to 3 invoices per customer and month; of the open
// balance at the end, 60–92% current, 3–20% 1–30 days past due, 0.5–8% 31–60,
// 0.2–4% 61–90 and 2–15% over 90 (mostly defaulted customers' items); mean
// days beyond terms of defaulters' invoices due in the 90 days before the
// default (seen at the default date) at least 10 days above both the
// non-defaulters' and their own a year earlier; and an AUC of pd_12m above
// 0.75 for default within 12 months of a mid-book month end (about 0.83).
//
// # Truth
//
// The truth file (Parquet: customer_id, month_end DATE, hazard_1m DOUBLE,
// pd_12m DOUBLE) holds one row per customer and month end of the book, the
// book's last day included, up to the customer's default: month ends on or
// after the default date have none. hazard_1m is the hazard of the following
// month and pd_12m is 1 − Π_{k=1..12} (1 − hazard(m+k)), both with z frozen
// at its value in the month of the row and the cycle's known path. This is
// the oracle ranking for a 12-month horizon: what a model that saw z, but not
// its future steps, would say. It leaves out the early-warning signal, which
// the generator puts into payments ahead of the default, so a model that
// reads payments can rank imminent defaults better than the oracle.
//
// # Output
//
// Generate writes customers/, invoices/ and defaults/ as part files, part k
// holding customers [k·CustomersPerPart, (k+1)·CustomersPerPart), and
// book.yaml last. Customer ids are "C" and the 8-digit index, so byte order
// is index order. Every customer draws from its own PCG stream, seeded from
// the seed and its index, so the output is byte for byte the same for any
// number of workers (on one CPU architecture: another may round a float
// differently). The truth is one Parquet file written in part order by a
// single writer; truth rows of parts finished ahead of their turn wait in
// memory.
//
// A million customers over 24 months (about 51 million invoices) take about
// 30 CPU-seconds and 230 MiB of memory; on 2 cores that is about 20 seconds
// when the disk keeps up.
package synth
