package meetingsfile

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	wire "chiso/adapters/meetings"
	"chiso/adapters/vntime"
	mapping "chiso/mapping/meetings"
	"chiso/sync/connectors/filesource"
	"chiso/warehouse/warehousetest"
)

// Table tests of the load steps (file, row, finish) through a real
// warehouse run: what each counts, which codes are spared from deletion,
// and what the run then holds.
func TestLoadSteps(t *testing.T) {
	st := warehousetest.New(t)
	env := testEnv(t.TempDir())
	start := time.Date(2026, 1, 5, 8, 0, 0, 0, vntime.Location)
	good := wire.FileRow{File: "hop.csv", Row: 2, Ma: "H1", TieuDe: "Giao ban", Loai: "giao-ban", BatDau: start, KetThuc: start.Add(2 * time.Hour)}
	badKind := good
	badKind.Row, badKind.Ma, badKind.Loai = 3, "H2", "tiệc"
	dup := good
	dup.Row = 4
	header := "ma,tieu_de,loai,bat_dau,ket_thuc\n"
	cases := []struct {
		name                                  string
		rows                                  []wire.FileRow
		file                                  string // a file to read with file(), "" for none
		loaded, rejected, unreadable, meeting int
		spare                                 string
	}{
		{"a good row", []wire.FileRow{good}, "", 1, 0, 0, 1, ""},
		{"a row that does not map is spared", []wire.FileRow{badKind}, "", 0, 1, 0, 0, "H2"},
		{"a code used twice", []wire.FileRow{good, dup}, "", 1, 1, 0, 1, ""},
		{"a readable file", nil, header + "H9,Họp chuyên môn,chuyen-mon,2026-01-06 08:00,2026-01-06 11:00\n", 1, 0, 0, 1, ""},
		{"a file that is not a meetings file", nil, "không phải bảng kê\n", 0, 1, 1, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := st.DB.Exec(`DELETE FROM meetings`); err != nil {
				t.Fatal(err)
			}
			run, err := st.StartRun(ctx, "so-hop")
			if err != nil {
				t.Fatal(err)
			}
			l := &load{sink: run, log: slog.Default(), seen: map[string]string{}, loc: vntime.Location,
				opt: mapping.Options{Source: env.Name, Unit: env.Self, Self: env.Self, Org: env.Org, Location: vntime.Location}}
			for _, r := range c.rows {
				if err := l.row(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if c.file != "" {
				path := filepath.Join(t.TempDir(), "hop.csv")
				if err := os.WriteFile(path, []byte(c.file), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := l.file(ctx, filesource.Entry{Rel: "hop.csv", Abs: path, Size: int64(len(c.file))}, strings.Repeat("0", 64)); err != nil {
					t.Fatal(err)
				}
			}
			err = l.finish(ctx, env.Name, 1, "digest")
			if ferr := run.Finish(ctx, err); ferr != nil || err != nil {
				t.Fatalf("finish: %v / %v", err, ferr)
			}
			var n int
			if err := st.DB.Get(&n, `SELECT count(*) FROM meetings WHERE deleted_run IS NULL`); err != nil {
				t.Fatal(err)
			}
			if l.loaded != c.loaded || l.rejected != c.rejected || l.unreadable != c.unreadable || n != c.meeting || strings.Join(l.spare, ",") != c.spare {
				t.Errorf("loaded %d rejected %d unreadable %d meetings %d spare %v, want %d %d %d %d %q",
					l.loaded, l.rejected, l.unreadable, n, l.spare, c.loaded, c.rejected, c.unreadable, c.meeting, c.spare)
			}
		})
	}
}
