package dossiers

import (
	"time"

	"chiso/adapters/vntime"
)

// Summary is the JSON line `chiso inspect dvc` prints per dossier
// (contracts.md §5). Field names are stable; fields may be added.
type Summary struct {
	File             string   `json:"file,omitempty"`
	MaHoSo           string   `json:"ma_ho_so"`
	MaTTHC           string   `json:"ma_tthc"`
	Channel          *string  `json:"channel"`
	Status           *int     `json:"status"`
	ReceivedAt       *string  `json:"received_at"`
	DueAt            *string  `json:"due_at"`
	FinishedAt       *string  `json:"finished_at"`
	ReturnedAt       *string  `json:"returned_at"`
	RefusedAt        *string  `json:"refused_at"`
	ResultMethod     *string  `json:"result_method"`
	InputDigitized   bool     `json:"input_digitized"`
	ResultElectronic bool     `json:"result_electronic"`
	ReusedData       bool     `json:"reused_data"`
	Supplements      int      `json:"supplements"`
	Steps            int      `json:"steps"`
	SourceUpdatedAt  *string  `json:"source_updated_at"`
	Warnings         []string `json:"warnings"`
}

// Summarize builds the inspect line of a mapped record.
func Summarize(r Result) Summary {
	d := r.Dossier
	w := r.Warnings
	if w == nil {
		w = []string{}
	}
	return Summary{
		MaHoSo: d.MaHoSo, MaTTHC: d.MaTTHC, Channel: d.Channel, Status: d.Status,
		ReceivedAt: rfc(d.ReceivedAt), DueAt: rfc(d.DueAt), FinishedAt: rfc(d.FinishedAt),
		ReturnedAt: rfc(d.ReturnedAt), RefusedAt: rfc(d.RefusedAt), ResultMethod: d.ResultMethod,
		InputDigitized: d.InputDigitized, ResultElectronic: d.ResultElectronic, ReusedData: d.ReusedData,
		Supplements: d.Supplements, Steps: len(r.Steps), SourceUpdatedAt: rfc(d.SourceUpdatedAt), Warnings: w,
	}
}

// rfc formats a time as RFC 3339 in Vietnam time (+07:00).
func rfc(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.In(vntime.Location).Format(time.RFC3339)
	return &s
}
