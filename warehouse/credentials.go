package warehouse

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Files of data_dir that hold the embedded cluster's credentials, each
// 0600 and owned by the OS user that runs chiso.
const (
	// OwnerPassFile is a libpq password file (pgpass format) with the
	// password of the owner role chiso; the DSNs of the embedded cluster
	// name it (passfile=…), so that the password never appears in a DSN.
	OwnerPassFile = "owner.pgpass"
	// ReaderPassFile holds the password of chiso_reader (`chiso reader
	// password` prints it).
	ReaderPassFile = "reader.password"
)

// newPassword returns 48 hex digits from the system's random source
// (192 bits; no character that needs quoting in a DSN or pgpass line).
func newPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// ensureSecretFile returns the secret kept in path, creating the file (0600,
// exclusive create) with a new password when it is missing. format turns
// the password into the file's content; parse reads it back.
func ensureSecretFile(path string, format func(pw string) string, parse func(content string) string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		pw := parse(string(b))
		if pw == "" {
			return "", fmt.Errorf("warehouse: %s holds no password: delete it and start chiso again to generate a new one", path)
		}
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return "", fmt.Errorf("warehouse: %s is readable by others and cannot be closed: %w", path, err)
			}
		}
		return pw, nil
	}
	if errors.Is(err, fs.ErrPermission) {
		return "", fmt.Errorf("warehouse: cannot read %s (%w): run chiso as the OS user that runs the chiso service (the one that owns data_dir)", path, err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("warehouse: %w", err)
	}
	pw, err := newPassword()
	if err != nil {
		return "", fmt.Errorf("warehouse: generate a password: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("warehouse: %w", err)
	}
	if _, err := f.WriteString(format(pw)); err != nil {
		f.Close()
		return "", fmt.Errorf("warehouse: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("warehouse: write %s: %w", path, err)
	}
	return pw, nil
}

func pgpassLine(pw string) string {
	return "# chiso: password of the owner role chiso of the embedded PostgreSQL (libpq password file)\n*:*:*:chiso:" + pw + "\n"
}

func parsePgpass(content string) string {
	for _, line := range strings.Split(content, "\n") {
		if pw, ok := strings.CutPrefix(strings.TrimSpace(line), "*:*:*:chiso:"); ok {
			return pw
		}
	}
	return ""
}

func plainLine(pw string) string { return pw + "\n" }

func parsePlain(content string) string { return strings.TrimSpace(content) }

// scramVerifier returns the SCRAM-SHA-256 verifier PostgreSQL stores for
// password, so that ALTER ROLE … PASSWORD never carries the password
// itself (not in a statement the server might log, not in pg_stat_activity).
func scramVerifier(password string) (string, error) {
	const iterations = 4096
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	serverKey := hmacSHA256(salted, "Server Key")
	enc := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, enc(salt), enc(storedKey[:]), enc(serverKey)), nil
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// quoteDSNValue quotes v for a key=value DSN when it needs it.
func quoteDSNValue(v string) string {
	if v != "" && !strings.ContainsAny(v, ` '\`+"\t\n") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
