package warehouse_test

import (
	"context"
	"strings"
	"testing"

	"chiso/warehouse"
)

// Every password in either DSN form is redacted, also when Go's URL
// parser would reject the DSN.
func TestRedactDSN(t *testing.T) {
	cases := []struct{ in, want string }{
		{"postgres://chiso:pa ss%@db.xa.local/chiso?sslmode=require", "postgres://chiso:[redacted]@db.xa.local/chiso?sslmode=require"},
		{"postgresql://chiso:p@ss@db/chiso", "postgresql://chiso:[redacted]@db/chiso"},
		{"postgres://chiso@db/chiso?password=x y&sslmode=require", "postgres://chiso@db/chiso?password=[redacted]&sslmode=require"},
		{"postgres://db/chiso", "postgres://db/chiso"},
		{"host=db user=chiso password=pa%zz dbname=chiso", "host=db user=chiso password=[redacted] dbname=chiso"},
		{"host=db password='a b\\' c' dbname=chiso", "host=db password=[redacted] dbname=chiso"},
		{"host=db PASSWORD = secret sslpassword=k2", "host=db PASSWORD = [redacted] sslpassword=[redacted]"},
		{"host=/run/chiso port=5432 user=chiso dbname=chiso", "host=/run/chiso port=5432 user=chiso dbname=chiso"},
	}
	for _, c := range cases {
		if got := warehouse.RedactDSN(c.in); got != c.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A DSN that the driver cannot parse, or that names a server that is not
// there, fails Open and CheckDSN with an error that holds no password.
func TestOpenErrorsHoldNoPassword(t *testing.T) {
	cases := []struct {
		dsn, secret string
		parse       bool // CheckDSN rejects it
	}{
		{"postgres://chiso:Zq9 secret@127.0.0.1:1/chiso?connect_timeout=1", "Zq9 secret", true},
		{"postgres://chiso:Zq9%zzsecret@127.0.0.1:1/chiso?connect_timeout=1", "Zq9%zzsecret", true},
		{"postgres://chiso:Zq9secret@127.0.0.1:1/chiso?connect_timeout=1&sslmode=disable", "Zq9secret", false},
		{"host=127.0.0.1 port=1 user=chiso password='Zq9 secret' dbname=chiso sslmode=disable connect_timeout=1", "Zq9", false},
	}
	for _, c := range cases {
		err := warehouse.CheckDSN(c.dsn)
		if (err != nil) != c.parse {
			t.Errorf("CheckDSN(%s): %v", warehouse.RedactDSN(c.dsn), err)
		}
		if err != nil && strings.Contains(err.Error(), c.secret) {
			t.Errorf("CheckDSN error shows the password: %v", err)
		}
		_, err = warehouse.Open(context.Background(), c.dsn)
		if err == nil {
			t.Fatalf("Open(%s) succeeded", warehouse.RedactDSN(c.dsn))
		}
		if strings.Contains(err.Error(), "Zq9") {
			t.Errorf("Open error shows the password: %v", err)
		}
	}
}
