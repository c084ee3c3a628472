package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/vntime"
	chisosync "chiso/sync"
	"chiso/sync/config"
	dvcconn "chiso/sync/connectors/dvc"
	"chiso/sync/secret"
	"chiso/warehouse"
)

// A dossier push is a run: after one push through the daemon's runner,
// chiso status lists dvc-push with its last run, ok, and the rows stored.
func TestStatusShowsPushRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded PostgreSQL")
	}
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} { // the embedded server may run as the postgres user
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	pg, err := warehouse.StartEmbedded(ctx, filepath.Join(dir, "wh"), warehouse.EmbeddedOptions{Exclusive: true, Fast: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	if err := pg.EnsureDatabase(ctx, "chiso"); err != nil {
		t.Fatal(err)
	}
	st, err := warehouse.Open(ctx, pg.DSN("chiso"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	h := dvcconn.NewPushHandler(chisosync.NewRunner(nil, quiet).RunNow(st), secret.New("t"), demoUnit, quiet)
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := `[{"MaHoSo":"` + demoUnit + `-PUSH-1","MaTTHC":"1.001193","KenhThucHien":"2","NgayTiepNhan":"20260105080000","TrangThaiHoSo":"4"},
	          {"MaHoSo":"` + demoUnit + `-PUSH-2","MaTTHC":"1.001193","KenhThucHien":"1","NgayTiepNhan":"20260105090000","TrangThaiHoSo":"4"}]`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/dvc/DongBoHoSoMC", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(answer), `"error_code":"0"`) {
		t.Fatalf("push: %d %s", resp.StatusCode, answer)
	}
	cfg := &config.Config{Location: vntime.Location}
	cfg.HTTP.PushToken = secret.New("t")
	var out bytes.Buffer
	now := time.Now()
	if err := printStatus(ctx, &openedWarehouse{Store: st, Where: "test"}, cfg, &out, now); err != nil {
		t.Fatal(err)
	}
	var row string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), dvcconn.PushConnector+" ") {
			row = l
		}
	}
	f := strings.Fields(row)
	// NAME TYPE SCHEDULE(2 words) LAST RUN(date time status) LAST SUCCESS(date time) NEXT ROWS REJECTS
	if len(f) < 12 || f[1] != "push" || f[6] != "ok" || f[10] != "2" || f[11] != "0" {
		t.Fatalf("chiso status has no push run row (want dvc-push push on request <date> <time> ok … 2 0):\n%s", out.String())
	}
}
