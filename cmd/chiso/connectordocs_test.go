package main

import (
	"flag"
	"os"
	"strings"
	"testing"

	"chiso/sync/connector"
	"chiso/sync/connectors/dvc"
	"chiso/sync/connectors/dvcdir"
	"chiso/sync/connectors/edxmldir"
	"chiso/sync/connectors/ical"
	"chiso/sync/connectors/meetingsfile"
	"chiso/sync/connectors/register"
	"chiso/sync/connectors/vxp"
)

var update = flag.Bool("update", false, "rewrite docs/ket-noi.md from the connectors' sample configs")

// connectorDocs are the admin guide's sections, one per connector type, in
// the order of the data flow; the YAML comes from each connector's
// SampleConfig, so the page cannot drift from the code.
var connectorDocs = []struct {
	typ, title, about, sample string
}{
	{"edxml-dir", "Kho lưu gói tin edXML của hệ thống QLVB (`edxml-dir`)",
		"Đọc (không bao giờ ghi) thư mục lưu gói tin edXML mà QLVB và bộ SDK trục liên thông ghi ra, thường là `{gốc}/{năm}/{tháng}/{docId}.edxml`. Mỗi tệp chỉ đọc lại khi kích thước, thời điểm sửa hoặc mã băm thay đổi; tệp không mở được (sai quyền…) được ghi vào `rejects` và thử lại ở mọi lần chạy sau. Tệp hỏng được giữ nguyên văn trong bảng `rejects` kèm lý do. Liên kết tượng trưng (symlink) chỉ được đọc khi trỏ tới tệp nằm trong thư mục gốc; liên kết trỏ ra ngoài, liên kết vòng và liên kết hỏng không được đọc, được ghi vào `rejects` (không kèm nội dung) một lần cho tới khi thay đổi.", edxmldir.SampleConfig},
	{"vxp", "Trục liên thông văn bản quốc gia (`vxp`)",
		"Đọc gói tin văn bản và gói tin trạng thái từ trục. Mặc định là chế độ **quan sát** (`observer`): chiso không bao giờ xác nhận đã nhận (`updateStatus`), vì hộp thư trên trục là của hệ thống QLVB. Chỉ đặt `mode: consumer` khi chiso là bên nhận chính thức. Khóa bí mật HMAC do đơn vị quản lý trục cấp cho `system_id`.", vxp.SampleConfig},
	{"register-file", "Sổ đăng ký văn bản đi / đến (`register-file`)",
		"Đọc tệp xuất .xlsx hoặc .csv của sổ đăng ký văn bản đi, văn bản đến và sổ văn bản mật. Sổ là nguồn duy nhất thấy văn bản giấy và văn bản mật; thiếu sổ, tỷ lệ văn bản điện tử luôn là 100% (sai). Dòng tiêu đề được tìm theo tên cột; tên cơ quan được tra trong danh bạ (tên chưa có được liệt kê trong `chiso status`). Sổ mật (`secret_register: true`) chỉ lấy số lượng và khóa (số, ký hiệu, ngày): không lưu trích yếu, người ký, nơi nhận; dòng sai của sổ mật (và dòng có độ mật của sổ thường) chỉ giữ vị trí (tệp, trang tính, dòng, cột), lý do nêu tên cột mà không trích nội dung ô, và mã băm của dòng. Ô chứa byte NUL hoặc không phải UTF-8 làm dòng bị loại, nêu tên cột. Tệp .xlsx giải nén ra lớn hơn `max_unzipped_size` (bom zip) bị loại mà không đọc, và chỉ đọc lại khi tệp thay đổi.", register.SampleConfig},
	{"dvc", "Cổng dịch vụ công / hệ thống một cửa (`dvc`)",
		"Lấy hồ sơ thủ tục hành chính theo khoảng thời gian cập nhật (có phần chồng lấn vì cổng còn cập nhật hồ sơ sau khi tiếp nhận). Không lưu thông tin cá nhân (họ tên, số giấy tờ, số điện thoại, trích yếu), kể cả trong bảng `rejects`: xem docs/du-lieu-ca-nhan.md. Ngoài cách lấy này, `chiso run` còn nhận dữ liệu đẩy tới `POST /dvc/DongBoHoSoMC` khi đặt `http.push_token`.", dvc.SampleConfig},
	{"dvc-dir", "Thư mục tệp JSON hồ sơ xuất từ cổng (`dvc-dir`)",
		"Đọc các tệp JSON hồ sơ (gói đồng bộ quốc gia, mảng bản ghi hoặc một bản ghi) mà hệ thống một cửa xuất ra. Không bao giờ sửa tệp; hồ sơ sai được ghi vào `rejects` với vị trí (byte) trong tệp và mã băm, không kèm thông tin cá nhân (docs/du-lieu-ca-nhan.md).", dvcdir.SampleConfig},
	{"ical", "Lịch họp iCalendar (`ical`)",
		"Đọc lịch họp dạng iCalendar theo địa chỉ URL (có thể có tài khoản) hoặc tệp. Cuộc họp định kỳ được trải ra trong cửa sổ thời gian; cuộc họp bị hủy, dời hoặc xóa khỏi lịch được cập nhật, không bị đếm trùng. Cách ghi loại họp, trực tuyến, không giấy, thời điểm gửi tài liệu, thời gian thảo luận: xem docs/lich-hop.md.", ical.SampleConfig},
	{"meetings-file", "Bảng kê cuộc họp (`meetings-file`)",
		"Cho cơ quan chưa có hệ thống lịch: bảng .csv/.xlsx với các cột `ma, tieu_de, loai, pham_vi, bat_dau, ket_thuc, truc_tuyen, khong_giay, huy, vai_tro, don_vi, gui_tai_lieu, phut_thao_luan` (xem docs/lich-hop.md). Chỉ đọc các tệp nằm ngay trong thư mục (không đọc thư mục con). Tệp không đọc được như một bảng kê (thiếu dòng tiêu đề, tệp hỏng, bom zip) được ghi vào `rejects`, các tệp khác vẫn được nạp và lần chạy đó không đánh dấu cuộc họp nào là đã xóa.", meetingsfile.SampleConfig},
}

func renderConnectorDocs() string {
	var b strings.Builder
	b.WriteString("# Các bộ kết nối (connector)\n\n")
	b.WriteString("Trang này được sinh từ cấu hình mẫu trong mã nguồn của từng connector (`go test ./cmd/chiso -run TestConnectorDocs -update`), nên luôn khớp với phiên bản đang dùng. ")
	b.WriteString("Mỗi khối là một mục trong danh sách `connectors:` của tệp cấu hình. Khóa chung của mọi connector: `name` (duy nhất, chữ thường, số, dấu gạch), `type`, `schedule` (cron 5–6 trường hoặc `@every`, giờ Việt Nam), `timeout` (không dài hơn chu kỳ lịch). Khóa sai tên là lỗi cấu hình.\n")
	for _, d := range connectorDocs {
		b.WriteString("\n## " + d.title + "\n\n" + d.about + "\n\n```yaml\nconnectors:" + strings.TrimRight(d.sample, "\n") + "\n```\n")
	}
	return b.String()
}

func TestConnectorDocs(t *testing.T) {
	documented := map[string]bool{}
	for _, d := range connectorDocs {
		documented[d.typ] = true
		if !strings.Contains(d.sample, "type: "+d.typ) {
			t.Errorf("%s: its sample config does not say type: %s", d.typ, d.typ)
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
