// Package backtest turns a book into labelled observations and samples,
// keeps the distributions a model is later compared with, and back-tests a
// stored model on outcomes it was not trained on.
//
// Training (train) builds its samples and the reference distributions
// stored in an artifact here; the back-test (Validate) rebuilds the
// observations of a newer book with the same feature set, horizon and
// default rule, scores them with the stored model, and judges
// discrimination, calibration and stability against training. It needs
// no model family's trainer, so the server's periodic revalidation and
// `credence validate` run it without compiling them.
package backtest
