package artifact

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/credence-risk/credence/features"
)

// The checksum is always the first key, so that it sits at a fixed offset.
const (
	checksumHead = "{\n  \"checksum\": \"sha256:"
	checksumTail = "\",\n"
	checksumLen  = 2 * sha256.Size
)

// document is the file's JSON object: the manifest and the payloads.
type document struct {
	Manifest
	FeatureSet json.RawMessage `json:"feature_set,omitempty"`
	Calibrator json.RawMessage `json:"calibrator,omitempty"`
	Model      json.RawMessage `json:"model"`
}

// Write writes a as one artifact file. Equal artifacts give equal bytes.
func Write(w io.Writer, a *Artifact) error {
	b, err := encode(a)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write artifact: %w", err)
	}
	return nil
}

// encode returns the file's bytes, checksum included.
func encode(a *Artifact) ([]byte, error) {
	if a == nil || a.Model == nil {
		return nil, errors.New("write artifact: no model")
	}
	family := a.Model.Family()
	if a.Family != "" && a.Family != family {
		return nil, fmt.Errorf("write artifact: family %q, but the model is %q", a.Family, family)
	}
	if err := checkStrings(a, family); err != nil {
		return nil, fmt.Errorf("write artifact: %w", err)
	}

	var e encoder
	e.buf.WriteString(checksumHead)
	e.buf.WriteString(strings.Repeat("0", checksumLen))
	e.buf.WriteByte('"') // the next key adds the ",\n" of checksumTail
	e.value("format", Format)
	if a.Version != "" {
		e.value("version", a.Version)
	}
	e.value("created", a.Created.UTC())
	e.value("family", family)
	if a.Credence != "" {
		e.value("credence", a.Credence)
	}
	e.value("features", len(a.Model.Features()))
	if a.FeatureSet != nil {
		e.value("feature_set_version", a.FeatureSet.Version)
	}
	if a.Calibrator != nil {
		e.value("calibration", a.Calibrator.Method())
	}
	if a.DataFingerprint != "" {
		e.value("data_fingerprint", a.DataFingerprint)
	}
	if len(a.Notes) > 0 {
		e.value("notes", a.Notes) // encoding/json sorts map keys
	}
	e.raw("metrics", a.Metrics)
	e.raw("training_config", a.TrainingConfig)
	e.raw("scale", a.Scale)
	if a.FeatureSet != nil {
		e.payload("feature_set", a.FeatureSet)
	}
	if a.Calibrator != nil {
		e.payload("calibrator", a.Calibrator)
	}
	e.payload("model", a.Model)
	e.buf.WriteString("\n}\n")
	if e.err != nil {
		return nil, fmt.Errorf("write artifact: %w", e.err)
	}

	b := e.buf.Bytes()
	sum := hex.EncodeToString(contentHash(b))
	copy(b[len(checksumHead):], sum)
	return b, nil
}

// checkStrings refuses text that JSON would not carry unchanged.
func checkStrings(a *Artifact, family string) error {
	check := func(what, s string) error {
		if !utf8.ValidString(s) {
			return fmt.Errorf("%s %q is not valid UTF-8", what, s)
		}
		return nil
	}
	errs := []error{
		check("version", a.Version), check("family", family),
		check("credence version", a.Credence), check("data fingerprint", a.DataFingerprint),
	}
	for _, k := range slices.Sorted(maps.Keys(a.Notes)) {
		errs = append(errs, check("note key", k), check("note "+k, a.Notes[k]))
	}
	return errors.Join(errs...)
}

// encoder writes the top-level keys one per line; the first error sticks.
type encoder struct {
	buf bytes.Buffer
	err error
}

func (e *encoder) key(k string) {
	e.buf.WriteString(",\n  \"")
	e.buf.WriteString(k)
	e.buf.WriteString("\": ")
}

// value writes v indented, for reading by eye.
func (e *encoder) value(k string, v any) {
	if e.err != nil {
		return
	}
	b, err := marshal(v)
	if err != nil {
		e.err = fmt.Errorf("%s: %w", k, err)
		return
	}
	e.indented(k, b)
}

func (e *encoder) indented(k string, b []byte) {
	e.key(k)
	var c bytes.Buffer
	if err := json.Compact(&c, b); err != nil {
		e.err = fmt.Errorf("%s: %w", k, err)
		return
	}
	indent(&e.buf, c.Bytes(), 1)
}

// indent writes the compact JSON src like json.Indent with two spaces,
// except that an array of scalars stays on one line: metric curves and
// grade bounds read better that way and keep the manifest short.
func indent(dst *bytes.Buffer, src []byte, depth int) {
	newline := func() {
		dst.WriteByte('\n')
		for range depth {
			dst.WriteString("  ")
		}
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			j := stringEnd(src, i)
			dst.Write(src[i:j])
			i = j - 1
		case '[', '{':
			if j := flatArrayEnd(src, i); j > 0 {
				inline(dst, src[i:j])
				i = j - 1
				continue
			}
			if src[i+1] == '}' {
				dst.WriteString("{}")
				i++
				continue
			}
			dst.WriteByte(c)
			depth++
			newline()
		case ']', '}':
			depth--
			newline()
			dst.WriteByte(c)
		case ',':
			dst.WriteByte(',')
			newline()
		case ':':
			dst.WriteString(": ")
		default:
			dst.WriteByte(c)
		}
	}
}

// stringEnd returns the index just past the JSON string starting at i.
func stringEnd(src []byte, i int) int {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(src)
}

// flatArrayEnd returns the index just past the array starting at i when
// it holds no object or array, else -1.
func flatArrayEnd(src []byte, i int) int {
	if src[i] != '[' {
		return -1
	}
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '"':
			j = stringEnd(src, j) - 1
		case '[', '{':
			return -1
		case ']':
			return j + 1
		}
	}
	return -1
}

// inline writes a flat compact array with a space after each comma.
func inline(dst *bytes.Buffer, src []byte) {
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			j := stringEnd(src, i)
			dst.Write(src[i:j])
			i = j - 1
		case ',':
			dst.WriteString(", ")
		default:
			dst.WriteByte(c)
		}
	}
}

// raw writes caller-supplied JSON indented; nothing when it is empty.
func (e *encoder) raw(k string, v json.RawMessage) {
	if e.err != nil {
		return
	}
	v, err := normalRaw(v)
	if err != nil {
		e.err = fmt.Errorf("%s: %w", k, err)
		return
	}
	if v != nil {
		e.indented(k, v)
	}
}

// payload writes v compact on one line.
func (e *encoder) payload(k string, v any) {
	if e.err != nil {
		return
	}
	b, err := marshal(v)
	if err != nil {
		e.err = fmt.Errorf("%s: %w", k, err)
		return
	}
	if string(b) == "null" {
		e.err = fmt.Errorf("%s: encodes as null", k)
		return
	}
	e.key(k)
	e.buf.Write(b)
}

// marshal is json.Marshal without HTML escaping, so text reads as written.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// normalRaw returns v compact, or nil for empty or null JSON.
func normalRaw(v json.RawMessage) (json.RawMessage, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return nil, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return b.Bytes(), nil
}

// contentHash is the SHA-256 of b without the checksum's hex digits.
func contentHash(b []byte) []byte {
	h := sha256.New()
	h.Write(b[:len(checksumHead)])
	h.Write(b[len(checksumHead)+checksumLen:])
	return h.Sum(nil)
}

// Read reads an artifact, verifying its checksum before decoding
// anything. The model is decoded by dec[family]; the calibrator, when
// there is one, by cal. It fails with an error wrapping ErrCorrupt when
// the file is not intact, features.ErrVersion when this build computes
// the feature set differently, ErrUnknownFamily when dec has no decoder
// for the model's family, and ErrFormat for a format it does not read.
func Read(r io.Reader, dec Decoders, cal CalibratorDecoder) (*Artifact, error) {
	b, err := readAll(r)
	if err != nil {
		return nil, err
	}
	d, err := open(b)
	if err != nil {
		return nil, err
	}
	return d.decode(dec, cal)
}

// ReadManifest reads an artifact's metadata, verifying its checksum, but
// decodes neither the model, the calibrator nor the feature set.
func ReadManifest(r io.Reader) (*Manifest, error) {
	b, err := readAll(r)
	if err != nil {
		return nil, err
	}
	d, err := open(b)
	if err != nil {
		return nil, err
	}
	return &d.Manifest, nil
}

func readAll(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read artifact: %w", err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("read artifact: larger than %d bytes", MaxSize)
	}
	return b, nil
}

// open verifies the checksum of b and parses it.
func open(b []byte) (*document, error) {
	start, end := len(checksumHead), len(checksumHead)+checksumLen
	if !bytes.HasPrefix(b, []byte(checksumHead)) || len(b) < end+len(checksumTail) ||
		string(b[end:end+len(checksumTail)]) != checksumTail || !isHex(b[start:end]) {
		return nil, fmt.Errorf("read artifact: %w: it does not begin with a checksum; not a Credence model file, or its first line was altered", ErrCorrupt)
	}
	stored := string(b[start:end])
	if got := hex.EncodeToString(contentHash(b)); got != stored {
		return nil, fmt.Errorf("read artifact: %w: checksum sha256:%s, content hashes to sha256:%s (the file was altered or truncated)", ErrCorrupt, stored, got)
	}
	var d document
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("read artifact: %w: checksum matches but the content is not an artifact: %v", ErrCorrupt, err)
	}
	if d.Format != Format {
		return nil, fmt.Errorf("read artifact: %w: %q (this build reads %q)", ErrFormat, d.Format, Format)
	}
	if len(d.Model) == 0 {
		return nil, fmt.Errorf("read artifact: %w: no model", ErrCorrupt)
	}
	var err error
	for _, r := range []*json.RawMessage{&d.Metrics, &d.TrainingConfig, &d.Scale} {
		if *r, err = normalRaw(*r); err != nil {
			return nil, fmt.Errorf("read artifact: %w", err)
		}
	}
	return &d, nil
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// decode decodes the payloads of a verified document.
func (d *document) decode(dec Decoders, cal CalibratorDecoder) (*Artifact, error) {
	name := "artifact"
	if d.Version != "" {
		name += " " + d.Version
	}
	a := &Artifact{
		Version:         d.Version,
		Created:         d.Created,
		Family:          d.Family,
		Scale:           d.Scale,
		TrainingConfig:  d.TrainingConfig,
		DataFingerprint: d.DataFingerprint,
		Metrics:         d.Metrics,
		Notes:           d.Notes,
		Credence:        d.Credence,
		Checksum:        d.Checksum,
	}

	if len(d.FeatureSet) > 0 {
		var s features.Set
		if err := json.Unmarshal(d.FeatureSet, &s); err != nil {
			return nil, fmt.Errorf("%s (written by Credence %s): %w", name, orUnknown(d.Credence), err)
		}
		if s.Version != d.FeatureSetVersion {
			return nil, fmt.Errorf("%s: feature set is %q, the manifest says %q", name, s.Version, d.FeatureSetVersion)
		}
		a.FeatureSet = &s
	}

	decode, ok := dec[d.Family]
	if !ok || decode == nil {
		known := slices.Sorted(maps.Keys(dec))
		if len(known) == 0 {
			known = []string{"none"}
		}
		return nil, fmt.Errorf("%s: %w %q (this build decodes: %s)", name, ErrUnknownFamily, d.Family, strings.Join(known, ", "))
	}
	m, err := decode(d.Model)
	if err != nil {
		return nil, fmt.Errorf("%s: decode %s model: %w", name, d.Family, err)
	}
	if m == nil {
		return nil, fmt.Errorf("%s: the %s decoder returned no model", name, d.Family)
	}
	if m.Family() != d.Family {
		return nil, fmt.Errorf("%s: the %s decoder returned a %q model", name, d.Family, m.Family())
	}
	if n := len(m.Features()); n != d.Features {
		return nil, fmt.Errorf("%s: the model reads %d features, the manifest says %d", name, n, d.Features)
	}
	a.Model = m

	if len(d.Calibrator) > 0 {
		if cal == nil {
			return nil, fmt.Errorf("%s: it has a %q calibrator but no calibrator decoder was given", name, d.Calibration)
		}
		c, err := cal(d.Calibrator)
		if err != nil {
			return nil, fmt.Errorf("%s: decode %q calibrator: %w", name, d.Calibration, err)
		}
		if c == nil {
			return nil, fmt.Errorf("%s: the calibrator decoder returned no calibrator", name)
		}
		if c.Method() != d.Calibration {
			return nil, fmt.Errorf("%s: decoded a %q calibrator, the manifest says %q", name, c.Method(), d.Calibration)
		}
		a.Calibrator = c
	}
	return a, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "of unknown version"
	}
	return s
}
