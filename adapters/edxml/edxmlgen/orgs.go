// Package edxmlgen generates a commune's documents deterministically from a
// seed: the logical documents of one commune-year (Corpus), the edXML
// packages that carry them (WritePackage, WriteStatus, WriteRevocation), the
// QLVB archive tree (WriteArchive) and what reaches the national axis
// (Inbox, Outbox). The demo, the simulators and the tests of every connector
// that reads documents (archive, axis, registers) share it, so the same
// document is generated identically for each of them.
//
// Codes follow the fictitious province H99 of the specs (edxml.md §3); the
// directory is that of configs/org-directory.example.yaml.
package edxmlgen

import (
	"fmt"
	"strings"
)

// Org is an agency as it appears in a package's From/To.
type Org struct {
	Code     string // mã định danh (OrganId)
	Name     string // OrganName
	Abbr     string // the agency part of its notations: UBND, SNV, STC, PKT...
	Relation string // self | internal | higher | peer | external (as the org directory would say)
	// Depts are the drafting units that appear after the agency part of a
	// công văn notation (UBND-VP, SNV-CCVC); internal units use none.
	Depts []string
	// Rate is roughly how many documents of one type series the agency
	// issues in a year; incoming numbers are drawn from it.
	Rate int
}

// Relations of Org.Relation (the values of the org directory).
const (
	RelSelf     = "self"
	RelInternal = "internal"
	RelHigher   = "higher"
	RelPeer     = "peer"
	RelExternal = "external"
)

// Directory returns the agencies the generated documents of unit talk to:
// the commune itself, its four internal units, four higher agencies, two
// peer communes and two external agencies. For the demo commune
// 000.25.31.H99 these are the codes of configs/org-directory.example.yaml;
// for another commune code the same shape is derived from its code.
func Directory(unit string) []Org {
	unit = strings.ToUpper(strings.TrimSpace(unit))
	g := strings.Split(unit, ".")
	if len(g) != 4 {
		g = []string{"000", "25", "31", "H99"}
	}
	prov := g[3]
	sub := func(a, b, c string) string { return a + "." + b + "." + c + "." + prov }
	commune := "UBND xã Yên Định"
	place := "Bắc Ninh"
	if unit != "000.25.31.H99" {
		commune = "UBND xã " + unit
	}
	orgs := []Org{
		{Code: unit, Name: commune, Abbr: "UBND", Relation: RelSelf, Depts: []string{"VP", "KT", "VHXH"}},
		{Code: sub("001", g[1], g[2]), Name: "Văn phòng HĐND và UBND xã", Abbr: "VP", Relation: RelInternal},
		{Code: sub("002", g[1], g[2]), Name: "Phòng Kinh tế", Abbr: "PKT", Relation: RelInternal},
		{Code: sub("003", g[1], g[2]), Name: "Phòng Văn hóa - Xã hội", Abbr: "PVHXH", Relation: RelInternal},
		{Code: sub("004", g[1], g[2]), Name: "Trung tâm Phục vụ hành chính công", Abbr: "TTPVHCC", Relation: RelInternal},
		{Code: sub("000", "00", "00"), Name: "UBND tỉnh " + place, Abbr: "UBND", Relation: RelHigher, Depts: []string{"VP", "KT", "NC", "KGVX", "TH"}, Rate: 9000},
		{Code: sub("000", "00", "05"), Name: "Sở Nội vụ tỉnh " + place, Abbr: "SNV", Relation: RelHigher, Depts: []string{"VP", "CCVC", "TCBC", "XDCQ"}, Rate: 3500},
		{Code: sub("000", "00", "07"), Name: "Sở Tài chính tỉnh " + place, Abbr: "STC", Relation: RelHigher, Depts: []string{"VP", "NS", "QLG", "TCDN"}, Rate: 4200},
		{Code: sub("000", "00", "11"), Name: "Sở Tư pháp tỉnh " + place, Abbr: "STP", Relation: RelHigher, Depts: []string{"VP", "HCTP", "PBGDPL"}, Rate: 2400},
		{Code: sub("000", "26", g[2]), Name: "UBND xã Yên Phong", Abbr: "UBND", Relation: RelPeer, Depts: []string{"VP"}, Rate: 1400},
		{Code: sub("000", "27", g[2]), Name: "UBND xã Tam Giang", Abbr: "UBND", Relation: RelPeer, Depts: []string{"VP"}, Rate: 1300},
		{Code: sub("000", "41", g[2]), Name: "Bảo hiểm xã hội cơ sở Yên Định", Abbr: "BHXH", Relation: RelExternal, Depts: []string{"TN"}, Rate: 900},
		{Code: sub("000", "90", "00"), Name: "Kho bạc Nhà nước khu vực " + place, Abbr: "KBNN", Relation: RelExternal, Depts: []string{"KSC"}, Rate: 2000},
	}
	if unit == "000.25.31.H99" {
		// The peers' names are those of the demo directory only.
		return orgs
	}
	for i := range orgs {
		if orgs[i].Relation == RelPeer {
			orgs[i].Name = fmt.Sprintf("UBND xã %s", orgs[i].Code)
		}
	}
	return orgs
}

func pick(orgs []Org, rel string) []Org {
	var out []Org
	for _, o := range orgs {
		if o.Relation == rel {
			out = append(out, o)
		}
	}
	return out
}
