package vxp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"chiso/adapters/vntime"
)

// Header names of the axis' HMAC authentication (edxml.md §4).
const (
	HeaderPrefix    = "XroadVnpt-"
	HeaderSignKey   = "XroadVnpt-sign-header-key"
	HeaderSign      = "XroadVnpt-sign-header"
	HeaderHash      = "XroadVnpt-hash-header"
	HeaderSystemID  = "systemid"
	HeaderTimestamp = "timestamp"
)

// Timestamp formats t as the axis wants it: ddMMyyyy'T'HHmmss+SSSS, with
// SSSS the milliseconds padded to four digits, in Vietnam time.
func Timestamp(t time.Time) string {
	t = t.In(vntime.Location)
	return t.Format("02012006T150405") + fmt.Sprintf("+%04d", t.Nanosecond()/int(time.Millisecond))
}

// Param is one request header that is signed.
type Param struct{ Name, Value string }

// Sign sets on h the plain headers of params, their XroadVnpt- copies, the
// list of signed names, the sign-header JSON and its HMAC-SHA256. params
// must start with systemid and timestamp (see SignParams).
func Sign(h http.Header, secret []byte, params []Param) {
	names := make([]string, len(params))
	var b strings.Builder
	b.WriteByte('{')
	for i, p := range params {
		names[i] = p.Name
		h.Set(p.Name, p.Value)
		h.Set(HeaderPrefix+p.Name, p.Value)
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(HeaderPrefix + p.Name)
		v, _ := json.Marshal(p.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	signHeader := b.String()
	h.Set(HeaderSignKey, strings.Join(names, ";"))
	h.Set(HeaderSign, signHeader)
	h.Set(HeaderHash, HMAC(secret, signHeader))
}

// SignParams prepends systemid and timestamp to the operation's params.
func SignParams(systemID string, now time.Time, op []Param) []Param {
	return append([]Param{{HeaderSystemID, systemID}, {HeaderTimestamp, Timestamp(now)}}, op...)
}

// HMAC is the lowercase hex HMAC-SHA256 of msg with key secret.
func HMAC(secret []byte, msg string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// HashFile is the sendEdoc hash-file of body: SHA-256 in hex WITHOUT zero
// padding per byte (byte 0x0a is written "a"), as the SDK writes it.
func HashFile(body []byte) string {
	sum := sha256.Sum256(body)
	var b strings.Builder
	for _, c := range sum {
		b.WriteString(strconv.FormatUint(uint64(c), 16))
	}
	return b.String()
}
