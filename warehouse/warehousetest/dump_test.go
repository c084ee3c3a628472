package warehousetest_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"chiso/warehouse"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

// TestDumpData stores a distinctive string in each way the warehouse can
// hold one and checks that the dump finds it (and not a string that was
// never stored).
func TestDumpData(t *testing.T) {
	cases := []struct {
		name, needle string
		store        func(ctx context.Context, r *warehouse.Run) error
	}{
		{"text column", "Reason Kim Ngân", func(ctx context.Context, r *warehouse.Run) error {
			return r.Reject(ctx, facts.Reject{SourceKey: "k1", Reason: "Reason Kim Ngân"})
		}},
		{"bytea as UTF-8", "Đỗ Thị Quỳnh 0912345678", func(ctx context.Context, r *warehouse.Run) error {
			return r.Reject(ctx, facts.Reject{SourceKey: "k2", Reason: "x", Raw: []byte(`{"ChuHoSo":"Đỗ Thị Quỳnh 0912345678"}`)})
		}},
		{"bytea with JSON escapes", "Lưu Bảo", func(ctx context.Context, r *warehouse.Run) error {
			return r.Reject(ctx, facts.Reject{SourceKey: "k3", Reason: "x", Raw: []byte(`{"ChuHoSo":"L\u01b0u B\u1ea3o"}`)})
		}},
		{"jsonb", "Vạn Xuân 079123456789", func(ctx context.Context, r *warehouse.Run) error {
			return r.UpsertDossier(ctx, facts.Dossier{UnitCode: "U", MaHoSo: "M1", Source: "s"}, nil,
				facts.DossierSighting{Source: "s", SourceKey: "k", Raw: []byte(`{"x":"V\u1ea1n Xu\u00e2n 079123456789"}`)})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := warehousetest.New(t)
			ctx := context.Background()
			r, err := st.StartRun(ctx, "test")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.store(ctx, r); err != nil {
				t.Fatal(err)
			}
			if err := r.Finish(ctx, nil); err != nil {
				t.Fatal(err)
			}
			dump := warehousetest.DumpData(t, st)
			if !strings.Contains(dump, c.needle) {
				t.Errorf("dump misses %q:\n%s", c.needle, dump)
			}
			if strings.Contains(dump, "never stored 42") {
				t.Error("dump finds a string never stored")
			}
			var ft fakeT
			warehousetest.AssertAbsent(&ft, "dump", dump, c.needle)
			if !ft.failed {
				t.Error("AssertAbsent did not fail on a stored string")
			}
		})
	}
}

// fakeT records a failure of AssertAbsent.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }
