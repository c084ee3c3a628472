package warehousetest

import (
	"bytes"
	"context"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"chiso/warehouse"
)

// DumpData returns every row of the store's database as pg_dump
// --data-only prints it, followed by the decoded contents of every bytea
// value (pg_dump prints those as hex) and a copy of the whole text with
// JSON \uXXXX escapes decoded, so that a search for a string finds it
// wherever and however the warehouse holds it. The store must be one of
// this package's test databases (New or NewDatabase).
func DumpData(t testing.TB, st *warehouse.Store) string {
	t.Helper()
	var name string
	if err := st.DB.QueryRowContext(context.Background(), `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatalf("warehousetest: dump: current database: %v", err)
	}
	return DumpDSN(t, Cluster(t).DSN(name))
}

// DumpDSN is DumpData for a database given by its DSN.
func DumpDSN(t testing.TB, dsn string) string {
	t.Helper()
	bin, err := warehouse.FindBinaries()
	if err != nil {
		t.Fatalf("warehousetest: dump: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "pg_dump"), "--data-only", "--no-owner", "--no-privileges", "-d", dsn)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("warehousetest: pg_dump: %v: %s", err, stderr.String())
	}
	if stdout.Len() == 0 {
		t.Fatal("warehousetest: pg_dump printed nothing")
	}
	return DecodeDump(stdout.String())
}

// byteaHex matches a bytea value in pg_dump's COPY text ("\\x" then hex;
// the backslash is doubled by COPY's own escaping).
var byteaHex = regexp.MustCompile(`\\\\x([0-9a-fA-F]+)`)

// jsonEscape matches a JSON \uXXXX escape.
var jsonEscape = regexp.MustCompile(`\\u[0-9a-fA-F]{4}(\\u[dD][c-fC-F][0-9a-fA-F]{2})?`)

// DecodeDump appends to a pg_dump text the decoded bytea values, and then
// the whole text again with JSON \uXXXX escapes decoded.
func DecodeDump(dump string) string {
	var b strings.Builder
	b.WriteString(dump)
	b.WriteString("\n-- decoded bytea values\n")
	for _, m := range byteaHex.FindAllStringSubmatch(dump, -1) {
		h := m[1]
		if len(h)%2 == 1 {
			h = h[:len(h)-1]
		}
		raw, err := hex.DecodeString(h)
		if err != nil {
			continue
		}
		b.Write(bytes.ToValidUTF8(raw, []byte("\uFFFD")))
		b.WriteByte('\n')
	}
	all := b.String()
	b.WriteString("\n-- JSON escapes decoded\n")
	b.WriteString(jsonEscape.ReplaceAllStringFunc(all, func(e string) string {
		s, err := strconv.Unquote(`"` + e + `"`)
		if err != nil || !utf8.ValidString(s) {
			return e
		}
		return s
	}))
	return b.String()
}

// AssertAbsent fails the test for every needle found in haystack (a dump,
// logs); what names the haystack in the message. The test is only as good
// as its needles: give distinctive strings (a name, an ID number, a phone).
func AssertAbsent(t testing.TB, what, haystack string, needles ...string) {
	t.Helper()
	if haystack == "" {
		t.Errorf("%s: empty: nothing was looked at", what)
	}
	for _, n := range needles {
		if n == "" {
			t.Errorf("%s: empty needle", what)
			continue
		}
		if i := strings.Index(haystack, n); i >= 0 {
			lo, hi := max(0, i-120), min(len(haystack), i+len(n)+120)
			t.Errorf("%s holds %q: …%s…", what, n, strings.ToValidUTF8(haystack[lo:hi], "?"))
		}
	}
}
