package registers

import (
	"strings"
	"testing"

	"chiso/adapters/register"
	"chiso/warehouse/facts"
)

// Table tests of Map's named steps (outgoing, incoming, classify).

func TestOutgoingStep(t *testing.T) {
	cfg := Config{Unit: "000.25.31.H99", Direction: "out", Org: dir}
	for _, c := range []struct {
		name         string
		secret       bool
		recipients   []string
		counterparts string
		unresolved   int
		warnings     int
	}{
		{"resolved and repeated", false, []string{"UBND tỉnh", "ubnd tinh bac ninh", "Phòng Kinh tế"}, "000.00.00.H99,002.25.31.H99", 0, 0},
		{"unresolved kept as written", false, []string{"Hội Nông dân xã"}, "Hội Nông dân xã", 1, 0},
		{"secret drops the unresolved and counts them", true, []string{"Hội Nông dân xã", "Sở Nội vụ", "Đoàn xã"}, "000.00.05.H99", 0, 1},
		{"no recipients", false, nil, "", 0, 0},
	} {
		d := facts.Document{UnitCode: cfg.Unit}
		var res Result
		row := register.Row{IssuedOn: date("2026-01-02"), Recipients: c.recipients}
		outgoing(row, cfg, c.secret, &d, &res)
		if got := strings.Join(d.Counterparts, ","); got != c.counterparts || len(res.Unresolved) != c.unresolved || len(res.Warnings) != c.warnings ||
			d.IssuerCode != cfg.Unit || d.EventOn != row.IssuedOn {
			t.Errorf("%s: counterparts %q unresolved %v warnings %v issuer %s, want %q %d %d", c.name, got, res.Unresolved, res.Warnings, d.IssuerCode, c.counterparts, c.unresolved, c.warnings)
		}
	}
}

func TestIncomingStep(t *testing.T) {
	cfg := Config{Unit: "000.25.31.H99", Direction: "in", Org: dir}
	for _, c := range []struct {
		name                    string
		secret                  bool
		issuer, received        string
		wantIssuer, counterpart string
		event, by               string
		unresolved, warnings    int
		err                     string
	}{
		{"resolved issuer, received date", false, "Sở Nội vụ tỉnh Bắc Ninh", "2026-01-05", "000.00.05.H99", "000.00.05.H99", "2026-01-05", facts.ReceivedByRegister, 0, 0, ""},
		{"unresolved issuer keyed by its fold", false, "Công an Huyện", "2026-01-05", "cong an huyen", "Công an Huyện", "2026-01-05", facts.ReceivedByRegister, 1, 0, ""},
		{"secret unresolved issuer keeps no text", true, "Công an Huyện", "2026-01-05", "cong an huyen", "cong an huyen", "2026-01-05", facts.ReceivedByRegister, 1, 0, ""},
		{"no received date: the document date stands in", false, "Sở Nội vụ", "", "000.00.05.H99", "000.00.05.H99", "2026-01-02", facts.ReceivedByIssueDate, 0, 1, ""},
		{"no issuer", false, "", "2026-01-05", "", "", "", "", 0, 0, register.FieldIssuer},
	} {
		d := facts.Document{UnitCode: cfg.Unit}
		var res Result
		row := register.Row{IssuedOn: date("2026-01-02"), Issuer: c.issuer}
		if c.received != "" {
			row.ReceivedOn = date(c.received)
		}
		err := incoming(row, cfg, c.secret, &d, &res)
		if c.err != "" {
			if fe, ok := err.(*FieldError); !ok || fe.Field != c.err {
				t.Errorf("%s: err %v, want a FieldError on %s", c.name, err, c.err)
			}
			continue
		}
		event := ""
		if d.EventOn != nil {
			event = d.EventOn.Format("2006-01-02")
		}
		if err != nil || d.IssuerCode != c.wantIssuer || strings.Join(d.Counterparts, ",") != c.counterpart || event != c.event ||
			res.Sighting.ReceivedBy != c.by || len(res.Unresolved) != c.unresolved || len(res.Warnings) != c.warnings {
			t.Errorf("%s: err %v issuer %q counterparts %v event %s by %s unresolved %v warnings %v", c.name, err, d.IssuerCode, d.Counterparts, event, res.Sighting.ReceivedBy, res.Unresolved, res.Warnings)
		}
	}
}

func TestClassifyStep(t *testing.T) {
	for _, c := range []struct {
		name                       string
		row                        register.Row
		number, notation, want, by string
	}{
		{"type column", register.Row{DocType: "Giấy mời", TypeSubject: "Báo cáo"}, "1", "GM-UBND", "giay_moi", "type_name"},
		{"type from the subject's words", register.Row{TypeSubject: "Báo cáo kết quả tháng 11"}, "125", "UBND-VP", "bao_cao", "type_name"},
		{"subject names no type: the notation", register.Row{TypeSubject: "V/v chuyển đổi số"}, "126", "KH-UBND", "ke_hoach", "notation"},
		{"nothing: cong van", register.Row{TypeSubject: "V/v chuyển đổi số"}, "126", "UBND-VP", "cong_van", "default"},
	} {
		cl := classify(c.row, c.number, c.notation)
		if cl.DocType != c.want || cl.By != c.by {
			t.Errorf("%s: %s by %s, want %s by %s", c.name, cl.DocType, cl.By, c.want, c.by)
		}
	}
}
