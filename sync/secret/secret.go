// Package secret holds a string that never shows itself: in logs, errors,
// fmt verbs and JSON it prints as "[redacted]".
package secret

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

const redacted = "[redacted]"

// Value is a secret read from the config: `${NAME}` takes it from the
// environment, `file:/path` from a file (trailing newline trimmed), anything
// else is taken literally (discouraged: chiso check-config warns).
type Value struct {
	v      string
	source string // "env:NAME", "file:/path", "literal", ""
}

// New wraps a plain string (tests, simulators).
func New(s string) Value { return Value{v: s, source: "literal"} }

// Reveal returns the secret itself. Call it only where the value is sent.
func (s Value) Reveal() string { return s.v }

// IsSet reports whether a value was configured.
func (s Value) IsSet() bool { return s.v != "" }

// Source tells where the value came from, without revealing it.
func (s Value) Source() string { return s.source }

// Literal reports whether the secret was written in the config text itself.
func (s Value) Literal() bool { return s.source == "literal" }

func (s Value) String() string                { return redacted }
func (s Value) GoString() string              { return redacted }
func (s Value) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
func (s Value) LogValue() slog.Value          { return slog.StringValue(redacted) }

// MarshalJSON never reveals the value.
func (s Value) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// MarshalYAML never reveals the value.
func (s Value) MarshalYAML() (any, error) { return redacted, nil }

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// Resolve reads a `${NAME}`, `file:/path` or literal reference.
func Resolve(ref string) (Value, error) {
	ref = strings.TrimSpace(ref)
	if m := envRef.FindStringSubmatch(ref); m != nil {
		v, ok := os.LookupEnv(m[1])
		if !ok || v == "" {
			return Value{}, fmt.Errorf("environment variable %s is not set", m[1])
		}
		return Value{v: v, source: "env:" + m[1]}, nil
	}
	if path, ok := strings.CutPrefix(ref, "file:"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return Value{}, fmt.Errorf("secret file: %w", err)
		}
		return Value{v: strings.TrimRight(string(b), "\r\n"), source: "file:" + path}, nil
	}
	if ref == "" {
		return Value{}, nil
	}
	return Value{v: ref, source: "literal"}, nil
}

// UnmarshalYAML resolves the reference at load time, so a missing variable
// is a config error with the key's line.
func (s *Value) UnmarshalYAML(n *yaml.Node) error {
	// A *yaml.TypeError lets the decoder go on and report the other
	// problems of the file in the same pass.
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a secret must be a string like ${NAME} or file:/path", n.Line)}}
	}
	v, err := Resolve(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*s = v
	return nil
}
