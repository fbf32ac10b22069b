package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// Settings come from, in order of precedence: the command line; the
// environment, CREDENCE_<COMMAND>_<NAME> (CREDENCE_RESCORE_OUT,
// CREDENCE_SYNTH_DELTA_OUT) then, for a shared setting, CREDENCE_<NAME>;
// the --config file, a key under the command's section (rescore: {out: x},
// synth: {delta: {out: y}}) then, for a shared setting, a top-level key;
// and the flag's default. Every value goes through the flag's own parser,
// so a value refused on the command line is refused from anywhere, with
// the key and its source named.

// sharedNames are the settings that mean the same to every command that
// has them, so that one top-level key or CREDENCE_<NAME> serves them all.
// A name only one command has is shared too; any other (out, addr, seed,
// as-of, insecure, token, ...) is set per command.
var sharedNames = map[string]bool{
	"registry": true, "book": true, "store": true, "store-cache-mib": true, "log-level": true,
	"workers": true, "tolerant": true, "horizon": true, "dpd-threshold": true, "derive-defaults": true,
	"plan-start": true, "plan-end": true, "plan-every": true, "limit-policy": true, "model": true,
	"on-red": true, "timeout": true, "tls-ca": true, "client-cert": true, "client-key": true, "max-reasons": true,
}

// secretNames are settings whose values `credence config` never prints.
var secretNames = map[string]bool{"token": true}

// settings are the configuration file and the environment, resolved
// against a command tree.
type settings struct {
	path string     // the --config file; "" when none
	file *yaml.Node // its top-level mapping; nil when none
	// owners lists the commands that have each flag name.
	owners map[string][]string
}

// configFlag is the persistent flag naming the configuration file.
const configFlag = "config"

// readSettings reads the --config file (or CREDENCE_CONFIG) and checks
// that each of its keys names a setting of some command.
func readSettings(root, cmd *cobra.Command) (*settings, error) {
	s := &settings{owners: map[string][]string{}}
	walk(root, func(c *cobra.Command) {
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" {
				s.owners[f.Name] = append(s.owners[f.Name], commandKey(c))
			}
		})
	})
	s.path, _ = cmd.Flags().GetString(configFlag)
	if s.path == "" {
		s.path = os.Getenv(envPrefix + "_CONFIG")
	}
	if s.path == "" {
		return s, nil
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		return nil, usagef("read config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, usagef("config %s: %w", s.path, err)
	}
	if len(doc.Content) == 0 {
		return s, nil // an empty file
	}
	if doc.Content[0].Kind != yaml.MappingNode {
		return nil, usagef("config %s: want a mapping of settings", s.path)
	}
	s.file = doc.Content[0]
	if err := s.check(root, s.file, ""); err != nil {
		return nil, usagef("config %s: %w", s.path, err)
	}
	return s, nil
}

// check refuses a key of section (the file's top level, or the section of
// command c) that names neither a setting nor a command.
func (s *settings) check(c *cobra.Command, section *yaml.Node, prefix string) error {
	for i := 0; i+1 < len(section.Content); i += 2 {
		key, val := section.Content[i].Value, section.Content[i+1]
		if sub := subcommand(c, key); sub != nil && val.Kind == yaml.MappingNode {
			if err := s.check(sub, val, prefix+key+"."); err != nil {
				return err
			}
			continue
		}
		if !c.HasParent() {
			owners := s.owners[key]
			switch {
			case len(owners) == 0:
				return fmt.Errorf("unknown setting %q", key)
			case !s.shared(key):
				return fmt.Errorf("setting %q means different things to %s: put it under one of them, e.g. %s: {%s: ...}",
					key, strings.Join(owners, ", "), owners[0], key)
			}
		} else if c.Flags().Lookup(key) == nil && !(c.Name() == "train" && !c.Parent().HasParent()) {
			// The train section also holds the training configuration.
			return fmt.Errorf("unknown setting %q for %s", prefix+key, c.CommandPath())
		}
		if val.Kind == yaml.MappingNode {
			if c.Name() == "train" {
				continue // a section of the training configuration
			}
			return fmt.Errorf("%s%s: want a value, not a mapping", prefix, key)
		}
	}
	return nil
}

// shared reports whether a top-level key and CREDENCE_<NAME> set name.
func (s *settings) shared(name string) bool {
	return sharedNames[name] || len(s.owners[name]) == 1
}

// commandKey is a command's path below the root, words joined by spaces.
func commandKey(c *cobra.Command) string {
	return strings.Join(commandWords(c), " ")
}

func commandWords(c *cobra.Command) []string {
	var words []string
	for ; c != nil && c.HasParent(); c = c.Parent() {
		words = append([]string{c.Name()}, words...)
	}
	return words
}

func subcommand(c *cobra.Command, name string) *cobra.Command {
	for _, sub := range c.Commands() {
		if sub.Name() == name {
			return sub
		}
	}
	return nil
}

// envName is the environment variable of a setting: CREDENCE_<WORDS>_<NAME>.
func envName(words []string, name string) string {
	parts := append([]string{envPrefix}, words...)
	parts = append(parts, name)
	return strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(strings.Join(parts, "_")))
}

// lookup finds the value of flag name of the command with the given
// words, and says where it came from; found is false when only the
// default applies.
func (s *settings) lookup(words []string, name string) (value, source string, found bool, err error) {
	env := envName(words, name)
	if v, ok := os.LookupEnv(env); ok {
		return v, "environment " + env, true, nil
	}
	if env := envName(nil, name); s.shared(name) {
		if v, ok := os.LookupEnv(env); ok {
			return v, "environment " + env, true, nil
		}
	}
	if s.file == nil {
		return "", "", false, nil
	}
	section := s.file
	for _, w := range words {
		if section = mappingValue(section, w, yaml.MappingNode); section == nil {
			break
		}
	}
	key := strings.Join(append(slices.Clone(words), name), ".")
	if section != nil {
		if node := mappingValue(section, name, 0); node != nil {
			v, err := nodeText(node)
			return v, "config " + s.path + " key " + key, true, err
		}
	}
	if s.shared(name) {
		if node := mappingValue(s.file, name, 0); node != nil && node.Kind != yaml.MappingNode {
			v, err := nodeText(node)
			return v, "config " + s.path + " key " + name, true, err
		}
	}
	return "", "", false, nil
}

// mappingValue returns the value of key in mapping m, of the given kind
// when kind is not 0; nil when absent.
func mappingValue(m *yaml.Node, key string, kind yaml.Kind) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && (kind == 0 || m.Content[i+1].Kind == kind) {
			return m.Content[i+1]
		}
	}
	return nil
}

// nodeText is a YAML value as a flag would get it on the command line: a
// scalar's text, a list's items joined by commas.
func nodeText(n *yaml.Node) (string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value, nil
	case yaml.SequenceNode:
		items := make([]string, len(n.Content))
		for i, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return "", fmt.Errorf("want a list of values")
			}
			items[i] = item.Value
		}
		return strings.Join(items, ","), nil
	case yaml.AliasNode:
		return nodeText(n.Alias)
	default:
		return "", fmt.Errorf("want a value, not a mapping")
	}
}

// apply sets every flag of c that the command line left unset from the
// environment or the file, through the flag's own parser, and records
// each value's source in sources (by flag name) when it is not nil.
func (s *settings) apply(c *cobra.Command, sources map[string]string, warn func(string)) error {
	words := commandWords(c)
	var errs []error
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name == configFlag || f.Name == "help" {
			return
		}
		if f.Changed {
			if sources != nil {
				sources[f.Name] = "flag"
			}
			return
		}
		v, src, found, err := s.lookup(words, f.Name)
		if err == nil && found {
			err = c.Flags().Set(f.Name, v)
		}
		if err != nil {
			errs = append(errs, usagef("%s: %w", src, err))
			return
		}
		if !found {
			if env := envName(nil, f.Name); !s.shared(f.Name) && warn != nil {
				if _, ok := os.LookupEnv(env); ok {
					warn(fmt.Sprintf("%s is not read: %s means different things to %s; set %s", env, f.Name,
						strings.Join(s.owners[f.Name], ", "), envName(words, f.Name)))
				}
			}
			src = "default"
		}
		if sources != nil {
			sources[f.Name] = src
		}
	})
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// trainSection returns the training configuration of the file's train
// section as JSON: its keys that are not flags of the train command; nil
// when there is none.
func (s *settings) trainSection(train *cobra.Command) ([]byte, error) {
	if s.file == nil {
		return nil, nil
	}
	node := mappingValue(s.file, "train", yaml.MappingNode)
	if node == nil {
		return nil, nil
	}
	var section map[string]any
	if err := node.Decode(&section); err != nil {
		return nil, fmt.Errorf("config %s: train: %w", s.path, err)
	}
	for k := range section {
		if train.Flags().Lookup(k) != nil {
			delete(section, k)
		}
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(section); err != nil {
		return nil, fmt.Errorf("config %s: train: %w", s.path, err)
	}
	return buf.Bytes(), nil
}
