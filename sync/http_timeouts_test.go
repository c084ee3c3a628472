package sync

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"chiso/warehouse/warehousetest"
)

// The daemon's HTTP server closes an idle keep-alive connection after
// its idle timeout, and a client that never finishes its headers after
// the header timeout: such connections cannot pile up.
func TestHTTPServerClosesIdleConnections(t *testing.T) {
	st := warehousetest.New(t)
	dir := t.TempDir()
	cfg := loadConfig(t, writeConfig(t, dir, "postgres://unused", ""))
	d, err := NewDaemon(Options{Store: st, Config: cfg, Logger: newLogger(&logBuffer{}),
		HTTPTimeouts: HTTPTimeouts{Idle: 200 * time.Millisecond, ReadHeader: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	for _, tc := range []struct {
		name, send string
		answered   bool
	}{
		{"idle keep-alive", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", true},
		{"headers never finished", "GET /healthz HTTP/1.1\r\nHost: x\r\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", d.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write([]byte(tc.send)); err != nil {
				t.Fatal(err)
			}
			// A generous bound: the server must close long before it.
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(conn)
			if tc.answered {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 || resp.Close {
					t.Fatalf("answer %d, close %v: want a kept-alive 200", resp.StatusCode, resp.Close)
				}
			}
			// Then the server closes the connection: EOF, not our deadline.
			for {
				if _, err := br.ReadByte(); err != nil {
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						t.Fatal("the server kept the connection open")
					}
					return
				}
			}
		})
	}
}
