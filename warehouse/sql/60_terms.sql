-- The indicator terms of a record (a row of its kpi_*_facts view): for
-- every indicator the record is looked at by, whether it is in the
-- numerator and in the denominator, whether it counts in the indicator's
-- missing, and why it is not in the numerator. chiso explain lists these rows (warehouse.Explain reads
-- nothing else of the conditions), and TestKPIGolden checks on every
-- golden case and standard period that they add up to the kpi's numbers.
--
-- on_date is the Vietnam date that puts the record in a span; baseline
-- says the indicator is a reduction: it also looks at the baseline span
-- (cùng kỳ), and its numerator records are counted in the period or in
-- the baseline. p_to is the last day of the span the records are judged
-- at: a dossier is late when its late_on is not after it (nor after
-- today).

CREATE OR REPLACE FUNCTION kpi_document_terms(v kpi_document_facts, p_to date)
RETURNS TABLE (indicator text, on_date date, baseline boolean,
               in_numerator boolean, in_denominator boolean, missing boolean, reason text)
LANGUAGE sql STABLE AS $$
  SELECT t.indicator, t.on_date, t.baseline, coalesce(t.num, false), coalesce(t.den, false), t.miss,
         CASE WHEN coalesce(t.num, false) THEN NULL ELSE t.reason END
  FROM (SELECT
      CASE WHEN v.family = 'unknown' THEN 'chưa xác định nhóm văn bản (thiếu số liệu)'
           ELSE 'không phải văn bản hành chính (nhóm ' || v.family || ')' END AS issued,
      CASE WHEN v.secret THEN 'văn bản mật: không tính'
           WHEN v.counterpart_relation IS NULL THEN 'chưa xác định cơ quan gửi/nhận (thiếu số liệu)'
           WHEN NOT v.electronic THEN 'văn bản giấy' END AS exchange,
      (v.ex_scope OR v.ex_unknown OR (v.secret AND v.counterpart_relation = 'higher')) AS ex_base) r
  CROSS JOIN LATERAL (VALUES
    ('doc_reduction', v.issued_on, true, v.direction = 'out', v.counts_issued, NULL::boolean, v.issued_unknown, r.issued),
    ('documents_issued', v.issued_on, false, v.direction = 'out', v.counts_issued, NULL, v.issued_unknown, r.issued),
    ('electronic_exchange_share', v.event_on, false, r.ex_base,
      v.ex_scope AND v.electronic, v.ex_scope, v.ex_unknown, r.exchange),
    ('electronic_exchange_out_share', v.event_on, false, r.ex_base AND v.direction = 'out',
      v.ex_scope AND v.electronic, v.ex_scope, v.ex_unknown, r.exchange),
    ('electronic_exchange_in_share', v.event_on, false, r.ex_base AND v.direction = 'in',
      v.ex_scope AND v.electronic, v.ex_scope, v.ex_unknown, r.exchange)
  ) AS t(indicator, on_date, baseline, looked_at, num, den, miss, reason)
  WHERE t.looked_at $$;

CREATE OR REPLACE FUNCTION kpi_meeting_terms(v kpi_meeting_facts, p_to date)
RETURNS TABLE (indicator text, on_date date, baseline boolean,
               in_numerator boolean, in_denominator boolean, missing boolean, reason text)
LANGUAGE sql STABLE AS $$
  SELECT t.indicator, v.starts_on, t.baseline, coalesce(t.num, false), coalesce(t.den, false), t.miss,
         CASE WHEN coalesce(t.num, false) THEN NULL ELSE coalesce(r.not_counted, t.reason) END
  FROM (SELECT
      CASE WHEN v.deleted_run IS NOT NULL THEN 'cuộc họp đã bị xóa khỏi lịch'
           WHEN v.cancelled THEN 'cuộc họp đã hủy'
           WHEN NOT v.organized_by_self THEN 'chỉ dự, không chủ trì' END AS not_counted) r
  CROSS JOIN LATERAL (VALUES
    ('meeting_reduction', true, true, v.counted, NULL::boolean, false, NULL::text),
    ('meetings_held', false, true, v.counted, NULL, false, NULL),
    ('meeting_online_share', false, true, v.counted AND v.online_or_paperless, v.counted, false,
      'không trực tuyến, không giấy'),
    ('commune_wide_conferences', false, v.commune_wide, v.counted AND v.commune_wide, NULL, false, NULL),
    ('meeting_materials_ahead_share', false, true, v.counted AND v.materials_ahead, v.counted AND v.materials_known,
      v.counted AND NOT v.materials_known,
      CASE WHEN NOT v.materials_known THEN 'chưa có thời điểm gửi tài liệu (thiếu số liệu)'
           ELSE 'gửi tài liệu muộn (dưới 24 giờ trước cuộc họp)' END),
    ('meeting_discussion_share', false, true, v.counted AND v.discussion_ok, v.counted AND v.discussion_known,
      v.counted AND NOT v.discussion_known,
      CASE WHEN NOT v.discussion_known THEN 'thiếu thời lượng thảo luận hoặc tổng thời lượng (thiếu số liệu)'
           ELSE 'thời gian thảo luận dưới 70%' END),
    ('meeting_duration_share', false, true, v.counted AND v.duration_ok, v.counted,
      v.counted AND v.cap_sessions IS NULL,
      CASE WHEN v.cap_sessions IS NULL THEN 'chưa xác định loại cuộc họp (thiếu số liệu)'
           ELSE 'vượt thời lượng: ' || v.sessions || ' buổi > ' || v.cap_sessions || ' buổi' END)
  ) AS t(indicator, baseline, looked_at, num, den, miss, reason)
  WHERE t.looked_at $$;

CREATE OR REPLACE FUNCTION kpi_dossier_terms(v kpi_dossier_facts, p_to date)
RETURNS TABLE (indicator text, on_date date, baseline boolean,
               in_numerator boolean, in_denominator boolean, missing boolean, reason text)
LANGUAGE sql STABLE AS $$
  SELECT t.indicator, t.on_date, false, coalesce(t.num, false), coalesce(t.den, false), t.miss,
         CASE WHEN coalesce(t.num, false) THEN NULL ELSE t.reason END
  FROM (SELECT v.on_time_scope AND v.late_on IS NOT NULL AS ot_den,
      (v.on_time_scope AND v.late_on IS NOT NULL AND v.late_on <= least(p_to, kpi_vn_date(now()))) AS late) r
  CROSS JOIN LATERAL (VALUES
    ('dossier_full_online_share', v.received_on, true, v.full_online, true, v.level_unknown,
      CASE WHEN v.level_unknown THEN 'chưa rõ mức độ dịch vụ công của thủ tục (thiếu số liệu)'
           WHEN v.channel IS DISTINCT FROM 'online' THEN 'không nộp trực tuyến'
           WHEN v.level <> 'toan_trinh' THEN 'thủ tục không cung cấp trực tuyến toàn trình'
           ELSE 'kết quả không trả bản điện tử hoặc qua bưu chính' END),
    ('dossier_online_share', v.received_on, true, v.channel = 'online', true, v.channel IS NULL,
      CASE WHEN v.channel IS NULL THEN 'thiếu kênh nộp, tính như nộp trực tiếp (thiếu số liệu)'
           ELSE 'kênh nộp: ' || v.channel END),
    ('dossier_input_digitized_share', v.received_on, true, v.input_digitized, true, false,
      'thành phần hồ sơ chưa được số hóa'),
    ('dossier_reused_data_share', v.received_on, true, v.reused_data, true, false,
      'không tái sử dụng dữ liệu'),
    ('dossier_on_time_share', v.received_on, true, r.ot_den AND NOT r.late, r.ot_den,
      v.on_time_scope AND v.late_on IS NULL,
      CASE WHEN NOT v.on_time_scope THEN 'hồ sơ bị từ chối hoặc rút: không tính'
           WHEN v.late_on IS NULL THEN 'không có hạn trả và thủ tục không có thời hạn giải quyết (thiếu số liệu)'
           WHEN v.supplements >= 2 THEN 'yêu cầu bổ sung từ 2 lần trở lên: tính là trễ hạn'
           ELSE 'trễ hạn' END),
    ('result_digitized_share', v.finished_on, coalesce(v.status IN (9, 10), false),
      v.result_scope AND v.result_electronic, v.result_scope, false,
      CASE WHEN NOT v.result_scope THEN 'thủ tục không có kết quả giấy tờ: không tính'
           ELSE 'kết quả chưa có bản điện tử' END)
  ) AS t(indicator, on_date, looked_at, num, den, miss, reason)
  WHERE t.looked_at $$;
