-- +goose Up
-- Warehouses written before the dossier allow-list (mapping/dossiers
-- keep.go) hold applicants' data: sightings kept every member but a few
-- named ones (TrichYeuHoSo, file names, supplement texts stayed), and the
-- rejects of the dossier connectors kept whole records or whole files.
-- This scrubs them once to what chiso keeps now: the same allow-list
-- (TestScrubMatchesKeepRecord checks that this copy of it gives what
-- dossiers.KeepRecord gives). A reject keeps the hash of its original
-- bytes (computed here, before the bytes go), so that the admin can still
-- find the original at the source; a reject that is not one record (a
-- whole file, a push body, an array) keeps no bytes. The functions are
-- dropped at the end: nothing else uses this copy of the list.

-- +goose StatementBegin
CREATE FUNCTION chiso_scrub_members(o jsonb, allowed text[], presence text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_object_agg(k, CASE
           WHEN NOT k = ANY(presence) THEN v
           WHEN jsonb_typeof(v) = 'null' THEN v
           WHEN jsonb_typeof(v) = 'string' AND lower(btrim(v #>> '{}')) IN ('', 'null') THEN '""'::jsonb
           ELSE '"[url]"'::jsonb END), '{}'::jsonb)
  FROM jsonb_each(o) AS e(k, v)
  WHERE (k = ANY(allowed) OR k = ANY(presence)) AND jsonb_typeof(v) NOT IN ('object', 'array')
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION chiso_scrub_list(r jsonb, name text, allowed text[], presence text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE jsonb_typeof(r -> name)
    WHEN 'null' THEN jsonb_build_object(name, 'null'::jsonb)
    WHEN 'array' THEN jsonb_build_object(name, (
      SELECT coalesce(jsonb_agg(CASE WHEN jsonb_typeof(x) = 'object' THEN chiso_scrub_members(x, allowed, presence)
                                     ELSE 'null'::jsonb END ORDER BY i), '[]'::jsonb)
      FROM jsonb_array_elements(r -> name) WITH ORDINALITY AS a(x, i)))
    ELSE '{}'::jsonb END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION chiso_scrub_dossier(r jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_typeof(r) IS DISTINCT FROM 'object' THEN NULL ELSE
    chiso_scrub_members(r, ARRAY['MaHoSo', 'MaTTHC', 'TenTTHC', 'KenhThucHien', 'TrangThaiHoSo', 'HinhThuc',
      'NgayNopHoSo', 'NgayTiepNhan', 'NgayHenTra', 'NgayKetThucXuLy', 'NgayTra', 'NgayTuChoi', 'NgayCapNhat',
      'HoSoCoThanhPhanSoHoa'], '{}')
    || chiso_scrub_list(r, 'TaiLieuNop', ARRAY['IsDeleted', 'DuocSoHoa', 'DuocTaiSuDung', 'DuocLayTuKhoDMQG'], '{}')
    || chiso_scrub_list(r, 'DanhSachGiayToKetQua', '{}', ARRAY['DuongDanTepTinKetQua'])
    || chiso_scrub_list(r, 'DanhSachHoSoBoSung', ARRAY['NgayBoSung', 'NgayTiepNhanBoSung', 'TrangThaiBoSung',
      'NgayHenTraTruoc', 'NgayHenTraMoi'], '{}')
    || chiso_scrub_list(r, 'QuaTrinhXuLy', ARRAY['ThoiDiemXuLy', 'NgayBatDau', 'TrangThai', 'ChucDanh',
      'PhongBanXuLy', 'NoiDungXuLy'], '{}')
  END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION chiso_scrub_step(r jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_typeof(r) IS DISTINCT FROM 'object' THEN NULL ELSE
    chiso_scrub_members(r, ARRAY['MaHoSo', 'ThoiDiemXuLy', 'NgayBatDau', 'TrangThai', 'ChucDanh', 'PhongBanXuLy',
      'NoiDungXuLy'], '{}') END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION chiso_scrub_try_jsonb(b bytea) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN convert_from(b, 'UTF8')::jsonb;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;
-- +goose StatementEnd

UPDATE dossier_sightings SET raw = chiso_scrub_dossier(raw) WHERE raw IS NOT NULL;

-- The dossier connectors' rejects: the push receiver's, and those of every
-- connector that stored dossiers (its name is the sightings' source).
WITH r AS (
  SELECT id, raw, source_key LIKE 'push:steps:%' AS step,
         CASE WHEN source_key LIKE 'push:DongBoHoSoMC:%' OR source_key LIKE 'push:CapNhatTienDoHoSoMC:%' THEN NULL
              ELSE chiso_scrub_try_jsonb(raw) END AS j
  FROM rejects
  WHERE raw IS NOT NULL
    AND (connector = 'dvc-push' OR connector IN (SELECT DISTINCT source FROM dossier_sightings)))
UPDATE rejects x SET
  raw_sha256 = coalesce(x.raw_sha256, encode(sha256(r.raw), 'hex')),
  raw = convert_to(nullif(CASE WHEN r.step THEN chiso_scrub_step(r.j) ELSE chiso_scrub_dossier(r.j) END, '{}'::jsonb)::text, 'UTF8')
FROM r WHERE x.id = r.id;

DROP FUNCTION chiso_scrub_try_jsonb(bytea);
DROP FUNCTION chiso_scrub_step(jsonb);
DROP FUNCTION chiso_scrub_dossier(jsonb);
DROP FUNCTION chiso_scrub_list(jsonb, text, text[], text[]);
DROP FUNCTION chiso_scrub_members(jsonb, text[], text[]);

-- +goose Down
-- Nothing to undo: the scrubbed data stays at its source, not here.
SELECT 1;
