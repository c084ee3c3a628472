package dvc_test

import (
	"errors"
	"strings"
	"testing"

	"chiso/adapters/dvc"
)

// TestDecodeItemsOffsets checks that every item comes with its original
// bytes and where they start, and that an unreadable payload says at which
// byte it stops (rejects locate the original by it).
func TestDecodeItemsOffsets(t *testing.T) {
	cases := []struct {
		name, in string
		items    []int64 // offsets of the items read
		errItem  int     // PayloadError.Item; -2: no error
		errAt    int64
	}{
		{"bare array", `[{"a":1}, {"b":2},` + "\n  " + `{"c":3}]`, []int64{1, 10, 21}, -2, 0},
		{"envelope", `{"madonvi":"x","data":[ {"a":1},{"b":"x"}]}`, []int64{24, 32}, -2, 0},
		{"one record, spaces kept", ` {"MaHoSo":"x",  "y": [1] } `, []int64{1}, -2, 0},
		{"truncated item", `[{"a":1}, {"b":2},  {"c":`, []int64{1, 10}, 2, 20},
		{"garbage item", `[1, nope]`, []int64{1}, 1, 4},
		{"not JSON", "ChuHoSo: X", nil, -1, 0},
		{"empty", "", nil, -1, 0},
		{"trailing data", `[{"a":1}] x`, []int64{1}, -1, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []int64
			_, err := dvc.DecodeItems(strings.NewReader(c.in), func(it dvc.Item) error {
				if end := int(it.Offset) + len(it.Raw); end > len(c.in) || c.in[it.Offset:end] != string(it.Raw) {
					t.Errorf("item %d at %d: %q is not the original bytes", it.Index, it.Offset, it.Raw)
				}
				got = append(got, it.Offset)
				return nil
			})
			if len(got) != len(c.items) {
				t.Fatalf("items at %v, want %v", got, c.items)
			}
			for i := range got {
				if got[i] != c.items[i] {
					t.Errorf("items at %v, want %v", got, c.items)
				}
			}
			var pe *dvc.PayloadError
			switch {
			case c.errItem == -2 && err != nil:
				t.Errorf("unexpected error %v", err)
			case c.errItem != -2 && !errors.As(err, &pe):
				t.Errorf("error %v, want a PayloadError", err)
			case c.errItem != -2 && (pe.Item != c.errItem || pe.Offset != c.errAt):
				t.Errorf("error at item %d byte %d (%v), want item %d byte %d", pe.Item, pe.Offset, err, c.errItem, c.errAt)
			}
		})
	}
}
