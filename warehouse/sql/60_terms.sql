-- The indicator terms of a record (a row of its kpi_*_facts view), one
-- row for every indicator that looks at the record: whether it is in the
-- numerator and in the denominator, whether it counts in the indicator's
-- missing, and why it is not in the numerator. chiso explain lists these
-- rows (warehouse.Explain reads nothing else of the conditions). The
-- terms are those of kpi_*_term_def (25_terms.sql), the ones the per-day
-- summaries add up: this file only turns their columns into rows and adds
-- the reasons, so explain and the kpi cannot drift apart
-- (TestKPITermsOneDefinition, and TestKPIGolden on every golden case and
-- standard period).
--
-- baseline says the indicator is a reduction: it also looks at the
-- baseline span (cùng kỳ), and its numerator records are counted in the
-- period or in the baseline. p_to is the last day of the span the records
-- are judged at: a dossier is late when its late_on is not after it (nor
-- after today).

CREATE OR REPLACE FUNCTION kpi_document_terms(v kpi_document_facts, p_to date)
RETURNS TABLE (indicator text, on_date date, baseline boolean,
               in_numerator boolean, in_denominator boolean, missing boolean, reason text)
LANGUAGE sql STABLE AS $$
  SELECT x.indicator, x.on_date, x.baseline, coalesce(x.num, false), coalesce(x.den, false), x.miss,
         CASE WHEN coalesce(x.num, false) THEN NULL ELSE x.reason END
  FROM kpi_document_term_def(v.direction, v.secret, v.counterpart_relation, v.counts_issued, v.issued_unknown,
    v.ex_scope, v.electronic, v.ex_unknown, v.issued_on, v.event_on) t
  CROSS JOIN LATERAL (SELECT
      CASE WHEN v.family = 'unknown' THEN 'chưa xác định nhóm văn bản (thiếu số liệu)'
           ELSE 'không phải văn bản hành chính (nhóm ' || v.family || ')' END AS issued,
      CASE WHEN v.secret THEN 'văn bản mật: không tính'
           WHEN v.counterpart_relation IS NULL THEN 'chưa xác định cơ quan gửi/nhận (thiếu số liệu)'
           WHEN NOT v.electronic THEN 'văn bản giấy' END AS exchange) r
  CROSS JOIN LATERAL (VALUES
    ('doc_reduction', t.doc_reduction_on, true, t.doc_reduction_in, t.doc_reduction_num,
      t.doc_reduction_den, t.doc_reduction_miss, r.issued),
    ('documents_issued', t.documents_issued_on, false, t.documents_issued_in, t.documents_issued_num,
      t.documents_issued_den, t.documents_issued_miss, r.issued),
    ('electronic_exchange_share', t.electronic_exchange_share_on, false, t.electronic_exchange_share_in,
      t.electronic_exchange_share_num, t.electronic_exchange_share_den, t.electronic_exchange_share_miss, r.exchange),
    ('electronic_exchange_out_share', t.electronic_exchange_out_share_on, false, t.electronic_exchange_out_share_in,
      t.electronic_exchange_out_share_num, t.electronic_exchange_out_share_den, t.electronic_exchange_out_share_miss,
      r.exchange),
    ('electronic_exchange_in_share', t.electronic_exchange_in_share_on, false, t.electronic_exchange_in_share_in,
      t.electronic_exchange_in_share_num, t.electronic_exchange_in_share_den, t.electronic_exchange_in_share_miss,
      r.exchange)
  ) AS x(indicator, on_date, baseline, looked_at, num, den, miss, reason)
  WHERE x.looked_at $$;

CREATE OR REPLACE FUNCTION kpi_meeting_terms(v kpi_meeting_facts, p_to date)
RETURNS TABLE (indicator text, on_date date, baseline boolean,
               in_numerator boolean, in_denominator boolean, missing boolean, reason text)
LANGUAGE sql STABLE AS $$
  SELECT x.indicator, x.on_date, x.baseline, coalesce(x.num, false), coalesce(x.den, false), x.miss,
         CASE WHEN coalesce(x.num, false) THEN NULL ELSE coalesce(r.not_counted, x.reason) END
  FROM kpi_meeting_term_def(v.counted, v.online_or_paperless, v.materials_known, v.materials_ahead,
    v.discussion_known, v.discussion_ok, v.duration_ok, v.commune_wide, v.cap_sessions, v.starts_on) t
  CROSS JOIN LATERAL (SELECT
      CASE WHEN v.deleted_run IS NOT NULL THEN 'cuộc họp đã bị xóa khỏi lịch'
           WHEN v.cancelled THEN 'cuộc họp đã hủy'
           WHEN NOT v.organized_by_self THEN 'chỉ dự, không chủ trì' END AS not_counted) r
  CROSS JOIN LATERAL (VALUES
    ('meeting_reduction', t.meeting_reduction_on, true, t.meeting_reduction_in, t.meeting_reduction_num,
      t.meeting_reduction_den, t.meeting_reduction_miss, NULL::text),
    ('meetings_held', t.meetings_held_on, false, t.meetings_held_in, t.meetings_held_num,
      t.meetings_held_den, t.meetings_held_miss, NULL),
    ('meeting_online_share', t.meeting_online_share_on, false, t.meeting_online_share_in, t.meeting_online_share_num,
      t.meeting_online_share_den, t.meeting_online_share_miss, 'không trực tuyến, không giấy'),
    ('commune_wide_conferences', t.commune_wide_conferences_on, false, t.commune_wide_conferences_in,
      t.commune_wide_conferences_num, t.commune_wide_conferences_den, t.commune_wide_conferences_miss, NULL),
    ('meeting_materials_ahead_share', t.meeting_materials_ahead_share_on, false, t.meeting_materials_ahead_share_in,
      t.meeting_materials_ahead_share_num, t.meeting_materials_ahead_share_den, t.meeting_materials_ahead_share_miss,
      CASE WHEN NOT v.materials_known THEN 'chưa có thời điểm gửi tài liệu (thiếu số liệu)'
           ELSE 'gửi tài liệu muộn (dưới 24 giờ trước cuộc họp)' END),
    ('meeting_discussion_share', t.meeting_discussion_share_on, false, t.meeting_discussion_share_in,
      t.meeting_discussion_share_num, t.meeting_discussion_share_den, t.meeting_discussion_share_miss,
      CASE WHEN NOT v.discussion_known THEN 'thiếu thời lượng thảo luận hoặc tổng thời lượng (thiếu số liệu)'
           ELSE 'thời gian thảo luận dưới 70%' END),
    ('meeting_duration_share', t.meeting_duration_share_on, false, t.meeting_duration_share_in,
      t.meeting_duration_share_num, t.meeting_duration_share_den, t.meeting_duration_share_miss,
      CASE WHEN v.cap_sessions IS NULL THEN 'chưa xác định loại cuộc họp (thiếu số liệu)'
           ELSE 'vượt thời lượng: ' || v.sessions || ' buổi > ' || v.cap_sessions || ' buổi' END)
  ) AS x(indicator, on_date, baseline, looked_at, num, den, miss, reason)
  WHERE x.looked_at $$;

CREATE OR REPLACE FUNCTION kpi_dossier_terms(v kpi_dossier_facts, p_to date)
RETURNS TABLE (indicator text, on_date date, baseline boolean,
               in_numerator boolean, in_denominator boolean, missing boolean, reason text)
LANGUAGE sql STABLE AS $$
  SELECT x.indicator, x.on_date, false, coalesce(x.num, false), coalesce(x.den, false), x.miss,
         CASE WHEN coalesce(x.num, false) THEN NULL ELSE x.reason END
  FROM kpi_dossier_term_def(v.channel, v.status, v.input_digitized, v.reused_data, v.level_unknown, v.full_online,
    v.result_scope, v.result_electronic, v.on_time_scope, v.late_on, v.received_on, v.finished_on,
    p_to, kpi_vn_date(now())) t
  CROSS JOIN LATERAL (VALUES
    ('dossier_full_online_share', t.dossier_full_online_share_on, t.dossier_full_online_share_in,
      t.dossier_full_online_share_num, t.dossier_full_online_share_den, t.dossier_full_online_share_miss,
      CASE WHEN v.level_unknown THEN 'chưa rõ mức độ dịch vụ công của thủ tục (thiếu số liệu)'
           WHEN v.channel IS DISTINCT FROM 'online' THEN 'không nộp trực tuyến'
           WHEN v.level <> 'toan_trinh' THEN 'thủ tục không cung cấp trực tuyến toàn trình'
           ELSE 'kết quả không trả bản điện tử hoặc qua bưu chính' END),
    ('dossier_online_share', t.dossier_online_share_on, t.dossier_online_share_in, t.dossier_online_share_num,
      t.dossier_online_share_den, t.dossier_online_share_miss,
      CASE WHEN v.channel IS NULL THEN 'thiếu kênh nộp, tính như nộp trực tiếp (thiếu số liệu)'
           ELSE 'kênh nộp: ' || v.channel END),
    ('dossier_input_digitized_share', t.dossier_input_digitized_share_on, t.dossier_input_digitized_share_in,
      t.dossier_input_digitized_share_num, t.dossier_input_digitized_share_den, t.dossier_input_digitized_share_miss,
      'thành phần hồ sơ chưa được số hóa'),
    ('dossier_reused_data_share', t.dossier_reused_data_share_on, t.dossier_reused_data_share_in,
      t.dossier_reused_data_share_num, t.dossier_reused_data_share_den, t.dossier_reused_data_share_miss,
      'không tái sử dụng dữ liệu'),
    ('dossier_on_time_share', t.dossier_on_time_share_on, t.dossier_on_time_share_in, t.dossier_on_time_share_num,
      t.dossier_on_time_share_den, t.dossier_on_time_share_miss,
      CASE WHEN NOT v.on_time_scope THEN 'hồ sơ bị từ chối hoặc rút: không tính'
           WHEN v.late_on IS NULL THEN 'không có hạn trả và thủ tục không có thời hạn giải quyết (thiếu số liệu)'
           WHEN v.supplements >= 2 THEN 'yêu cầu bổ sung từ 2 lần trở lên: tính là trễ hạn'
           ELSE 'trễ hạn' END),
    ('result_digitized_share', t.result_digitized_share_on, t.result_digitized_share_in,
      t.result_digitized_share_num, t.result_digitized_share_den, t.result_digitized_share_miss,
      CASE WHEN NOT v.result_scope THEN 'thủ tục không có kết quả giấy tờ: không tính'
           ELSE 'kết quả chưa có bản điện tử' END)
  ) AS x(indicator, on_date, looked_at, num, den, miss, reason)
  WHERE x.looked_at $$;
