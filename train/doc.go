// Package train fits PD models: it splits the labelled sample of a book
// (models/backtest builds it) out of time and out of sample, fits and
// calibrates every model family, chooses the champion, cross-validates,
// and writes the artifact and its training report (models/report).
package train
