package dossiers

import (
	"strings"
	"testing"

	"chiso/adapters/dvc"
	"chiso/mapping/orgdir"
)

func TestUnitByCode(t *testing.T) {
	org := orgdir.New([]orgdir.Unit{
		{Code: "000.00.00.H99", Name: "UBND tỉnh", Relation: orgdir.Self},
		{Code: "000.25.31.H99", Name: "UBND xã Yên Định", Parent: "000.00.00.H99", Relation: orgdir.Internal},
		{Code: "001.25.31.H99", Name: "Trung tâm Phục vụ hành chính công xã Yên Định", Parent: "000.25.31.H99", Relation: orgdir.Internal},
		{Code: "000.51.31.H99", Name: "UBND xã Yên Lư (cũ)", Relation: orgdir.Internal, MergedInto: "000.25.31.H99"},
		{Code: "000.00.00.H98", Name: "UBND tỉnh Hà Nam", Relation: orgdir.Peer},
	})
	for _, c := range []struct {
		name, ma, dv, root string
		want, err          string
	}{
		{name: "commune code in MaHoSo", ma: "000.25.31.H99-260302-0001", root: "000.00.00.H99", want: "000.25.31.H99"},
		{name: "unit code in MaHoSo", ma: "001.25.31.H99-260302-0001", dv: "UBND tỉnh", root: "000.00.00.H99", want: "001.25.31.H99"},
		{name: "merged predecessor", ma: "000.51.31.H99-250302-0001", root: "000.00.00.H99", want: "000.51.31.H99"},
		{name: "DonViXuLy name, folded", ma: "HS-1", dv: "ubnd xa yen dinh", root: "000.00.00.H99", want: "000.25.31.H99"},
		{name: "DonViXuLy code", ma: "HS1", dv: "001.25.31.h99", root: "000.00.00.H99", want: "001.25.31.H99"},
		{name: "commune root: its unit", ma: "001.25.31.H99-1", root: "000.25.31.H99", want: "001.25.31.H99"},
		{name: "outside the root's tree", ma: "000.00.00.H98-1", root: "000.00.00.H99", err: "MaHoSo: agency 000.00.00.H98 (UBND tỉnh Hà Nam) is not 000.00.00.H99 or a unit under it"},
		{name: "the province from a commune's connector", ma: "000.00.00.H99-1", root: "000.25.31.H99", err: "is not 000.25.31.H99 or a unit under it"},
		{name: "unknown codes", ma: "000.99.31.H99-1", dv: "UBND xã Không Có", root: "000.00.00.H99", err: `DonViXuLy: no code of the record names a unit of the org directory (MaHoSo "000.99.31.H99", DonViXuLy "UBND xã Không Có")`},
		{name: "no code at all", ma: "HS1", root: "000.00.00.H99", err: "no agency code in MaHoSo and no DonViXuLy"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := UnitByCode(dvc.Record{MaHoSo: dvc.Str(c.ma), DonViXuLy: dvc.Str(c.dv)}, org, c.root)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %q, %v; want error %q", got, err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
