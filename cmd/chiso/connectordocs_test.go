package main

import (
	"flag"
	"os"
	"strings"
	"testing"

	"chiso/sync/connector"
)

var update = flag.Bool("update", false, "rewrite docs/ket-noi.md from the connectors' sample configs")

// docOrder is the order of the admin guide's sections, one per connector
// type, in the order of the data flow. Each section's title, paragraph and
// YAML come from the type's registry entry (its sample.yaml), so the page
// cannot drift from the code.
var docOrder = []string{"edxml-dir", "vxp", "register-file", "dvc", "dvc-push", "dvc-dir", "ical", "meetings-file"}

func renderConnectorDocs() string {
	var b strings.Builder
	b.WriteString("# Các bộ kết nối (connector)\n\n")
	b.WriteString("Trang này được sinh từ cấu hình mẫu trong mã nguồn của từng connector (`go test ./cmd/chiso -run TestConnectorDocs -update`), nên luôn khớp với phiên bản đang dùng. ")
	b.WriteString("Mỗi khối là một mục trong danh sách `connectors:` của tệp cấu hình. Khóa chung của mọi connector: `name` (duy nhất, chữ thường, số, dấu gạch), `type`, `schedule` (cron 5–6 trường hoặc `@every`, giờ Việt Nam), `timeout` (không dài hơn chu kỳ lịch). Khóa sai tên là lỗi cấu hình.\n")
	for _, name := range docOrder {
		d, _ := connector.Lookup(name)
		b.WriteString("\n## " + d.Title + "\n\n" + d.About + "\n\n```yaml\n" + strings.TrimRight(d.Sample, "\n") + "\n```\n")
	}
	return b.String()
}

func TestConnectorDocs(t *testing.T) {
	documented := map[string]bool{}
	for _, name := range docOrder {
		documented[name] = true
		d, ok := connector.Lookup(name)
		if !ok {
			t.Errorf("docs/ket-noi.md has a section for %s, which is not a registered connector type", name)
			continue
		}
		if d.Title == "" || d.About == "" {
			t.Errorf("%s: its registry entry has no title or paragraph for docs/ket-noi.md", name)
		}
		switch {
		case d.Receiver:
			if !strings.HasPrefix(d.Sample, "http:\n") {
				t.Errorf("%s: a receiver's sample is its http: keys", name)
			}
		case !strings.HasPrefix(d.Sample, "connectors:\n") || !strings.Contains(d.Sample, "type: "+name):
			t.Errorf("%s: its sample.yaml is not a connectors: list with type: %s", name, name)
		}
	}
	for _, typ := range connector.Types() {
		if !documented[typ] {
			t.Errorf("connector type %s has no section in docs/ket-noi.md", typ)
		}
	}
	want := renderConnectorDocs()
	const path = "../../docs/ket-noi.md"
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("docs/ket-noi.md is out of date with the connectors' sample configs: run go test ./cmd/chiso -run TestConnectorDocs -update")
	}
}
