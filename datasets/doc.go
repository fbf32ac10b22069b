// Package datasets reads, writes and checks customer books: the receivables
// ledger, periodic statements, customer attributes, default events and
// observation points that every other part of Credence consumes.
//
// The format is specified in book-format.md beside this package. Parquet is read through
// Apache Arrow (columnar, fast) and written with parquet-go (lean, fast);
// CSV and CSV.gz are accepted for every table. Histories streams one
// customer's complete history at a time in customer_id order (CompareIDs),
// so memory is bounded by the largest customer rather than by the book; a
// table in another order is sorted once into a cached copy by Open.
// Partitions and Units split a book into units of work (its parts, and
// ranges of customers of a part by its row groups) that are read
// independently and together give the whole book.
// Every reader applies the book's rules (plausible dates, currency, finite
// attributes) and records what a tolerant read skipped in the book's
// SkipLog.
package datasets
