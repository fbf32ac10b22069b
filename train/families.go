package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/blend"
	"github.com/credence-risk/credence/models/catalog"
)

// Families names the model families training can fit, in the order it
// fits them: those models/catalog registers.
var Families = catalog.Names()

func defaultFeatures() features.Config { return features.DefaultConfig() }

// defaultFamilyConfigs is every registered family's Default.
func defaultFamilyConfigs() map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	for _, f := range catalog.Families() {
		m[f.Name] = f.Default()
	}
	return m
}

// familyConfig returns the configuration cfg gives family name, its
// family's Default when cfg gives none.
func familyConfig(cfg Config, name string) json.RawMessage {
	if raw, ok := cfg.FamilyConfig[name]; ok {
		return raw
	}
	if f, ok := catalog.Lookup(name); ok {
		return f.Default()
	}
	return nil
}

// lookupFamily returns the registered family called name.
func lookupFamily(name string) (models.Family, error) {
	f, ok := catalog.Lookup(name)
	if !ok {
		return models.Family{}, fmt.Errorf("unknown family %q (want one of %s)", name, strings.Join(catalog.Names(), ", "))
	}
	return f, nil
}

// marshalHyper returns the champion family's configuration; a blend's
// is its members' by family.
func marshalHyper(family string, cfg Config) ([]byte, error) {
	if family == blend.Name {
		members := map[string]json.RawMessage{}
		for _, fam := range blendFamilies {
			members[fam] = familyConfig(cfg, fam)
		}
		return json.Marshal(members)
	}
	return familyConfig(cfg, family), nil
}

// configFields is Config without its JSON methods.
type configFields Config

// MarshalJSON writes the configuration with each family's configuration
// under a key named for the family, after the other fields: registered
// families in training order, then any others by name.
func (c Config) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(configFields(c))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Write(bytes.TrimSuffix(b, []byte("}")))
	for _, name := range familyOrder(c.FamilyConfig) {
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(name)
		buf.Write(key)
		buf.WriteByte(':')
		raw := c.FamilyConfig[name]
		if len(bytes.TrimSpace(raw)) == 0 {
			raw = json.RawMessage("null")
		}
		if err := json.Compact(&buf, raw); err != nil {
			return nil, fmt.Errorf("%s configuration: %w", name, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// familyOrder lists the names of configs: registered families in
// training order, then the others sorted.
func familyOrder(configs map[string]json.RawMessage) []string {
	var names, others []string
	for _, name := range catalog.Names() {
		if _, ok := configs[name]; ok {
			names = append(names, name)
		}
	}
	for name := range configs {
		if !slices.Contains(names, name) {
			others = append(others, name)
		}
	}
	slices.Sort(others)
	return append(names, others...)
}

// UnmarshalJSON reads a configuration as MarshalJSON writes it, over c: a
// family's section is merged into the configuration c already holds for
// it, key by key, as encoding/json decodes into a struct. Unknown keys are
// ignored, so that the configuration stored in any artifact stays
// readable; DecodeConfig rejects them.
func (c *Config) UnmarshalJSON(b []byte) error { return c.decode(b, false) }

// DecodeConfig reads JSON over cfg as Config's UnmarshalJSON does, but
// rejects keys that are neither a Config field nor a registered family,
// and configurations a family's trainer does not accept.
func DecodeConfig(b []byte, cfg *Config) error { return cfg.decode(b, true) }

func (c *Config) decode(b []byte, strict bool) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	if keys == nil { // null
		return nil
	}
	fields := map[string]json.RawMessage{}
	sections := map[string]json.RawMessage{}
	for k, v := range keys {
		if f, ok := lookupFold(k); ok {
			sections[f.Name] = v
		} else {
			fields[k] = v
		}
	}
	rest, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode((*configFields)(c)); err != nil {
		return err
	}
	if len(sections) == 0 {
		return nil
	}
	c.FamilyConfig = maps.Clone(c.FamilyConfig)
	if c.FamilyConfig == nil {
		c.FamilyConfig = map[string]json.RawMessage{}
	}
	for name, raw := range sections {
		merged, err := mergeJSON(c.FamilyConfig[name], raw)
		if err != nil {
			return fmt.Errorf("%s configuration: %w", name, err)
		}
		if strict {
			f, _ := catalog.Lookup(name)
			if _, err := f.Trainer(merged, 0); err != nil {
				return err
			}
		}
		c.FamilyConfig[name] = merged
	}
	return nil
}

// lookupFold returns the registered family whose name is key, ignoring
// case as encoding/json matches field names.
func lookupFold(key string) (models.Family, bool) {
	if f, ok := catalog.Lookup(key); ok {
		return f, true
	}
	for _, f := range catalog.Families() {
		if strings.EqualFold(f.Name, key) {
			return f, true
		}
	}
	return models.Family{}, false
}

// mergeJSON lays over on base as encoding/json decodes over a value: the
// keys of an object replace base's (matched ignoring case), objects within
// objects merge, anything else replaces base; a null section leaves base
// as it is.
func mergeJSON(base, over json.RawMessage) (json.RawMessage, error) {
	over = bytes.TrimSpace(over)
	if len(over) == 0 || bytes.Equal(over, []byte("null")) {
		return base, nil
	}
	var b, o map[string]json.RawMessage
	if json.Unmarshal(base, &b) != nil || b == nil || json.Unmarshal(over, &o) != nil || o == nil {
		return slices.Clone(over), nil
	}
	for k, v := range o {
		bk, ok := k, false
		if _, ok = b[k]; !ok {
			for name := range b {
				if strings.EqualFold(name, k) {
					bk, ok = name, true
					break
				}
			}
		}
		if ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			merged, err := mergeJSON(b[bk], v)
			if err != nil {
				return nil, err
			}
			v = merged
		}
		delete(b, bk)
		b[k] = v
	}
	return json.Marshal(b)
}
