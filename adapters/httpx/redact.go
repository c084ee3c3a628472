package httpx

import (
	"net/url"
	"regexp"
	"strings"
)

// Redacted stands for a credential removed from a text.
const Redacted = "[redacted]"

// secretQuery matches the value of a query parameter that carries a
// credential (…?token=…&key=…).
var secretQuery = regexp.MustCompile(`(?i)([?&](?:password|passwd|pass|pwd|token|access_token|auth|key|secret|sig|signature)=)[^&#\s]*`)

// privatePath matches the secret part of a "secret address" such as Google
// Calendar's …/private-0123abcd…/basic.ics.
var privatePath = regexp.MustCompile(`(?i)(/private-)[0-9a-z]+`)

// RedactURL returns raw with its credentials replaced by [redacted]: the
// password of user:password@, credential-like query parameters and
// private-… path tokens. It does not rely on the URL parsing (a password
// with a space or a stray % makes net/url refuse the URL, and such a URL
// must not be printed whole either).
func RedactURL(raw string) string {
	out := raw
	if i := strings.Index(out, "://"); i >= 0 {
		rest := out[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			user := rest[:at]
			if c := strings.IndexByte(user, ':'); c >= 0 {
				user = user[:c] + ":" + Redacted
			}
			out = out[:i+3] + user + rest[at:]
		}
	}
	out = secretQuery.ReplaceAllString(out, "${1}"+Redacted)
	return privatePath.ReplaceAllString(out, "${1}"+Redacted)
}

// RedactIn removes from msg every credential of raw (a URL): the URL as
// written, as net/url re-encodes it, and its password alone (also
// percent-decoded), plus any extra secrets given (a basic-auth password
// from the config).
func RedactIn(msg, raw string, extra ...string) string {
	if raw != "" {
		red := RedactURL(raw)
		msg = strings.ReplaceAll(msg, raw, red)
		if u, err := url.Parse(raw); err == nil {
			msg = strings.ReplaceAll(msg, u.String(), red)
			if pw, ok := u.User.Password(); ok {
				extra = append(extra, pw, url.QueryEscape(pw), url.PathEscape(pw))
			}
		}
		if i := strings.Index(raw, "://"); i >= 0 {
			rest := raw[i+3:]
			if at := strings.LastIndex(rest, "@"); at >= 0 {
				if c := strings.IndexByte(rest[:at], ':'); c >= 0 {
					extra = append(extra, rest[c+1:at])
				}
			}
		}
		for _, m := range secretQuery.FindAllString(raw, -1) {
			extra = append(extra, m[strings.IndexByte(m, '=')+1:])
		}
		for _, m := range privatePath.FindAllString(raw, -1) {
			extra = append(extra, m[len("/private-"):])
		}
	}
	for _, s := range extra {
		if len(s) >= 3 { // a one- or two-letter "secret" would shred the message
			msg = strings.ReplaceAll(msg, s, Redacted)
		}
	}
	return msg
}

// redactedError is an error whose text has credentials removed; the
// original stays reachable with errors.Is/As (and is never printed).
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// RedactErr returns err with its text scrubbed as RedactIn does; err
// itself when there is nothing to scrub.
func RedactErr(err error, raw string, extra ...string) error {
	if err == nil {
		return nil
	}
	msg := RedactIn(err.Error(), raw, extra...)
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}
