package dossiers

import (
	"fmt"
	"strings"

	"chiso/adapters/dvc"
	"chiso/mapping/orgdir"
)

// UnitByCode finds the unit a dossier belongs to from the codes the record
// carries, for a connector that covers many communes (a provincial
// portal's export): the agency code MaHoSo starts with
// ("<agency code>-<yyMMdd>-<counter>", dvc.md §1), else the processing
// agency DonViXuLy (a code or a name of the org directory). The first of
// them the directory knows decides; it must be root or a unit under it
// (orgdir.IsOurs). A record none of whose codes is in the directory, or
// whose unit is outside root's tree, is an error naming the field (the
// record is rejected, never counted for the wrong commune).
func UnitByCode(rec dvc.Record, org *orgdir.Directory, root string) (string, error) {
	id := rec.MaHoSo.String()
	type cand struct{ field, value, code string }
	var cands []cand
	if i := strings.Index(id, "-"); i > 0 {
		cands = append(cands, cand{field: "MaHoSo", value: id[:i]})
	}
	if v := rec.DonViXuLy.String(); v != "" {
		cands = append(cands, cand{field: "DonViXuLy", value: v})
	}
	for _, c := range cands {
		u, ok := org.ByName(c.value)
		if !ok {
			continue
		}
		if !org.IsOurs(root, u.Code) {
			return "", &dvc.FieldError{MaHoSo: id, Field: c.field,
				Msg: fmt.Sprintf("agency %s (%s) is not %s or a unit under it in the org directory", u.Code, clip(u.Name, 80), root)}
		}
		return u.Code, nil
	}
	var seen []string
	for _, c := range cands {
		seen = append(seen, fmt.Sprintf("%s %q", c.field, clip(c.value, 80)))
	}
	if len(seen) == 0 {
		seen = append(seen, "no agency code in MaHoSo and no DonViXuLy")
	}
	return "", &dvc.FieldError{MaHoSo: id, Field: "DonViXuLy",
		Msg: "no code of the record names a unit of the org directory (" + strings.Join(seen, ", ") + "); add the agency to the org directory or fix the export"}
}
