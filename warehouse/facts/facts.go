// Package facts holds the fact rows that mapping produces and the warehouse
// stores (documents, sightings, statuses, dossiers, meetings, register rows,
// rejects) and the text checks both sides share. It is a leaf: it imports
// the standard library only, so that mapping and connectors never depend
// on the storage package or a database driver.
package facts

import "time"

// Document is one logical document of one unit in one direction: a row of
// the documents table. Several sightings (archive file, axis package,
// register row) may describe the same Document; they share DocKey.
type Document struct {
	UnitCode            string     `db:"unit_code"`
	Direction           string     `db:"direction"` // "out" | "in"
	DocKey              string     `db:"doc_key"`   // see DocKey()
	DocumentID          string     `db:"document_id"`
	IssuerCode          string     `db:"issuer_code"`
	CodeNumber          string     `db:"code_number"`
	CodeNotation        string     `db:"code_notation"`
	Series              string     `db:"series"` // "regular" | "secret"
	DocType             string     `db:"doc_type"`
	Family              string     `db:"family"` // hanh_chinh | qppl | chuyen_nganh | dang | ban_sao | unknown
	IsSecret            bool       `db:"is_secret"`
	Medium              string     `db:"medium"` // "electronic" | "paper"
	IssuedOn            *time.Time `db:"issued_on"`
	EventOn             *time.Time `db:"event_on"` // issued date for out, received date for in
	Counterparts        []string   `db:"-"`
	CounterpartRelation string     `db:"counterpart_relation"` // highest relation among counterparts
	Subject             string     `db:"subject"`
	Priority            *int       `db:"priority"`
}

// Sighting records where a Document was seen (lineage).
type Sighting struct {
	Source    string    // connector type or name, e.g. "edxml-dir:qlvb-archive"
	SourceKey string    // file path, axis docId, "file.xlsx#Sheet1!12"
	SeenAt    time.Time // when the source says it was seen (lineage only, never a date of the document); zero = now
	Medium    string    // medium this sighting proves ("electronic" for archive/axis)
	// ReceivedAt is when this sighting says an incoming document reached
	// our unit, and ReceivedBy the evidence it rests on (ReceivedByTrace,
	// ReceivedByAxis, ReceivedByRegister or ReceivedByIssueDate). The
	// document's event_on is the date of the best evidence among all its
	// sightings and the status packages its unit sent for it, whatever the
	// order they were written in. Both are unset for outgoing documents.
	ReceivedAt time.Time
	ReceivedBy string
}

// The evidence that dates an incoming document (documents.received_by),
// best first: ReceivedEvidence. Only ReceivedByStatus comes from the
// warehouse itself (a status 01 or 03 from the document's unit); the
// others are carried by sightings.
const (
	ReceivedByTrace     = "trace"      // a TraceHeader of its arrival at one of our units
	ReceivedByStatus    = "status"     // a status package (01 đã đến, 03 đã tiếp nhận) our unit sent for it
	ReceivedByAxis      = "axis"       // the national axis's created_time of the package
	ReceivedByRegister  = "register"   // the register's "Ngày đến"
	ReceivedByIssueDate = "issue_date" // nothing better: its date of issue
)

// ReceivedEvidence lists the evidence that dates an incoming document,
// best first (the order of the SQL function document_evidence_rank).
var ReceivedEvidence = []string{ReceivedByTrace, ReceivedByStatus, ReceivedByAxis, ReceivedByRegister, ReceivedByIssueDate}

// DocumentRef identifies a document that a status or a revocation points at.
// DocKey is computed the same way as Document.DocKey (regular series).
type DocumentRef struct {
	DocKey     string
	DocumentID string // the raw DocumentId string, kept for lineage
}

// DocumentStatus is one status report (edXML status package) for a document.
type DocumentStatus struct {
	Target   DocumentRef
	Reporter string    // From/OrganId of the status package (the recipient reporting)
	Code     string    // "01".."16"
	At       time.Time // status timestamp
	// Undated marks a status whose package had no usable Timestamp (At is
	// then its document's date of issue): it never dates a document.
	Undated     bool
	Description string
	SourceKey   string
}

// Revocation marks a document revoked (BussinessDocType 1) or replaced.
type Revocation struct {
	Target    DocumentRef
	Kind      int // 1 revoke, 2 update, 3 replace
	Reason    string
	At        time.Time
	SourceKey string
}

// DossierWrite is one dossier with its steps and sighting, for UpsertDossiers.
type DossierWrite struct {
	Dossier  Dossier
	Steps    []DossierStep
	Sighting DossierSighting
}

// Dossier is one procedure dossier (hồ sơ TTHC): a row of dossiers.
// It carries no personal data.
type Dossier struct {
	UnitCode         string     `db:"unit_code"`
	MaHoSo           string     `db:"ma_ho_so"`
	MaTTHC           string     `db:"ma_tthc"`
	ProcedureLevel   *string    `db:"procedure_level"` // toan_trinh | mot_phan | nil
	Channel          *string    `db:"channel"`         // direct | online | postal | nil
	Status           *int       `db:"status"`          // 1..10 or nil
	ReceivedAt       *time.Time `db:"received_at"`
	DueAt            *time.Time `db:"due_at"`
	FinishedAt       *time.Time `db:"finished_at"`
	ReturnedAt       *time.Time `db:"returned_at"`
	RefusedAt        *time.Time `db:"refused_at"`
	ResultMethod     *string    `db:"result_method"` // counter | postal | nil
	InputDigitized   bool       `db:"input_digitized"`
	ResultElectronic bool       `db:"result_electronic"`
	ReusedData       bool       `db:"reused_data"`
	Supplements      int        `db:"supplements"`
	Source           string     `db:"source"`
	SourceUpdatedAt  *time.Time `db:"source_updated_at"` // the portal's update time; the latest wins
}

// DossierStep is one processing step of a dossier: when, the status
// reached and who acted by role. Its key is the dossier and the time (one
// step per instant). The step's free text (NoiDungXuLy, what was done,
// often naming the applicant) is not carried: nothing reads it, and the
// warehouse holds no applicant's data.
type DossierStep struct {
	At     time.Time
	Status *int
	Actor  string // job title and department, not a person's name
}

// DossierSighting records where a dossier record came from; Raw is the
// record without personal data (JSON).
type DossierSighting struct {
	Source    string
	SourceKey string
	Raw       []byte
}

// Procedure is one entry of the procedure catalogue.
type Procedure struct {
	MaTTHC         string `db:"ma_tthc"`
	Name           string `db:"name"`
	Level          string `db:"level"` // toan_trinh | mot_phan | none
	RequiresResult bool   `db:"requires_result"`
	MaxDays        *int   `db:"max_days"`
	Source         string `db:"source"`
}

// Meeting is one meeting occurrence: a row of meetings.
type Meeting struct {
	UnitCode          string     `db:"unit_code"`
	Source            string     `db:"source"` // connector name
	UID               string     `db:"uid"`    // UID, plus "#"+RECURRENCE-ID for occurrences
	Title             string     `db:"title"`
	Kind              string     `db:"kind"`  // quan-triet, chuyen-mon, ... khac; "" unknown
	Scope             string     `db:"scope"` // "toan-xa" or ""
	OrganizedBySelf   bool       `db:"organized_by_self"`
	StartsAt          time.Time  `db:"starts_at"`
	EndsAt            time.Time  `db:"ends_at"`
	Sessions          int        `db:"sessions"`
	Online            bool       `db:"online"`
	Paperless         bool       `db:"paperless"`
	MaterialsSentAt   *time.Time `db:"materials_sent_at"`
	DiscussionMinutes *int       `db:"discussion_minutes"`
	TotalMinutes      int        `db:"total_minutes"`
	Cancelled         bool       `db:"cancelled"`
}

// Reject is a record that failed validation. It is kept so that nothing is
// lost, but never with personal data or a secret subject: Raw holds only
// what the source allows (an allow-listed record, or the bytes of a file
// that holds no personal data); the original stays where it came from and
// Location and Hash find it again.
//
// SourceKey identifies the record so that re-reading the same record
// converges on one row and different records never collide: the source's
// own key when it can be read (MaHoSo, docId, file path), otherwise one
// derived from the location and the hash of the original bytes.
type Reject struct {
	SourceKey string // file path, docId, MaHoSo, or location+hash when the record has no key
	Location  string // where the record is: file and byte offset or sheet/row, page of a pull, push request id
	Field     string // the field at fault, when one is ("" for a whole-record problem)
	Reason    string // names the field and the problem
	Hash      string // hex SHA-256 of the original bytes of the record ("" when there were none)
	Raw       []byte // what may be kept of the record (see above); nil when nothing may
}

// RegisterRow is one row of a register file as last read (table
// register_rows). A row is identified within its file by the document's key.
type RegisterRow struct {
	UnitCode   string     `db:"unit_code"`
	Connector  string     `db:"connector"`
	File       string     `db:"file"`
	Direction  string     `db:"direction"`
	DocKey     string     `db:"doc_key"`
	Sheet      string     `db:"sheet"`
	Line       int        `db:"line"`
	Code       string     `db:"code"`
	RowHash    string     `db:"row_hash"`
	RemovedRun *int64     `db:"removed_run"`
	RemovedAt  *time.Time `db:"removed_at"`
}

// RowCounts says what TrackRegisterRows found.
type RowCounts struct {
	New       int // rows the file never had before
	Unchanged int // same cells as in the previous export
	Changed   int // cells differ from the previous export
	Returned  int // rows reported removed earlier that are back
}

// UnresolvedName is an agency name a register used that the org directory
// does not know (issuer of an incoming row, recipient of an outgoing one).
type UnresolvedName struct {
	Connector string    `db:"connector"`
	Role      string    `db:"role"`     // "issuer" | "recipient"
	NameKey   string    `db:"name_key"` // folded name: the identity
	Name      string    `db:"name"`     // as written
	Rows      int64     `db:"rows"`
	Files     int64     `db:"files"`
	Example   string    `db:"example"` // source key of one row using it
	SeenAt    time.Time `db:"seen_at"`
}
