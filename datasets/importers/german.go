package importers

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/credence-risk/credence/datasets"
)

// germanAttributes names german.data's 20 attributes in file order, as
// german.doc describes them. Numeric ones are numbers; the others are codes
// A<attribute number><value> ("A11", "A410"), kept verbatim.
var germanAttributes = [...]struct {
	name    string
	numeric bool
}{
	{"checking_status", false},
	{"duration_months", true},
	{"credit_history", false},
	{"purpose", false},
	{"credit_amount", true},
	{"savings", false},
	{"employment_since", false},
	{"installment_rate", true},
	{"personal_status_sex", false},
	{"other_debtors", false},
	{"residence_since", true},
	{"property", false},
	{"age", true},
	{"other_installment_plans", false},
	{"housing", false},
	{"existing_credits", true},
	{"job", false},
	{"people_liable", true},
	{"telephone", false},
	{"foreign_worker", false},
}

// germanClass is the column after the attributes: 1 good, 2 bad.
const germanClass = "class"

// The nominal dates of the german book: the data carry none.
var (
	germanAsOf    = datasets.YMD(2000, time.January, 1)
	germanDefault = datasets.YMD(2000, time.December, 31)
	germanUntil   = datasets.YMD(2001, time.January, 1)
)

// germanSchema lists the numeric attributes, then requested_limit (a copy
// of credit_amount under the name Credence gives a meaning), and the
// categorical ones.
func germanSchema() datasets.CustomerSchema {
	var s datasets.CustomerSchema
	for _, a := range germanAttributes {
		if a.numeric {
			s.Numeric = append(s.Numeric, a.name)
		} else {
			s.Categorical = append(s.Categorical, a.name)
		}
	}
	s.Numeric = append(s.Numeric, "requested_limit")
	return s
}

// German imports the Statlog German credit data from in (german.data).
func German(ctx context.Context, in, outDir string) (Stats, error) {
	var stats Stats
	schema := germanSchema()
	customers, bad, err := readGerman(ctx, in, schema)
	if err != nil {
		return stats, err
	}
	// Zero-padded row numbers sort byte-wise in row order.
	width := max(4, len(strconv.Itoa(len(customers))))
	observations := make([]datasets.Observation, len(customers))
	var defaults []datasets.Default
	for i := range customers {
		id := fmt.Sprintf("%0*d", width, i+1)
		customers[i].CustomerID = id
		observations[i] = datasets.Observation{CustomerID: id, AsOf: germanAsOf}
		if bad[i] {
			defaults = append(defaults, datasets.Default{CustomerID: id, DefaultDate: germanDefault, Reason: "bad credit"})
		}
	}

	b, err := newBook(outDir, datasets.Customers, datasets.Observations, datasets.Defaults)
	if err != nil {
		return stats, err
	}
	defer b.discard()
	if err := writeTable(b, datasets.Customers, customerWriter(schema), customers); err != nil {
		return stats, err
	}
	if err := writeTable(b, datasets.Observations, datasets.NewObservationWriter, observations); err != nil {
		return stats, err
	}
	if err := writeTable(b, datasets.Defaults, datasets.NewDefaultWriter, defaults); err != nil {
		return stats, err
	}
	// Amounts are in Deutsche Mark, as german.doc states.
	meta := datasets.Meta{Name: "german", Currency: "DEM", ObservedUntil: germanUntil, Horizon: "12mo"}
	if err := b.commit(meta); err != nil {
		return stats, err
	}
	stats.Customers, stats.Observations, stats.Defaults = len(customers), len(observations), len(defaults)
	return stats, nil
}

// readGerman reads the customers of german.data, without IDs, and whether
// each is bad.
func readGerman(ctx context.Context, path string, schema datasets.CustomerSchema) ([]datasets.Customer, []bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	codes := interner{}
	requested, amount := schema.NumericIndex("requested_limit"), schema.NumericIndex("credit_amount")
	var customers []datasets.Customer
	var bad []bool
	sc := bufio.NewScanner(f)
	for row := int64(1); sc.Scan(); row++ {
		if row%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		fail := func(column string, err error) error {
			return &datasets.InputError{File: path, Row: row, Column: column, Err: err}
		}
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			row-- // a blank line (the file's last, typically) holds no data row
			continue
		}
		if len(fields) != len(germanAttributes)+1 {
			column := ""
			if len(fields) < len(germanAttributes) {
				column = germanAttributes[len(fields)].name
			} else if len(fields) == len(germanAttributes) {
				column = germanClass
			}
			return nil, nil, fail(column, fmt.Errorf("%d fields; want %d attributes and the class", len(fields), len(germanAttributes)))
		}
		c := datasets.Customer{
			Numeric:     make([]float64, len(schema.Numeric)),
			Categorical: make([]string, len(schema.Categorical)),
		}
		nNum, nCat := 0, 0
		for j, a := range germanAttributes {
			v := fields[j]
			if a.numeric {
				x, err := strconv.ParseFloat(v, 64)
				if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
					return nil, nil, fail(a.name, fmt.Errorf("%q is not a number", v))
				}
				c.Numeric[nNum] = x
				nNum++
				continue
			}
			// A code of attribute n is "A" n and one or more digits: a value
			// in the wrong column does not pass.
			prefix := "A" + strconv.Itoa(j+1)
			if rest, ok := strings.CutPrefix(v, prefix); !ok || rest == "" || strings.Trim(rest, "0123456789") != "" {
				return nil, nil, fail(a.name, fmt.Errorf("%q is not a code of attribute %d (want %s followed by digits)", v, j+1, prefix))
			}
			c.Categorical[nCat] = codes.get(v)
			nCat++
		}
		c.Numeric[requested] = c.Numeric[amount]
		switch v := fields[len(germanAttributes)]; v {
		case "1":
			bad = append(bad, false)
		case "2":
			bad = append(bad, true)
		default:
			return nil, nil, fail(germanClass, fmt.Errorf("%q is not a class (want 1 good or 2 bad)", v))
		}
		customers = append(customers, c)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	return customers, bad, nil
}
