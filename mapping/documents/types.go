// Package documents turns document records (edXML packages, register rows)
// into warehouse facts: it classifies a document by type and family, builds
// the logical document key, and maps a parsed edXML package to Document,
// DocumentStatus and Revocation facts. Everything here is pure: no I/O.
package documents

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"chiso/adapters/textnorm"
	"chiso/warehouse/facts"
)

// Families of documents (the documents.family column).
const (
	FamilyHanhChinh = "hanh_chinh" // administrative documents (Nghị định 30/2020 Điều 7)
	FamilyQPPL      = "qppl"       // legal-normative documents
	FamilyBanSao    = "ban_sao"    // copies (SY, SL, TrS)
	FamilyUnknown   = "unknown"
)

// Fallback document types.
const (
	TypeCongVan = "cong_van" // a notation with no type abbreviation is a công văn
	TypeKhac    = "khac"     // unknown type
)

// copyAbbrevs mark copies (bản sao y, sao lục, trích sao): family ban_sao.
var copyAbbrevs = map[string]bool{"SY": true, "SL": true, "TrS": true}

// Label returns the Vietnamese label of a doc_type id (the id itself if unknown).
func Label(id string) string {
	if t, ok := facts.DocTypeByID(id); ok {
		return t.Label
	}
	return id
}

// Rules is the classification data: type names and abbreviations mapped to
// doc_type ids. The zero value is not usable: start from DefaultRules.
type Rules struct {
	names   map[string]string // textnorm.Key(type name) → id
	abbrevs map[string]string // abbreviation as written → id
	qppl    map[string]bool   // ids that are legal-normative types
}

// DefaultRules returns the rules of edxml.md §6.
func DefaultRules() *Rules {
	r := &Rules{names: map[string]string{}, abbrevs: map[string]string{}, qppl: map[string]bool{}}
	for _, t := range facts.DocTypes {
		r.names[textnorm.Key(t.Label)] = t.ID
		if t.Abbrev != "" {
			r.abbrevs[t.Abbrev] = t.ID
		}
		if t.QPPL {
			r.qppl[t.ID] = true
		}
	}
	// Spellings seen in real traffic.
	r.names[textnorm.Key("Văn bản khác")] = TypeKhac
	r.names[textnorm.Key("Bản thoả thuận")] = "ban_thoa_thuan"
	r.names[textnorm.Key("Giấy uỷ quyền")] = "giay_uy_quyen"
	return r
}

// Override adds or replaces mappings from the config: each key is a type
// name (matched case- and diacritic-insensitively) or an abbreviation
// (matched as written), each value a doc_type id. Unknown ids are an error.
func (r *Rules) Override(m map[string]string) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		id := strings.TrimSpace(m[k])
		if _, ok := facts.DocTypeByID(id); !ok {
			return fmt.Errorf("documents: type override %q: unknown doc_type %q", k, id)
		}
		k = strings.TrimSpace(k)
		if k == "" {
			return fmt.Errorf("documents: type override with an empty key")
		}
		r.names[textnorm.Key(k)] = id
		r.abbrevs[k] = id
	}
	return nil
}

// Classification is the outcome of Classify.
type Classification struct {
	DocType  string   // doc_type id
	Label    string   // Vietnamese label of DocType
	Family   string   // hanh_chinh | qppl | ban_sao
	By       string   // what decided the type: "type_name", "notation" or "default"
	Warnings []string // e.g. unknown type name
}

var (
	yearInNumber   = regexp.MustCompile(`^\s*\d+\s*/\s*(19|20)\d\d\s*$`)
	yearInNotation = regexp.MustCompile(`^\s*(19|20)\d\d\s*/`)
)

// Classify decides the doc_type and family of a document from its type name
// (TypeName, "loại văn bản"), its number and its notation (ký hiệu). Order:
// the type name (case- and diacritic-insensitive), else the leading
// abbreviation of the notation (QĐ-UBND → quyet_dinh), else cong_van. The
// family is qppl when the number carries a year (20/2020/QĐ-TTg) or the type
// is legal-normative, ban_sao for SY/SL/TrS, else hanh_chinh.
func (r *Rules) Classify(typeName, number, notation string) Classification {
	c := Classification{}
	abbrev := LeadingAbbrev(notation)
	withYear := yearInNumber.MatchString(number) || yearInNotation.MatchString(notation)

	if tn := strings.TrimSpace(typeName); tn != "" {
		if id, ok := r.byName(tn); ok {
			c.DocType, c.By = id, "type_name"
		} else {
			c.Warnings = append(c.Warnings, fmt.Sprintf("unknown type %q: classified by the notation", tn))
		}
	}
	if c.DocType == "" && abbrev != "" {
		if id, ok := r.byAbbrev(abbrev); ok && (!r.qppl[id] || withYear) {
			c.DocType, c.By = id, "notation"
		}
	}
	if c.DocType == "" {
		c.By = "default"
		switch {
		case copyAbbrevs[abbrev]:
			c.DocType = TypeKhac
		case strings.TrimSpace(typeName) != "":
			c.DocType = TypeKhac
		default:
			c.DocType = TypeCongVan
		}
	}
	c.Label = Label(c.DocType)
	switch {
	case withYear || r.qppl[c.DocType]:
		c.Family = FamilyQPPL
	case copyAbbrevs[abbrev]:
		c.Family = FamilyBanSao
	default:
		c.Family = FamilyHanhChinh
	}
	return c
}

// Classify classifies with the default rules.
func Classify(typeName, number, notation string) Classification {
	return defaultRules.Classify(typeName, number, notation)
}

var defaultRules = DefaultRules()

func (r *Rules) byName(name string) (string, bool) {
	key := textnorm.Key(name)
	if id, ok := r.names[key]; ok {
		return id, true
	}
	// "Giấy mời họp", "Báo cáo tài chính": the longest known name that
	// starts the type name, at a word boundary.
	best, bestLen := "", 0
	for k, id := range r.names {
		if len(k) > bestLen && strings.HasPrefix(key, k+" ") {
			best, bestLen = id, len(k)
		}
	}
	return best, best != ""
}

func (r *Rules) byAbbrev(a string) (string, bool) {
	if id, ok := r.abbrevs[a]; ok {
		return id, true
	}
	// Case-insensitive but diacritic-sensitive: HĐ (hợp đồng) is not HD
	// (hướng dẫn).
	found := ""
	for k, id := range r.abbrevs {
		if strings.EqualFold(k, a) {
			if found != "" && found != id {
				return "", false // ambiguous
			}
			found = id
		}
	}
	return found, found != ""
}

// LeadingAbbrev returns the type abbreviation that leads a notation:
// "QĐ-UBND" → "QĐ", "2020/QĐ-TTg" → "QĐ", "VPCP-TTĐT" → "VPCP" (which is
// no type: a công văn).
func LeadingAbbrev(notation string) string {
	s := strings.TrimSpace(notation)
	// Drop leading numeric segments (a year, or a number written twice).
	for {
		i := strings.IndexByte(s, '/')
		if i < 0 || !allDigits(strings.TrimSpace(s[:i])) {
			break
		}
		s = strings.TrimSpace(s[i+1:])
	}
	if i := strings.IndexAny(s, "-/ "); i >= 0 {
		s = s[:i]
	}
	return s
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
