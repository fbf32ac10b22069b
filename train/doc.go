// Package train turns a book into labelled observations and feature
// matrices, and (with models) into validated PD models.
package train
