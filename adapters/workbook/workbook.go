// Package workbook opens .xlsx workbooks for the file adapters (registers,
// meetings files) with bounded unpacking: a workbook whose parts would
// unpack to more than a limit (a zip bomb: a few MB that inflate to GB) is
// refused before any part is extracted, instead of being inflated to a
// temporary file on every run.
package workbook

import (
	"errors"
	"fmt"

	"github.com/xuri/excelize/v2"
)

// DefaultMaxUnzipped is what a workbook may unpack to when the caller sets
// no limit: far above a register of 100,000 rows (about 60 MB unpacked).
const DefaultMaxUnzipped int64 = 256 << 20

// maxInMemoryPart is the size above which excelize keeps a worksheet or the
// shared strings in a temporary file instead of memory (its own default).
const maxInMemoryPart int64 = 16 << 20

// ErrTooLarge is returned (wrapped) for a workbook over the limit.
var ErrTooLarge = errors.New("workbook unpacks to more than the limit")

// Open opens the workbook at path; maxUnzipped bounds the unpacked size of
// all its parts together (0: DefaultMaxUnzipped).
func Open(path string, maxUnzipped int64) (*excelize.File, error) {
	if maxUnzipped <= 0 {
		maxUnzipped = DefaultMaxUnzipped
	}
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: min(maxInMemoryPart, maxUnzipped)})
	if err != nil {
		if isLimit(err, maxUnzipped) {
			return nil, fmt.Errorf("%w (%d bytes): not read (a zip bomb or a broken file)", ErrTooLarge, maxUnzipped)
		}
		return nil, err
	}
	return f, nil
}

// isLimit tells excelize's size-limit error (it has no sentinel).
func isLimit(err error, limit int64) bool {
	return err != nil && err.Error() == fmt.Sprintf("unzip size exceeds the %d bytes limit", limit)
}
