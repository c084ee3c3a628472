package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestInspectEdxml(t *testing.T) {
	const td = "../../adapters/edxml/testdata/"
	var out, errb bytes.Buffer
	code := inspectEdxml([]string{td + "valid/sample_edoc_new.edxml", td + "invalid/empty_subject.edxml", td + "valid/sample_status_01.edxml"}, &out, &errb)
	if code != 1 {
		t.Errorf("exit %d, want 1 (one invalid file)", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("stdout has %d lines, want 2:\n%s", len(lines), out.String())
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &doc); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"kind": "edoc", "doc_type": "bao_cao", "type_name": "Báo cáo", "family": "hanh_chinh",
		"issued_on": "2025-11-20", "code_notation": "BC-UBND", "attachments": 1.0, "status_code": nil} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %v", k, doc[k], want)
		}
	}
	if !strings.Contains(lines[1], `"status_code":"01"`) || !strings.Contains(lines[1], `"status_at":"2025-11-20T08:16:02+07:00"`) {
		t.Errorf("status line: %s", lines[1])
	}
	wantErr := td + "invalid/empty_subject.edxml: edXML/edXMLEnvelope/edXMLHeader/MessageHeader/Subject: empty Subject (trích yếu)\n"
	if errb.String() != wantErr {
		t.Errorf("stderr = %q, want %q", errb.String(), wantErr)
	}
	out.Reset()
	errb.Reset()
	if code := inspectEdxml([]string{td + "valid/sample_status_02.edxml"}, &out, &errb); code != 0 || errb.Len() != 0 {
		t.Errorf("valid file: exit %d, stderr %q", code, errb.String())
	}
}
