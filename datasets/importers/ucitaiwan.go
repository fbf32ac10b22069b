package importers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/credence-risk/credence/datasets"
)

// taiwanMonths lists the wide columns of each statement month, April 2005
// first: the dataset numbers PAY_ from September backwards (PAY_0, PAY_2, …
// PAY_6; there is no PAY_1) and BILL_AMT and PAY_AMT from 1 (September) to 6
// (April).
var taiwanMonths = [...]struct{ status, balance, payment string }{
	{"PAY_6", "BILL_AMT6", "PAY_AMT6"},
	{"PAY_5", "BILL_AMT5", "PAY_AMT5"},
	{"PAY_4", "BILL_AMT4", "PAY_AMT4"},
	{"PAY_3", "BILL_AMT3", "PAY_AMT3"},
	{"PAY_2", "BILL_AMT2", "PAY_AMT2"},
	{"PAY_0", "BILL_AMT1", "PAY_AMT1"},
}

var (
	taiwanFirstMonth = datasets.YMD(2005, time.April, 1)
	taiwanAsOf       = datasets.YMD(2005, time.October, 1)
	taiwanDefault    = datasets.YMD(2005, time.October, 31)
	taiwanUntil      = datasets.YMD(2005, time.November, 1)
)

var taiwanSchema = datasets.CustomerSchema{
	Numeric:     []string{"current_limit", "age"},
	Categorical: []string{"sex", "education", "marriage"},
}

type taiwanClient struct {
	row        int64
	customer   datasets.Customer
	statements [len(taiwanMonths)]datasets.Statement
	defaulted  bool
}

// UCITaiwan imports the UCI "default of credit card clients" dataset from
// in (train.csv or the full file in the same layout).
func UCITaiwan(ctx context.Context, in, outDir string) (Stats, error) {
	var stats Stats
	clients, err := readTaiwan(ctx, in)
	if err != nil {
		return stats, err
	}
	slices.SortFunc(clients, func(a, b taiwanClient) int { return datasets.CompareIDs(a.customer.CustomerID, b.customer.CustomerID) })
	for i := 1; i < len(clients); i++ {
		if a, b := &clients[i-1], &clients[i]; a.customer.CustomerID == b.customer.CustomerID {
			return stats, &datasets.InputError{File: in, Row: max(a.row, b.row), Column: "ID",
				Err: fmt.Errorf("%w: client %s is also on row %d", datasets.ErrDuplicate, a.customer.CustomerID, min(a.row, b.row))}
		}
	}

	customers := make([]datasets.Customer, len(clients))
	statements := make([]datasets.Statement, 0, len(clients)*len(taiwanMonths))
	observations := make([]datasets.Observation, len(clients))
	var defaults []datasets.Default
	for i := range clients {
		c := &clients[i]
		id := c.customer.CustomerID
		customers[i] = c.customer
		statements = append(statements, c.statements[:]...)
		observations[i] = datasets.Observation{CustomerID: id, AsOf: taiwanAsOf}
		if c.defaulted {
			defaults = append(defaults, datasets.Default{CustomerID: id, DefaultDate: taiwanDefault, Reason: "payment default"})
		}
	}

	b, err := newBook(outDir, datasets.Customers, datasets.Statements, datasets.Observations, datasets.Defaults)
	if err != nil {
		return stats, err
	}
	defer b.discard()
	if err := writeTable(b, datasets.Customers, customerWriter(taiwanSchema), customers); err != nil {
		return stats, err
	}
	if err := writeTable(b, datasets.Statements, datasets.NewStatementWriter, statements); err != nil {
		return stats, err
	}
	if err := writeTable(b, datasets.Observations, datasets.NewObservationWriter, observations); err != nil {
		return stats, err
	}
	if err := writeTable(b, datasets.Defaults, datasets.NewDefaultWriter, defaults); err != nil {
		return stats, err
	}
	meta := datasets.Meta{Name: "uci-taiwan", Currency: "TWD", ObservedUntil: taiwanUntil, Horizon: "1mo"}
	if err := b.commit(meta); err != nil {
		return stats, err
	}
	stats.Customers, stats.Statements = len(customers), len(statements)
	stats.Observations, stats.Defaults = len(observations), len(defaults)
	return stats, nil
}

func readTaiwan(ctx context.Context, path string) ([]taiwanClient, error) {
	r, err := openInput(ctx, path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	names := []string{"ID", "LIMIT_BAL", "SEX", "EDUCATION", "MARRIAGE", "AGE", "default.payment.next.month"}
	for _, m := range taiwanMonths {
		names = append(names, m.status, m.balance, m.payment)
	}
	col, err := r.columns(names...)
	if err != nil {
		return nil, err
	}
	const iID, iLimit, iSex, iEdu, iMar, iAge, iDefault, iMonths = 0, 1, 2, 3, 4, 5, 6, 7
	var periodEnds [len(taiwanMonths)]datasets.Date
	for k := range periodEnds {
		periodEnds[k] = taiwanFirstMonth.AddMonths(k).MonthEnd()
	}
	codes := interner{}
	var clients []taiwanClient
	for {
		ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return clients, nil
		}
		if r.row%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		c := taiwanClient{row: r.row}
		id, err := r.str(col[iID])
		if err != nil {
			return nil, err
		}
		limit, err := r.number(col[iLimit], false)
		if err != nil {
			return nil, err
		}
		limitAmount, err := r.amount(col[iLimit])
		if err != nil {
			return nil, err
		}
		age, err := r.number(col[iAge], false)
		if err != nil {
			return nil, err
		}
		c.customer = datasets.Customer{
			CustomerID:  strings.Clone(id),
			Numeric:     []float64{limit, age},
			Categorical: []string{codes.get(r.text(col[iSex])), codes.get(r.text(col[iEdu])), codes.get(r.text(col[iMar]))},
		}
		switch v := r.text(col[iDefault]); v {
		case "1":
			c.defaulted = true
		case "0":
		default:
			return nil, r.fail(col[iDefault], fmt.Errorf("%q is not a class (want 0 or 1)", v))
		}
		for k := range taiwanMonths {
			st := &c.statements[k]
			i := col[iMonths+3*k]
			pay, err := r.integer(i)
			if err != nil {
				return nil, err
			}
			// -2 no consumption, -1 paid in full, 0 revolving, 1–9 months late.
			if pay < -2 || pay > 9 {
				return nil, r.fail(i, fmt.Errorf("repayment status %d is out of range (want -2 to 9)", pay))
			}
			st.CustomerID = c.customer.CustomerID
			st.PeriodEnd = periodEnds[k]
			st.DaysPastDue = int32(max(pay, 0) * 30)
			st.Status = codes.get(r.text(i))
			if st.Balance, err = r.amount(col[iMonths+3*k+1]); err != nil {
				return nil, err
			}
			if st.Payment, err = r.amount(col[iMonths+3*k+2]); err != nil {
				return nil, err
			}
			st.CreditLimit = limitAmount
		}
		clients = append(clients, c)
	}
}
