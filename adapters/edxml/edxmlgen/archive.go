package edxmlgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"chiso/adapters/vntime"
)

// WriteArchive writes the QLVB archive tree of a corpus under root:
// `{root}/{yyyy}/{M}/{docId}.edxml` for every electronic, non-secret
// document of either direction (internal ones included: the QLVB keeps
// them too), every revocation package and every status package received
// about outgoing documents. Paper and secret documents never appear. It
// returns the number of files written.
func WriteArchive(root string, corpus []DocSpec, opts WriteOptions) (int, error) {
	var ms []Message
	for _, d := range corpus {
		if d.Medium != "electronic" || d.Secret {
			continue
		}
		ms = append(ms, docMessages(d)...)
		for _, st := range d.Statuses {
			ms = append(ms, Message{DocID: st.DocID, Type: "status", Kind: KindStatus, From: st.Reporter.Code, To: []string{d.IssuerCode}, At: st.At, Doc: d, Status: st})
		}
	}
	n := 0
	for _, m := range ms {
		at := m.At.In(vntime.Location)
		dir := filepath.Join(root, strconv.Itoa(at.Year()), strconv.Itoa(int(at.Month())))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return n, fmt.Errorf("edxmlgen: archive: %w", err)
		}
		path := filepath.Join(dir, m.DocID+".edxml")
		f, err := os.Create(path)
		if err != nil {
			return n, fmt.Errorf("edxmlgen: archive: %w", err)
		}
		err = WriteMessage(f, m, opts)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return n, fmt.Errorf("edxmlgen: archive: %s: %w", path, err)
		}
		n++
	}
	return n, nil
}
