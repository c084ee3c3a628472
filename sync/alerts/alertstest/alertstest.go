// Package alertstest runs a real SMTP server (github.com/emersion/go-smtp)
// on 127.0.0.1 with STARTTLS under a certificate made for the test, and a
// real HTTP server for webhooks, recording what they receive.
package alertstest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one message the SMTP server accepted.
type Mail struct {
	From    string
	To      []string
	TLS     bool   // the DATA came over STARTTLS
	User    string // the AUTH PLAIN user
	Raw     []byte // the message as received
	Header  mail.Header
	EventID string // X-Chiso-Event
}

// SMTP is a running test SMTP server.
type SMTP struct {
	Host   string
	Port   int
	CAFile string // PEM of the certificate the server presents (its own CA)
	User   string
	Pass   string

	mu       gosync.Mutex
	mails    []Mail
	failNext int // DATA answered 451 this many more times
	tried    int
}

// NewSMTP starts a server on 127.0.0.1 that offers STARTTLS (TLS is
// required before AUTH) and accepts user/pass by AUTH PLAIN.
func NewSMTP(t testing.TB, starttls bool) *SMTP {
	t.Helper()
	cert, certPEM := selfSigned(t)
	s := &SMTP{Host: "127.0.0.1", User: "chiso", Pass: "mat-khau-thu"}
	s.CAFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(s.CAFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.AllowInsecureAuth = false
	if starttls {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// FailNext makes the next n messages fail with 451 at DATA.
func (s *SMTP) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

// Mails returns the accepted messages.
func (s *SMTP) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Tried counts DATA commands, failed ones included.
func (s *SMTP) Tried() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tried
}

type backend struct{ s *SMTP }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{s: b.s, c: c}, nil }

type session struct {
	s    *SMTP
	c    *smtp.Conn
	m    Mail
	auth bool
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != x.s.User || pass != x.s.Pass {
			return errors.New("bad credentials")
		}
		x.auth, x.m.User = true, user
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if !x.auth {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	x.m.From = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.m.To = append(x.m.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.tried++
	if x.s.failNext > 0 {
		x.s.failNext--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "thu nghiem: tam thoi khong nhan thu"}
	}
	_, x.m.TLS = x.c.TLSConnectionState()
	x.m.Raw = raw
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		x.m.Header = msg.Header
		x.m.EventID = msg.Header.Get("X-Chiso-Event")
	}
	x.s.mails = append(x.s.mails, x.m)
	return nil
}

func (x *session) Reset()        { x.m = Mail{User: x.m.User} }
func (x *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 that is its own CA.
func selfSigned(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "chiso test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return cert, certPEM
}

// Hook is one webhook request received.
type Hook struct {
	Auth, IdempotencyKey, ContentType string
	Body                              []byte
}

// Webhook is a running test HTTP server for webhooks.
type Webhook struct {
	URL string

	mu       gosync.Mutex
	hooks    []Hook
	failNext int
}

// NewWebhook starts an HTTP server on 127.0.0.1 recording POSTs.
func NewWebhook(t testing.TB) *Webhook {
	w := &Webhook{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		defer w.mu.Unlock()
		if r.Method != http.MethodPost {
			http.Error(rw, "POST only", http.StatusMethodNotAllowed)
			return
		}
		if w.failNext > 0 {
			w.failNext--
			http.Error(rw, "try later", http.StatusServiceUnavailable)
			return
		}
		w.hooks = append(w.hooks, Hook{Auth: r.Header.Get("Authorization"), IdempotencyKey: r.Header.Get("Idempotency-Key"),
			ContentType: r.Header.Get("Content-Type"), Body: body})
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	w.URL = srv.URL + "/hook"
	return w
}

// Hooks returns the requests received.
func (w *Webhook) Hooks() []Hook {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Hook(nil), w.hooks...)
}

// FailNext answers the next n requests 503.
func (w *Webhook) FailNext(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.failNext = n
}
