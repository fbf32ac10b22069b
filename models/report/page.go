package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/credence-risk/credence/models/numfmt"
)

// Every Credence report page (training, validation, rescoring) shares one
// head, style sheet and set of number formats: NewPage parses a page body
// with them. The body calls {{template "head" .Title}} first.

const pageHead = `{{define "head"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.15em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;font-size:.88em;margin:.5em 0} td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right;vertical-align:top}
th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
td.text{text-align:left;max-width:48em;overflow-wrap:anywhere}
table.params td{text-align:left} table.params td:first-child{font-family:ui-monospace,monospace;white-space:nowrap}
table.migration td{min-width:3.5em}
.light{padding:.1em .6em;border-radius:.8em;font-weight:600;color:#fff}
.green{background:#3a9e4f}.yellow{background:#d9a520}.red{background:#b8322f}.none,.unknown{background:#888}
.charts{display:flex;flex-wrap:wrap;gap:1em} figure{margin:0} figcaption{font-size:.85em;color:#444;max-width:440px}
.muted{color:#666;font-size:.9em} code{font-size:.9em;overflow-wrap:anywhere}
.champion{font-weight:700}
</style></head><body>{{end}}`

// NewPage parses body, a report page, with the shared head and the
// number formats every page uses:
//
//	f PREC x     x with PREC decimals        pct x      a share as a percentage
//	amount x     whole units, 1,234,567      count n    an integer, 1,234
//	pvalue x     "< 0.0001" below 0.0001      light s    a traffic-light badge
//	metric m     a Metric in its unit         params j   a JSON object as a key/value table
func NewPage(name, body string, funcs template.FuncMap) *template.Template {
	fm := template.FuncMap{
		"f":      func(prec int, x Num) string { return FormatFloat(float64(x), prec) },
		"pct":    func(x Num) string { return FormatPercent(float64(x)) },
		"amount": func(x Num) string { return FormatAmount(float64(x)) },
		"count":  func(n any) string { return FormatCount(n) },
		"pvalue": func(x Num) string { return FormatP(float64(x)) },
		"metric": FormatMetric,
		"params": paramsTable,
		"light": func(s string) template.HTML {
			if s == "" {
				s = "none"
			}
			return template.HTML(`<span class="light ` + template.HTMLEscapeString(s) + `">` + template.HTMLEscapeString(s) + `</span>`)
		},
		"migration": MigrationTable,
	}
	for k, f := range funcs {
		fm[k] = f
	}
	return template.Must(template.Must(template.New(name).Funcs(fm).Parse(pageHead)).Parse(body))
}

// FormatFloat writes x with prec decimals; "–" when it is not finite.
func FormatFloat(x float64, prec int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return strconv.FormatFloat(x, 'f', prec, 64)
}

// FormatPercent writes a share as a percentage with two decimals, more
// for small non-zero shares so they do not read as 0.00%.
func FormatPercent(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	prec := 2
	if a := math.Abs(100 * x); a > 0 && a < 0.01 {
		prec = min(6, 1+int(math.Ceil(-math.Log10(a))))
	}
	return strconv.FormatFloat(100*x, 'f', prec, 64) + "%"
}

// FormatP writes a p-value with four decimals, or "< 0.0001".
func FormatP(p float64) string {
	if !math.IsNaN(p) && p < 0.00005 {
		return "< 0.0001"
	}
	return FormatFloat(p, 4)
}

// FormatAmount writes x rounded to a unit with thousands separators.
func FormatAmount(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return numfmt.Grouped(x)
}

// FormatCount writes an integer of any Go integer type with thousands
// separators.
func FormatCount(n any) string {
	switch v := n.(type) {
	case int:
		return FormatAmount(float64(v))
	case int64:
		return FormatAmount(float64(v))
	case int32:
		return FormatAmount(float64(v))
	}
	return fmt.Sprint(n)
}

// Units of a Metric.
const (
	UnitCount  = "count"
	UnitAmount = "amount" // in the book's currency
	UnitShare  = "share"  // a fraction, shown as a percentage
	UnitIndex  = "index"  // a plain number (AUC, PSI): four decimals
	UnitP      = "p"      // a p-value: four decimals or "< 0.0001"
)

// FormatMetric writes a headline figure in its unit (UnitIndex when it
// has none).
func FormatMetric(m Metric) string {
	x := float64(m.Value)
	switch m.Unit {
	case UnitShare:
		return FormatPercent(x)
	case UnitP:
		return FormatP(x)
	case UnitCount, UnitAmount:
		return FormatAmount(x)
	}
	return FormatFloat(x, 4)
}

// param is one setting of a configuration as the page lists it.
type param struct{ Key, Value string }

// paramsTable renders a JSON object as a table of its settings, nested
// objects flattened to dotted keys, so a configuration wraps on the page
// instead of running off it as one line.
func paramsTable(raw json.RawMessage) template.HTML {
	ps := flattenParams(raw)
	if len(ps) == 0 {
		return "–"
	}
	var b strings.Builder
	b.WriteString(`<table class="params">`)
	for _, p := range ps {
		fmt.Fprintf(&b, `<tr><td>%s</td><td>%s</td></tr>`, template.HTMLEscapeString(p.Key), template.HTMLEscapeString(p.Value))
	}
	b.WriteString(`</table>`)
	return template.HTML(b.String())
}

func flattenParams(raw json.RawMessage) []param {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []param{{"(unreadable)", string(raw)}}
	}
	var out []param
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		obj, ok := v.(map[string]any)
		if !ok || len(obj) == 0 {
			var s string
			switch x := v.(type) {
			case string:
				s = x
			case nil:
				s = "none"
			default:
				b, _ := json.Marshal(x)
				s = strings.ReplaceAll(string(b), ",", ", ")
			}
			out = append(out, param{prefix, s})
			return
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			walk(key, obj[k])
		}
	}
	walk("", v)
	return out
}
