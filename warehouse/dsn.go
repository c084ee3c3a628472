package warehouse

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/lib/pq"
)

const redactedSecret = "[redacted]"

// kvPassword matches a password in a key=value DSN: quoted ('…', with \'
// escapes) or bare up to the next blank.
var kvPassword = regexp.MustCompile(`(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s]*)`)

// urlQueryPassword matches a password given as a URL query parameter.
var urlQueryPassword = regexp.MustCompile(`(?i)([?&](?:ssl)?password=)[^&#]*`)

// RedactDSN returns dsn with every password replaced by [redacted], for
// both forms lib/pq accepts (postgres://user:pw@host/db?password=… and
// host=… password=…), without parsing it the way the driver does: a DSN
// that the driver rejects (a space or a stray % in the password) is
// redacted too.
func RedactDSN(dsn string) string {
	if scheme, rest, ok := cutURLScheme(dsn); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			user := rest[:at]
			if i := strings.IndexByte(user, ':'); i >= 0 {
				user = user[:i] + ":" + redactedSecret
			}
			rest = user + rest[at:]
		}
		return scheme + urlQueryPassword.ReplaceAllString(rest, "${1}"+redactedSecret)
	}
	return kvPassword.ReplaceAllString(dsn, "${1}"+redactedSecret)
}

// cutURLScheme splits a postgres:// or postgresql:// DSN after "://".
func cutURLScheme(dsn string) (scheme, rest string, ok bool) {
	lower := strings.ToLower(dsn)
	for _, s := range []string{"postgres://", "postgresql://"} {
		if strings.HasPrefix(lower, s) {
			return dsn[:len(s)], dsn[len(s):], true
		}
	}
	return "", dsn, false
}

// dsnSecrets lists the passwords written in dsn (as RedactDSN finds them),
// longest first.
func dsnSecrets(dsn string) []string {
	var out []string
	if _, rest, ok := cutURLScheme(dsn); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if i := strings.IndexByte(rest[:at], ':'); i >= 0 {
				out = append(out, rest[i+1:at])
			}
		}
		for _, m := range urlQueryPassword.FindAllString(rest, -1) {
			out = append(out, m[strings.IndexByte(m, '=')+1:])
		}
	} else {
		for _, m := range kvPassword.FindAllStringSubmatch(dsn, -1) {
			v := m[2]
			out = append(out, v)
			if unq := strings.Trim(v, "'"); unq != v {
				out = append(out, unq, strings.ReplaceAll(unq, `\'`, `'`))
			}
		}
	}
	var secrets []string
	for _, s := range out {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	return secrets
}

// RedactIn removes from msg every credential of dsn: the DSN itself (as
// written or Go-quoted, as net/url errors print it) and each password.
func RedactIn(msg, dsn string) string {
	if dsn == "" {
		return msg
	}
	red := RedactDSN(dsn)
	msg = strings.ReplaceAll(msg, strconv.Quote(dsn), strconv.Quote(red))
	msg = strings.ReplaceAll(msg, dsn, red)
	for _, s := range dsnSecrets(dsn) {
		q := strconv.Quote(s)
		msg = strings.ReplaceAll(msg, q[1:len(q)-1], redactedSecret)
		msg = strings.ReplaceAll(msg, s, redactedSecret)
	}
	return msg
}

// dsnError is an error whose text has the DSN's credentials removed; the
// original stays reachable with errors.Unwrap (never printed by chiso).
type dsnError struct {
	msg string
	err error
}

func (e *dsnError) Error() string { return e.msg }
func (e *dsnError) Unwrap() error { return e.err }

// redactErr wraps err with prefix, its text free of dsn's credentials.
func redactErr(prefix string, err error, dsn string) error {
	if err == nil {
		return nil
	}
	return &dsnError{msg: prefix + RedactIn(err.Error(), dsn), err: err}
}

// CheckDSN parses dsn as the driver will, without connecting; the error
// names no credential.
func CheckDSN(dsn string) error {
	if _, err := pq.NewConfig(dsn); err != nil {
		msg := RedactIn(err.Error(), dsn)
		if strings.Contains(msg, "invalid userinfo") || strings.Contains(msg, "invalid URL escape") {
			msg += " (a password with spaces or other special characters must be percent-encoded in a URL: %20 for a space, %25 for %; or use the key=value form: host=… user=… password='…')"
		}
		return fmt.Errorf("cannot be parsed: %s", msg)
	}
	return nil
}
