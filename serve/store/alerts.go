package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credence-risk/credence/datasets"
)

// LastScore is a customer's most recent score, the "before" of the next
// alert.
type LastScore struct {
	PD           float64       `json:"pd"`
	Grade        int           `json:"grade"`
	AsOf         datasets.Date `json:"as_of"`
	ModelVersion string        `json:"model_version"`
	Reasons      []string      `json:"reasons,omitempty"`
	// Overdue is the highest overdue threshold (days) already alerted for
	// each open invoice, so the sweep and events warn once per crossing.
	Overdue map[string]int `json:"overdue,omitempty"`
}

// Alert is an early warning about one customer.
type Alert struct {
	// Seq orders alerts; a reader resumes after the last Seq it saw.
	Seq        uint64        `json:"seq"`
	CustomerID string        `json:"customer_id"`
	Kind       string        `json:"kind"`
	DataDate   datasets.Date `json:"data_date"`
	Before     *LastScore    `json:"before,omitempty"`
	After      LastScore     `json:"after"`
	// ReasonsMoved are the reasons of the new score that the old one did
	// not give.
	ReasonsMoved []string `json:"reasons_moved,omitempty"`
	// Event is what caused the alert: an event's kind and id, or "sweep".
	Event     string        `json:"event"`
	EventID   string        `json:"event_id,omitempty"`
	EventDate datasets.Date `json:"event_date"`
	InvoiceID string        `json:"invoice_id,omitempty"`
	Detail    string        `json:"detail"`
	Raised    int64         `json:"raised_unix_nano"`
}

func lastKey(id string) []byte { return append([]byte{prefixLast}, id...) }

func alertKey(seq uint64) []byte { return binary.BigEndian.AppendUint64([]byte{prefixAlert}, seq) }

// LastScore returns the customer's last score, if any.
func (s *Store) LastScore(id string) (LastScore, bool, error) {
	v, closer, err := s.db.Get(lastKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return LastScore{}, false, nil
	}
	if err != nil {
		return LastScore{}, false, err
	}
	defer closer.Close()
	var l LastScore
	if err := json.Unmarshal(v, &l); err != nil {
		return LastScore{}, false, fmt.Errorf("last score of %q: %w", id, err)
	}
	return l, true, nil
}

// Record stores new last scores and appends alerts in one synced batch,
// numbering the alerts; it returns them numbered.
func (s *Store) Record(scores map[string]LastScore, alerts []Alert) ([]Alert, error) {
	s.alertMu.Lock()
	defer s.alertMu.Unlock()
	b := s.db.NewBatch()
	defer b.Close()
	for id, l := range scores {
		v, err := json.Marshal(l)
		if err != nil {
			return nil, err
		}
		if err := b.Set(lastKey(id), v, nil); err != nil {
			return nil, err
		}
	}
	seq := s.alertSeq
	for i := range alerts {
		seq++
		alerts[i].Seq = seq
		v, err := json.Marshal(&alerts[i])
		if err != nil {
			return nil, err
		}
		if err := b.Set(alertKey(seq), v, nil); err != nil {
			return nil, err
		}
	}
	opts := pebble.NoSync
	if len(alerts) > 0 {
		opts = pebble.Sync
	}
	if err := b.Commit(opts); err != nil {
		return nil, err
	}
	s.alertSeq = seq
	return alerts, nil
}

// Alerts returns up to limit alerts after seq since, oldest first.
func (s *Store) Alerts(since uint64, limit int) ([]Alert, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: alertKey(since + 1), UpperBound: []byte{prefixAlert + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Alert
	for ok := it.First(); ok && (limit <= 0 || len(out) < limit); ok = it.Next() {
		var a Alert
		if err := json.Unmarshal(it.Value(), &a); err != nil {
			return nil, fmt.Errorf("alert %x: %w", it.Key(), err)
		}
		out = append(out, a)
	}
	return out, it.Error()
}

// LastAlert is the sequence number of the newest alert (0: none).
func (s *Store) LastAlert() uint64 {
	s.alertMu.Lock()
	defer s.alertMu.Unlock()
	return s.alertSeq
}

// loadAlertSeq finds the newest alert's number at open.
func (s *Store) loadAlertSeq() error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixAlert}, UpperBound: []byte{prefixAlert + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	if it.Last() {
		s.alertSeq = binary.BigEndian.Uint64(it.Key()[1:])
	}
	return it.Error()
}

// Overdue is an open invoice that is days past due or more.
type Overdue struct {
	CustomerID, InvoiceID string
	DueDate               datasets.Date
}

// OverdueBetween lists the open invoices that became days or more past due
// after from and by to: due dates in (from − days, to − days]. A scoring
// date of to counts the invoice as (to − due) days past due.
func (s *Store) OverdueBetween(from, to datasets.Date, days int) ([]Overdue, error) {
	lo, hi := from-datasets.Date(days)+1, to-datasets.Date(days)+1
	if from == datasets.NoDate {
		lo = datasets.NoDate + 1
	}
	if hi <= lo {
		return nil, nil
	}
	lower := append([]byte{prefixOpen}, dateKey(lo)...)
	upper := append([]byte{prefixOpen}, dateKey(hi)...)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Overdue
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()[1:]
		due := dateOfKey(k[:4])
		rest := k[4:]
		sep := bytes.IndexByte(rest, 0)
		if sep < 0 {
			return nil, errCorrupt
		}
		out = append(out, Overdue{CustomerID: string(rest[:sep]), InvoiceID: string(rest[sep+1:]), DueDate: due})
	}
	return out, it.Error()
}
