package registers

// TEMPORARY: a minimal stand-in for mapping/documents (being written by
// another engineer) so this package compiles and is tested; it is deleted
// when mapping/documents lands and the calls below go to it.

import (
	"regexp"
	"strconv"
	"strings"

	"chiso/mapping/textnorm"
)

var shimTypes = map[string]string{
	"nghi quyet": "nghi_quyet", "quyet dinh": "quyet_dinh", "chi thi": "chi_thi", "quy che": "quy_che",
	"quy dinh": "quy_dinh", "thong cao": "thong_cao", "thong bao": "thong_bao", "huong dan": "huong_dan",
	"chuong trinh": "chuong_trinh", "ke hoach": "ke_hoach", "phuong an": "phuong_an", "de an": "de_an",
	"du an": "du_an", "bao cao": "bao_cao", "bien ban": "bien_ban", "to trinh": "to_trinh",
	"hop dong": "hop_dong", "cong van": "cong_van", "cong dien": "cong_dien", "ban ghi nho": "ban_ghi_nho",
	"ban thoa thuan": "ban_thoa_thuan", "giay uy quyen": "giay_uy_quyen", "giay moi": "giay_moi",
	"giay gioi thieu": "giay_gioi_thieu", "giay nghi phep": "giay_nghi_phep", "phieu gui": "phieu_gui",
	"phieu chuyen": "phieu_chuyen", "phieu bao": "phieu_bao", "thu cong": "thu_cong",
}

var shimAbbr = map[string]string{
	"NQ": "nghi_quyet", "QĐ": "quyet_dinh", "CT": "chi_thi", "QC": "quy_che", "QyĐ": "quy_dinh",
	"TC": "thong_cao", "TB": "thong_bao", "HD": "huong_dan", "CTr": "chuong_trinh", "KH": "ke_hoach",
	"PA": "phuong_an", "ĐA": "de_an", "DA": "du_an", "BC": "bao_cao", "BB": "bien_ban", "TTr": "to_trinh",
	"HĐ": "hop_dong", "CĐ": "cong_dien", "BGN": "ban_ghi_nho", "BTT": "ban_thoa_thuan", "GUQ": "giay_uy_quyen",
	"GM": "giay_moi", "GGT": "giay_gioi_thieu", "GNP": "giay_nghi_phep", "PG": "phieu_gui", "PC": "phieu_chuyen",
	"PB": "phieu_bao",
}

var shimYear = regexp.MustCompile(`^(19|20)\d\d$`)

func isTypeName(s string) bool { _, ok := shimTypes[textnorm.Key(s)]; return ok }

func classify(typeName, number, notation string) (docType, family string) {
	family = "hanh_chinh"
	parts := strings.Split(notation, "/")
	if strings.Contains(number, "/") || (len(parts) > 1 && shimYear.MatchString(parts[0])) {
		family = "qppl"
		notation = parts[len(parts)-1]
	}
	if t, ok := shimTypes[textnorm.Key(typeName)]; ok {
		return t, family
	}
	lead, _, hasDash := strings.Cut(notation, "-")
	if t, ok := shimAbbr[lead]; ok && hasDash {
		return t, family
	}
	if lead == "SY" || lead == "SL" || lead == "TrS" {
		return "khac", "ban_sao"
	}
	if notation != "" {
		return "cong_van", family
	}
	return "khac", family
}

func docKey(issuer string, year int, series, number, notation string) string {
	return strings.Join([]string{strings.ToUpper(issuer), strconv.Itoa(year), series, strings.TrimLeft(number, "0"), strings.ToUpper(notation)}, "|")
}
