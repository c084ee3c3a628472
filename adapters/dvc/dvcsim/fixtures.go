package dvcsim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"chiso/adapters/dvc"
	"chiso/adapters/vntime"
)

// Fixtures is a Dataset read from files: every *.json under a folder is a
// national envelope, a bare array or one record; steps come from each
// record's QuaTrinhXuLy. Records are ordered by NgayCapNhat (else the latest
// of their dates).
type Fixtures struct {
	recs  []fixture
	index map[string]int
	procs []dvc.Procedure
}

type fixture struct {
	ma       string
	raw      []byte
	updated  time.Time
	received *time.Time
	steps    []dvc.Step
}

// LoadDir reads the fixture files of dir. A procedures.json file (an array
// of LayThuTuc entries) fills the catalogue.
func LoadDir(dir string) (*Fixtures, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	fx := &Fixtures{index: map[string]int{}}
	for _, path := range files {
		if filepath.Base(path) == "procedures.json" {
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(b, &fx.procs); err != nil {
				return nil, fmt.Errorf("dvcsim: %s: %w", path, err)
			}
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		_, err = dvc.DecodePayload(f, func(i int, raw json.RawMessage) error {
			rec, err := dvc.DecodeRecord(raw)
			if err != nil {
				return fmt.Errorf("record %d: %w", i, err)
			}
			x := fixture{ma: rec.MaHoSo.String(), raw: append([]byte(nil), raw...), steps: rec.QuaTrinhXuLy}
			for _, v := range []dvc.Str{rec.NgayCapNhat, rec.NgayTra, rec.NgayKetThucXuLy, rec.NgayTuChoi, rec.NgayTiepNhan, rec.NgayNopHoSo} {
				if t, err := time.ParseInLocation(dvc.TimeLayout, v.String(), vntime.Location); err == nil {
					if rec.NgayCapNhat.String() != "" {
						x.updated = t
						break
					}
					if t.After(x.updated) {
						x.updated = t
					}
				}
			}
			if t, err := time.ParseInLocation(dvc.TimeLayout, rec.NgayTiepNhan.String(), vntime.Location); err == nil {
				x.received = &t
			}
			fx.recs = append(fx.recs, x)
			return nil
		})
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("dvcsim: %s: %w", path, err)
		}
	}
	sort.SliceStable(fx.recs, func(a, b int) bool { return fx.recs[a].updated.Before(fx.recs[b].updated) })
	for i, r := range fx.recs {
		fx.index[r.ma] = i // a later copy of the same MaHoSo wins the lookup
	}
	return fx, nil
}

func (f *Fixtures) Len() int                    { return len(f.recs) }
func (f *Fixtures) Updated(i int) time.Time     { return f.recs[i].updated }
func (f *Fixtures) Received(i int) *time.Time   { return f.recs[i].received }
func (f *Fixtures) MaHoSo(i int) string         { return f.recs[i].ma }
func (f *Fixtures) Record(i int) []byte         { return f.recs[i].raw }
func (f *Fixtures) Steps(i int) []dvc.Step      { return f.recs[i].steps }
func (f *Fixtures) Procedures() []dvc.Procedure { return f.procs }

// Index finds a dossier by code.
func (f *Fixtures) Index(ma string) (int, bool) {
	i, ok := f.index[strings.TrimSpace(ma)]
	return i, ok
}
