package textnorm

import "testing"

func TestKey(t *testing.T) {
	for in, want := range map[string]string{
		"Số, ký hiệu văn bản":       "so ky hieu van ban",
		"  Tên loại và TRÍCH YẾU  ": "ten loai va trich yeu",
		"Quyết định":                "quyet dinh",
		"ĐỘ MẬT":                    "do mat",
		"Phòng Văn hóa - Xã hội":    "phong van hoa xa hoi",
		"Số/Ký hiệu":                "so ky hieu",
		"":                          "",
	} {
		if got := Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}
