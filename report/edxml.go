package report

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/vntime"
	"chiso/warehouse"
)

// Recipient is an agency the report package is addressed to.
type Recipient struct {
	Code, Name string
}

// EDXMLOptions say how the report package of a snapshot is addressed.
type EDXMLOptions struct {
	To       []Recipient // the config's report.recipients
	InCharge string      // OrganizationInCharge (the commune's superior)
	// CodeNumber and CodeNotation (số, ký hiệu): an empty CodeNumber
	// writes UnnumberedCode, for the QLVB to replace when it registers the
	// document (a package must carry one).
	CodeNumber, CodeNotation string
	Place                    string    // địa danh of PromulgationInfo
	Now                      time.Time // the package's date and trace time
}

// UnnumberedCode is the CodeNumber of a report package chiso leaves for
// the QLVB to number ("Số: .../BC-UBND" of a draft).
const UnnumberedCode = "..."

// AnnexName is the attachment name of a snapshot's xlsx annex.
func (r *Report) AnnexName() string {
	return "phu-luc-so-lieu-" + r.Period.ID + ".xlsx"
}

// WriteEDXML writes the outgoing edXML package (QCVN 102:2016) that
// carries a snapshot upward: from the report's unit to opts.To, document
// type Báo cáo, the subject from the period, the xlsx annex as its one
// attachment and the snapshot id ("chiso-snapshot:ID") in Content and in
// OtherInfo/Appendixes. chiso never sends it: a QLVB imports it for signing
// and sending. r must come from a snapshot (FromSnapshot).
func (r *Report) WriteEDXML(w io.Writer, opts EDXMLOptions) error {
	if r.Frozen == nil {
		return fmt.Errorf("%w: an edXML report package carries a snapshot: use --snapshot ID (chiso report --freeze makes one)", ErrUsage)
	}
	if len(opts.To) == 0 {
		return fmt.Errorf("%w: no recipients for the report package: set report.recipients in the config", ErrUsage)
	}
	bc, ok := edxmlgen.TypeByID("bao_cao")
	if !ok {
		return fmt.Errorf("report: edXML: the document type bao_cao is unknown")
	}
	var annex bytes.Buffer
	if err := r.WriteXLSX(&annex); err != nil {
		return err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	token := "chiso-snapshot:" + r.Frozen.ID
	number := opts.CodeNumber
	if number == "" {
		number = UnnumberedCode
	}
	code := number
	if opts.CodeNotation != "" {
		code += "/" + opts.CodeNotation
	}
	docID := r.Unit.Code + "," + now.In(vntime.Location).Format("2006/01/02") + "," + code
	const d = "02/01/2006"
	o := edxmlgen.Outgoing{
		From:         edxmlgen.Org{Code: r.Unit.Code, Name: r.Unit.Name},
		InCharge:     opts.InCharge,
		CodeNumber:   number,
		DocumentID:   docID,
		CodeNotation: opts.CodeNotation,
		Place:        opts.Place,
		IssuedOn:     now,
		At:           now,
		Type:         bc,
		Subject: fmt.Sprintf("Báo cáo kết quả thực hiện chỉ tiêu cải cách lề lối làm việc và chuyển đổi số, kỳ %s (từ ngày %s đến ngày %s)",
			r.Period.Label, r.Period.From.Format(d), r.Period.To.Format(d)),
		Content: fmt.Sprintf("Số liệu chốt ngày %s, mã %s (%s). Phụ lục số liệu kèm theo: %s.",
			r.Frozen.At.Format(d), r.Frozen.ID, token, r.AnnexName()),
		Appendix: "Phụ lục số liệu chỉ tiêu " + r.Period.Label + " (" + token + ")",
		Attachments: []edxmlgen.OutgoingAttachment{{
			ContentID: "phu-luc-1", Name: r.AnnexName(),
			ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			Description: "Phụ lục số liệu chỉ tiêu, số liệu chốt ngày " + r.Frozen.At.Format(d),
			Body:        bytes.NewReader(annex.Bytes()),
		}},
	}
	for _, t := range opts.To {
		o.To = append(o.To, edxmlgen.Org{Code: t.Code, Name: t.Name})
	}
	return edxmlgen.WriteOutgoing(w, o)
}

// RunSnapshotEDXML writes the report package of snapshot id (WriteEDXML).
func RunSnapshotEDXML(ctx context.Context, st *warehouse.Store, id string, opts EDXMLOptions, w io.Writer) error {
	s, err := loadSnapshot(ctx, st, id)
	if err != nil {
		return err
	}
	r, err := FromSnapshot(s)
	if err != nil {
		return err
	}
	return r.WriteEDXML(w, opts)
}
