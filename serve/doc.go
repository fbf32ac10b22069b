// Package serve is Credence's online scoring server: the credence.v1 gRPC
// API (serve/creditpb) over the registry's champion model and one book of
// customers held in memory.
//
// # Scoring
//
// A customer is scored either from the book the server was started with
// (LoadIndex reads every history into a map at start) or from a history sent
// inline with the request, laid out by the book's customers schema. The
// as-of date defaults to the day after the data date, never the wall clock;
// a customer of the book with no invoice or statement before it is
// NOT_FOUND, as batch rescoring skips it. Scoring goes
// through models/scoring, with the features and model training used, so an
// online score equals a batch score of the same history.
//
// The in-memory index costs the size of the book's histories as Go values:
// about 6 KiB a customer on the synthetic book (24 months of invoices and
// statements), so 20,000 customers take 116 MiB and 1,000,000 about
// 6 GiB; the server logs the figure it measured at start. The garbage
// collector lets the heap grow to twice the live heap by default: for a
// large book set GOMEMLIMIT a little above the index's size (and GOGC
// higher) so that collections stay rare. Books much larger than memory
// need a store keyed by customer, which this package does not have.
//
// # Models
//
// The server serves the champion (or the reference Config.Model names) and
// polls the registry every Config.ReloadInterval. A new version is loaded,
// its scorer built and warmed on a few customers of the book, then swapped
// in atomically: requests already running finish on the old model. A
// version that fails to load is logged and the old model keeps serving.
// Config.Shadow names a label (e.g. challenger) scored beside the champion
// and logged, never returned.
//
// # Monitoring
//
// With Config.RevalidateEvery set the server back-tests the champion on a
// book with matured outcomes (backtest.Validate), stores the report beside the
// model in the registry and serves the result from GetValidationStatus; on
// a red light it alerts or rolls the champion back (Config.OnRed). It also
// keeps the PDs it served in a rolling window and compares them with the
// training distribution stored in the artifact (PSI). Metrics are exported
// for Prometheus on Config.MetricsAddr at /metrics: the standard gRPC server
// metrics (grpc_server_handled_total, grpc_server_handling_seconds, ...) and
// Credence's own, units in their names (credence_pd_ratio,
// credence_model_age_seconds, credence_validation_light from the stored
// report as soon as a model serves).
//
// # Operations
//
// The health service answers liveness ("" or "liveness": the process is
// up) apart from readiness ("readiness" or credence.v1.CredenceService: a
// model serves), for Kubernetes gRPC probes. Every call has a request id,
// the caller's x-request-id metadata or a new one, returned in the response
// headers and logged with the call. Log lines are bounded (each value at
// most 256 bytes), and customer data (ids, PDs) is logged at DEBUG only.
//
// # Security
//
// Transport security is TLS (Config.TLSCert, TLSKey) with optional client
// certificates (Config.TLSClientCA). With Config.Tokens set, every Credence
// call needs "authorization: Bearer TOKEN" metadata; tokens are compared in
// constant time. Health checking (grpc.health.v1) and server reflection stay
// open without a token, so that load balancers and grpcurl can discover the
// service: they reveal whether the server is up and the API's schema, no
// customer data.
//
// # Errors
//
// Errors map to gRPC codes in one place (statusOf): a malformed request is
// INVALID_ARGUMENT with the field named ("as_of: {year: 2024, month: 13,
// day: 1} is not a calendar date") in a google.rpc.BadRequest, an unknown
// customer or model NOT_FOUND, a missing or wrong token UNAUTHENTICATED, no
// model ready UNAVAILABLE; every error carries a google.rpc.ErrorInfo.
package serve
