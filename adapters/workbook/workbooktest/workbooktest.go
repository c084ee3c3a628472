// Package workbooktest builds hostile workbooks for tests: a zip bomb that
// is a few MB on disk and unpacks to GB, made in well under a second.
package workbooktest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Bomb writes to path an .xlsx whose first sheet unpacks to about
// unpacked bytes: header in its first row, then the same row of codes
// repeated. It returns the size on disk. The other parts are a real
// workbook made by excelize.
func Bomb(t testing.TB, path string, unpacked int64, header []string) int64 {
	t.Helper()
	wb := excelize.NewFile()
	var src bytes.Buffer
	if err := wb.Write(&src); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(src.Bytes()), int64(src.Len()))
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			writeBombSheet(t, zw, f.Name, unpacked, header)
			continue
		}
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := out.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// writeBombSheet writes a raw deflate entry made of one compressed chunk of
// rows repeated: each chunk is compressed alone and ends on a sync flush,
// so the copies concatenate into one valid stream.
func writeBombSheet(t testing.TB, zw *zip.Writer, name string, unpacked int64, header []string) {
	t.Helper()
	var hb strings.Builder
	hb.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row>`)
	for _, h := range header {
		hb.WriteString(`<c t="inlineStr"><is><t>` + h + `</t></is></c>`)
	}
	hb.WriteString("</row>")
	head := []byte(hb.String())
	tail := []byte(`</sheetData></worksheet>`)
	var row strings.Builder
	row.WriteString("<row>")
	for range header {
		row.WriteString(`<c t="inlineStr"><is><t>1/BC-UBND</t></is></c>`)
	}
	row.WriteString("</row>")
	chunk := []byte(strings.Repeat(row.String(), (1<<20)/row.Len()))
	n := max(1, (unpacked-int64(len(head)+len(tail)))/int64(len(chunk)))

	deflate := func(b []byte, final bool) []byte {
		var buf bytes.Buffer
		fw, _ := flate.NewWriter(&buf, flate.BestCompression)
		fw.Write(b)
		if final {
			fw.Close()
		} else {
			fw.Flush()
		}
		return buf.Bytes()
	}
	zhead, zchunk, ztail := deflate(head, false), deflate(chunk, false), deflate(tail, true)
	crc := crc32.Update(0, crc32.IEEETable, head)
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	crc = crc32.Update(crc, crc32.IEEETable, tail)
	size := uint64(len(head)) + uint64(n)*uint64(len(chunk)) + uint64(len(tail))
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(zhead)) + uint64(n)*uint64(len(zchunk)) + uint64(len(ztail)), UncompressedSize64: size})
	if err != nil {
		t.Fatal(err)
	}
	write := func(b []byte) {
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	write(zhead)
	for range n {
		write(zchunk)
	}
	write(ztail)
}
