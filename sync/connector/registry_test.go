package connector

import (
	"context"
	"strings"
	"testing"
)

type nopConn struct{}

func (nopConn) Validate(Env) error               { return nil }
func (nopConn) Check(context.Context) error      { return nil }
func (nopConn) Sync(context.Context, Sink) error { return nil }

// Register keeps one entry per type with everything the config and the
// docs need, and refuses a duplicate or an entry without a constructor or,
// unless it is a receiver, a default schedule.
func TestRegister(t *testing.T) {
	newConn := func() Connector { return nopConn{} }
	Register(Type{Name: "registry-test", Title: "T", Sample: "connectors:\n", DefaultSchedule: "@every 2h", New: newConn})
	Register(Type{Name: "registry-test-receiver", Receiver: true, New: newConn})
	cases := []struct {
		name string
		typ  Type
		want string // panic message part; "" for none
	}{
		{"duplicate", Type{Name: "registry-test", DefaultSchedule: "@every 1h", New: newConn}, "registered twice"},
		{"no constructor", Type{Name: "registry-test-2", DefaultSchedule: "@every 1h"}, "without"},
		{"no schedule", Type{Name: "registry-test-3", New: newConn}, "without"},
		{"no name", Type{DefaultSchedule: "@every 1h", New: newConn}, "without"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tc.want) || r == nil {
					t.Errorf("panic %v, want one naming %q", r, tc.want)
				}
			}()
			Register(tc.typ)
		})
	}
	got, ok := Lookup("registry-test")
	if !ok || got.DefaultSchedule != "@every 2h" || got.Title != "T" || got.Sample != "connectors:\n" {
		t.Errorf("Lookup = %+v, %v", got, ok)
	}
	if c, ok := New("registry-test-receiver"); !ok || c == nil {
		t.Errorf("New of a receiver = %v, %v", c, ok)
	}
	if _, ok := New("registry-test-2"); ok {
		t.Error("a refused type is registered")
	}
	types := strings.Join(Types(), " ")
	if !strings.Contains(types, "registry-test registry-test-receiver") {
		t.Errorf("Types() = %s", types)
	}
}
