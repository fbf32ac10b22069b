package importers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/credence-risk/credence/datasets"
)

var ibmARSchema = datasets.CustomerSchema{Categorical: []string{"country", "paperless"}}

// ibmARInvoice is an invoice with the customer attributes its row carries.
type ibmARInvoice struct {
	row       int64
	invoice   datasets.Invoice
	country   string
	paperless string
}

// IBMAR imports IBM's sample accounts-receivable ledger
// (WA_Fn-UseC_-Accounts-Receivable.csv) from the file in.
func IBMAR(ctx context.Context, in, outDir string) (Stats, error) {
	var stats Stats
	rows, err := readIBMAR(ctx, in)
	if err != nil {
		return stats, err
	}
	slices.SortFunc(rows, func(a, b ibmARInvoice) int {
		return cmp.Or(datasets.CompareIDs(a.invoice.CustomerID, b.invoice.CustomerID),
			cmp.Compare(a.invoice.IssueDate, b.invoice.IssueDate),
			strings.Compare(a.invoice.InvoiceID, b.invoice.InvoiceID))
	})

	invoices := make([]datasets.Invoice, len(rows))
	var customers []datasets.Customer
	seen := map[string]int64{} // invoice ID of the current customer → row
	observedUntil := datasets.NoDate
	for i := range rows {
		r := &rows[i]
		inv := r.invoice
		invoices[i] = inv
		if i == 0 || inv.CustomerID != rows[i-1].invoice.CustomerID {
			// The earliest invoice gives the customer's attributes: see the
			// package documentation.
			customers = append(customers, datasets.Customer{CustomerID: inv.CustomerID, Categorical: []string{r.country, r.paperless}})
			clear(seen)
		}
		if first, dup := seen[inv.InvoiceID]; dup {
			return stats, &datasets.InputError{File: in, Row: max(first, r.row), Column: "invoiceNumber",
				Err: fmt.Errorf("%w: invoice %s of customer %s is also on row %d", datasets.ErrDuplicate, inv.InvoiceID, inv.CustomerID, min(first, r.row))}
		}
		seen[inv.InvoiceID] = r.row
		observedUntil = max(observedUntil, inv.IssueDate, inv.DueDate, inv.PaidDate)
	}

	b, err := newBook(outDir, datasets.Invoices, datasets.Customers)
	if err != nil {
		return stats, err
	}
	defer b.discard()
	if err := writeTable(b, datasets.Invoices, datasets.NewInvoiceWriter, invoices); err != nil {
		return stats, err
	}
	if err := writeTable(b, datasets.Customers, customerWriter(ibmARSchema), customers); err != nil {
		return stats, err
	}
	meta := datasets.Meta{Name: "ibm-ar", Currency: "USD", ObservedUntil: observedUntil}
	if err := b.commit(meta); err != nil {
		return stats, err
	}
	stats.Invoices, stats.Customers = len(invoices), len(customers)
	return stats, nil
}

func readIBMAR(ctx context.Context, path string) ([]ibmARInvoice, error) {
	r, err := openInput(ctx, path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	col, err := r.columns("customerID", "invoiceNumber", "InvoiceDate", "DueDate", "InvoiceAmount",
		"SettledDate", "Disputed", "countryCode", "PaperlessBill")
	if err != nil {
		return nil, err
	}
	const iCustomer, iInvoice, iIssue, iDue, iAmount, iSettled, iDisputed, iCountry, iPaperless = 0, 1, 2, 3, 4, 5, 6, 7, 8
	values := interner{}
	var rows []ibmARInvoice
	for {
		ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return rows, nil
		}
		if r.row%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var inv datasets.Invoice
		customer, err := r.str(col[iCustomer])
		if err != nil {
			return nil, err
		}
		inv.CustomerID = values.get(customer)
		invoiceID, err := r.str(col[iInvoice])
		if err != nil {
			return nil, err
		}
		inv.InvoiceID = strings.Clone(invoiceID)
		if inv.IssueDate, err = r.usDate(col[iIssue], false); err != nil {
			return nil, err
		}
		if inv.DueDate, err = r.usDate(col[iDue], false); err != nil {
			return nil, err
		}
		if inv.DueDate < inv.IssueDate {
			return nil, r.fail(col[iDue], fmt.Errorf("%w (%s < %s)", datasets.ErrDueBeforeIssue, inv.DueDate, inv.IssueDate))
		}
		if inv.Amount, err = r.amount(col[iAmount]); err != nil {
			return nil, err
		}
		if inv.Amount <= 0 {
			return nil, r.fail(col[iAmount], fmt.Errorf("%w, got %s", datasets.ErrNotPositive, inv.Amount))
		}
		if inv.PaidDate, err = r.usDate(col[iSettled], true); err != nil {
			return nil, err
		}
		inv.PaidAmount = datasets.NoAmount // paid in full when settled
		switch d := r.text(col[iDisputed]); strings.ToLower(d) {
		case "yes":
			inv.Disputed = true
		case "no":
		default:
			return nil, r.fail(col[iDisputed], fmt.Errorf("%q is not Yes or No", d))
		}
		rows = append(rows, ibmARInvoice{
			row:       r.row,
			invoice:   inv,
			country:   values.get(r.text(col[iCountry])),
			paperless: values.get(r.text(col[iPaperless])),
		})
	}
}
