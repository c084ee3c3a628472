package edxml

import (
	"time"

	"chiso/adapters/vntime"
)

// Class is the classification of a document package, computed outside this
// package (mapping/documents) and carried into the inspect record.
type Class struct {
	DocType  string // e.g. "bao_cao"
	TypeName string // the type's Vietnamese label, e.g. "Báo cáo"
	Family   string // hanh_chinh | qppl | ban_sao | …
	Warnings []string
}

// Inspect is the JSON line `chiso inspect edxml` prints per valid file
// (contracts.md §5). Field names are a contract: add, never rename.
type Inspect struct {
	File             string       `json:"file"`
	Kind             string       `json:"kind"`
	DocumentID       *string      `json:"document_id"`
	From             string       `json:"from"`
	To               []string     `json:"to"`
	CodeNumber       *string      `json:"code_number"`
	CodeNotation     *string      `json:"code_notation"`
	IssuedOn         *string      `json:"issued_on"`
	DocType          *string      `json:"doc_type"`
	TypeName         *string      `json:"type_name"`
	Family           *string      `json:"family"`
	Subject          *string      `json:"subject"`
	Priority         *int         `json:"priority"`
	BusinessType     *int         `json:"business_type"`
	TargetDocumentID *string      `json:"target_document_id"`
	Attachments      int          `json:"attachments"`
	StatusCode       *string      `json:"status_code"`
	ResponseFor      *InspectRef  `json:"response_for"`
	StatusAt         *string      `json:"status_at"`
	Signed           bool         `json:"signed"`
	AttachmentFiles  []InspectAtt `json:"attachment_files"`
	Warnings         []string     `json:"warnings"`
	SnapshotID       *string      `json:"snapshot_id,omitempty"` // a chiso report package's snapshot (chốt số liệu)
}

// InspectRef is response_for of a status package.
type InspectRef struct {
	OrganID    string `json:"organ_id"`
	Code       string `json:"code"`
	DocumentID string `json:"document_id"`
}

// InspectAtt describes one attachment (name and decoded size).
type InspectAtt struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

func strp(s string) *string { return &s }

// NewInspect builds the inspect record of a parsed package. For a status
// package the document fields are null.
func NewInspect(file string, p *Package, c Class) Inspect {
	in := Inspect{
		File:        file,
		Kind:        p.Kind,
		From:        p.From,
		Attachments: len(p.Attachments),
		Signed:      p.Signed,
		Warnings:    append(append([]string{}, p.Warnings...), c.Warnings...),
	}
	in.AttachmentFiles = []InspectAtt{}
	for _, a := range p.Attachments {
		in.AttachmentFiles = append(in.AttachmentFiles, InspectAtt{Name: a.Name, Size: a.Size})
	}
	if p.Kind == KindStatus && p.Status != nil {
		in.StatusCode = strp(p.Status.Code)
		r := p.Status.ResponseFor
		in.ResponseFor = &InspectRef{OrganID: r.OrganID, Code: r.Code, DocumentID: r.DocumentID}
		if !p.Status.Timestamp.IsZero() {
			in.StatusAt = strp(p.Status.Timestamp.In(vntime.Location).Format(time.RFC3339))
		}
		return in
	}
	in.To = append([]string{}, p.To...)
	if p.DocumentID != "" {
		in.DocumentID = strp(p.DocumentID)
	}
	in.CodeNumber = strp(p.CodeNumber)
	in.CodeNotation = strp(p.CodeNotation)
	if !p.PromulgationDate.IsZero() {
		in.IssuedOn = strp(p.PromulgationDate.Format("2006-01-02"))
	}
	in.DocType = strp(c.DocType)
	in.TypeName = strp(c.TypeName)
	in.Family = strp(c.Family)
	in.Subject = strp(p.Subject)
	in.Priority = p.Priority
	if p.SnapshotID != "" {
		in.SnapshotID = strp(p.SnapshotID)
	}
	bt := p.BusinessType
	in.BusinessType = &bt
	switch {
	case p.BusinessTarget != "":
		in.TargetDocumentID = strp(p.BusinessTarget)
	case p.BusinessTargetSelf && p.DocumentID != "":
		in.TargetDocumentID = strp(p.DocumentID)
	}
	return in
}
