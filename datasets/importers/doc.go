// Package importers turns public credit datasets into Credence books, so that
// training, validation and benchmarks run on real data in the one format the
// rest of Credence reads.
//
// Each importer reads a dataset as it is published and writes a Parquet book
// into a directory: one file per table (DIR/statements.parquet, ...) and a
// book.yaml, every table sorted by customer_id byte-wise and by date within
// a customer. The tables are written under temporary names and moved into
// place together at the end, so a failed import leaves no table that looks
// complete. Bad input is an error naming the file, the 1-based data row and
// the column.
//
// # uci-taiwan
//
// UCI "default of credit card clients" (Taiwan, 2005), one row per client
// with six monthly columns. Each client becomes six statements, April to
// September 2005 (period_end the month end): PAY_0 is September and PAY_6
// April, BILL_AMT1 and PAY_AMT1 September and BILL_AMT6 and PAY_AMT6 April.
// days_past_due is max(PAY, 0)·30 and status the PAY code verbatim. Every
// client is observed on 2005-10-01 and a client with
// default.payment.next.month = 1 defaults on 2005-10-31, so the book's
// horizon is one month and it is observed until 2005-11-01.
//
// # credit-card-approval
//
// Kaggle "Credit Card Approval Prediction": monthly statuses in
// credit_record.csv.gz and applicant attributes in application_record.csv.gz.
// The dataset carries no calendar date: MONTHS_BALANCE counts months back
// from the month of the extract. The extract month is fixed at January 2020,
// a nominal date that only places the months in order; period_end is the end
// of the extract month plus MONTHS_BALANCE months. days_past_due is the lower
// bound of the STATUS band (0 → 1, 1 → 30, … 5 → 150; C and X → 0). There is
// no outcome column, so the book has no defaults table: the default rule
// derives defaults from the statements, with the 60 days past due that
// book.yaml suggests. Customers are the applications of accounts that have
// credit records; of an ID that appears more than once only the first
// application is kept. Numeric columns become numeric attributes and text
// columns categorical ones (FLAG_OWN_CAR and FLAG_OWN_REALTY hold Y or N),
// named in lower case; DAYS_EMPLOYED keeps the dataset's placeholder 365243
// for applicants not in employment.
//
// # ibm-ar
//
// IBM's sample accounts-receivable ledger: one invoice per row. Invoice
// numbers stay strings (they have leading zeros) and a settled invoice is
// paid in full on SettledDate. A customer's country and paperless attributes
// are read from the customer's earliest invoice: customer attributes count as
// known at every as-of date, and PaperlessBill changes when a customer
// switches to electronic bills, so a later value would leak the future.
//
// # german
//
// Statlog German credit: 1,000 applications with 20 attributes (documented
// in german.doc beside german.data) and a class, 1 good or 2 bad. Customers
// are numbered by row ("0001", …). The data carry no dates, so every
// customer has a nominal observation on 2000-01-01 and a bad one a default on
// 2000-12-31, which makes the class the outcome of a 12-month horizon.
package importers
