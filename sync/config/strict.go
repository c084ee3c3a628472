package config

import (
	"fmt"
	"reflect"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// unknownKeys walks node against the yaml tags of t and reports keys that
// t does not have, with their lines. yaml.Node.Decode has no KnownFields
// switch, so strictness is checked here, before decoding.
func unknownKeys(n *yaml.Node, t reflect.Type, path string, report func(line int, key, msg string)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n == nil {
		return
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if t == reflect.TypeOf(yaml.Node{}) {
		return // decoded later, by its own rules
	}
	if _, ok := reflect.New(t).Interface().(yaml.Unmarshaler); ok {
		return // the type checks its own shape
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type error; Decode reports it
		}
		fields := yamlFields(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := join(path, k.Value)
			if seen[k.Value] {
				report(k.Line, key, "duplicate key")
			}
			seen[k.Value] = true
			ft, ok := fields[k.Value]
			if !ok {
				report(k.Line, key, fmt.Sprintf("unknown key (known keys: %s)", strings.Join(sortedKeys(fields), ", ")))
				continue
			}
			unknownKeys(v, ft, key, report)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			unknownKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), report)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			unknownKeys(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), report)
		}
	}
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if strings.Contains(opts, "inline") || (f.Anonymous && tag == "") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decodeErrors splits a yaml decode error into (line, message) pairs.
func decodeErrors(err error) []string {
	if te, ok := err.(*yaml.TypeError); ok {
		return te.Errors
	}
	return []string{err.Error()}
}

// lineOf extracts N from a "line N: …" yaml message.
func lineOf(msg string, fallback int) (int, string) {
	var n int
	rest := msg
	if strings.HasPrefix(msg, "yaml: ") {
		rest = strings.TrimPrefix(msg, "yaml: ")
	}
	if _, err := fmt.Sscanf(rest, "line %d:", &n); err == nil && n > 0 {
		_, after, _ := strings.Cut(rest, ":")
		return n, strings.TrimSpace(after)
	}
	return fallback, rest
}
