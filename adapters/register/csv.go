package register

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// sniffBytes is how much of a CSV file is read to choose the delimiter.
const sniffBytes = 64 << 10

// readCSV streams a CSV register. The delimiter (";" or ",") is the one
// under which a header row is found in the first lines.
func readCSV(ctx context.Context, path, name string, opt Options, visit Visit) (*Header, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("register: %s: %w", name, err)
	}
	defer fh.Close()
	br := bufio.NewReaderSize(fh, sniffBytes)
	head, _ := br.Peek(sniffBytes)
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		return nil, fmt.Errorf("register: %s: UTF-16 text; save the file as CSV UTF-8", name)
	}
	delim := sniffDelimiter(head, opt)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	rr := newRowReader(name, "", opt, visit)
	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := checkCtx(ctx, name); err != nil {
				return rr.header, err
			}
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && rr.header != nil {
				// A broken record: report it and go on with the next line.
				bad := &RowError{File: name, Line: pe.StartLine, Column: "(row)", Field: "csv", Reason: pe.Err.Error()}
				if verr := visit(Row{}, bad); verr != nil {
					return rr.header, verr
				}
				continue
			}
			return rr.header, fmt.Errorf("register: %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if rr.header == nil {
			// Before the header: a file in another encoding. After it, a
			// cell that is not UTF-8 is a bad row naming its column (parse).
			for _, c := range rec {
				if !utf8.ValidString(c) {
					return nil, fmt.Errorf("register: %s: line %d: invalid UTF-8 (save the file as CSV UTF-8)", name, line)
				}
			}
		}
		noHeader, err := rr.feed(line, rec)
		if err != nil {
			return rr.header, err
		}
		if noHeader {
			return nil, fmt.Errorf("register: %s: %w", name, ErrNoHeader)
		}
	}
	if rr.header == nil {
		return nil, fmt.Errorf("register: %s: %w", name, ErrNoHeader)
	}
	return rr.header, nil
}

// sniffDelimiter returns the delimiter under which a header row appears in
// head, preferring the one matching more columns; ";" when neither does.
func sniffDelimiter(head []byte, opt Options) rune {
	best, bestCols := ';', -1
	for _, d := range []rune{';', ',', '\t'} {
		cr := csv.NewReader(bytes.NewReader(head))
		cr.Comma = d
		cr.FieldsPerRecord = -1
		cr.LazyQuotes = true
		rr := newRowReader("", "", opt, nil)
		for i := 0; i < rr.opt.HeaderScan; i++ {
			rec, err := cr.Read()
			if err != nil {
				break
			}
			if h := rr.matchHeader(rec); h != nil {
				if len(h.Columns) > bestCols {
					best, bestCols = d, len(h.Columns)
				}
				break
			}
		}
	}
	return best
}
