-- Two years of the commune 000.25.31.H99 (tree of warehouse/testdata/kpi/org.sql)
-- with a seasonal profile: the second half of 2025 is busier than the first.
-- The projection tests (report/outlook_test.go) work their figures out by hand
-- from the counts written next to each block.

-- Documents out (administrative, to lower agencies): 2025 10 a month in
-- January..June (60), 30 a month in July..December (180): 240 in the year.
INSERT INTO documents (unit_code, direction, doc_key, family, medium, issued_on, event_on, counterpart_relation)
SELECT '000.25.31.H99', 'out', 'a25-' || m || '-' || i, 'hanh_chinh', 'paper', make_date(2025, m, 10), make_date(2025, m, 10), 'lower'
FROM generate_series(1, 12) m CROSS JOIN LATERAL generate_series(1, CASE WHEN m <= 6 THEN 10 ELSE 30 END) i;
-- 2026: 9 a month in January..June (54).
INSERT INTO documents (unit_code, direction, doc_key, family, medium, issued_on, event_on, counterpart_relation)
SELECT '000.25.31.H99', 'out', 'a26-' || m || '-' || i, 'hanh_chinh', 'paper', make_date(2026, m, 10), make_date(2026, m, 10), 'lower'
FROM generate_series(1, 6) m CROSS JOIN LATERAL generate_series(1, 9) i;

-- Meetings chaired by the commune, all "giao ban" (1 session), materials sent
-- two days ahead, 150 of 180 minutes discussion.
-- 2025: 2 a month in January..June (12), 3 a month in July..December (18): 30.
--   online: the first meeting of January..April (4) and the first two of
--   July..October (8): 12. Commune-wide: March, September, November (3).
INSERT INTO meetings (unit_code, source, uid, title, kind, scope, organized_by_self, starts_at, ends_at, sessions, online, paperless, materials_sent_at, discussion_minutes, total_minutes, cancelled)
SELECT '000.25.31.H99', 'cal', 'm25-' || m || '-' || i, 'Giao ban', 'giao-ban',
       CASE WHEN i = 1 AND m IN (3, 9, 11) THEN 'toan-xa' END, true,
       make_timestamptz(2025, m, 5 + 10 * (i - 1), 8, 0, 0, 'Asia/Ho_Chi_Minh'),
       make_timestamptz(2025, m, 5 + 10 * (i - 1), 11, 0, 0, 'Asia/Ho_Chi_Minh'), 1,
       (m <= 4 AND i = 1) OR (m BETWEEN 7 AND 10 AND i <= 2), false,
       make_timestamptz(2025, m, 3 + 10 * (i - 1), 8, 0, 0, 'Asia/Ho_Chi_Minh'), 150, 180, false
FROM generate_series(1, 12) m CROSS JOIN LATERAL generate_series(1, CASE WHEN m <= 6 THEN 2 ELSE 3 END) i;
-- 2026: 2 a month in January..June and a third in June (13); online: the
-- first of each month (6); commune-wide: February and May (2); the third
-- June meeting had its materials one hour ahead only.
INSERT INTO meetings (unit_code, source, uid, title, kind, scope, organized_by_self, starts_at, ends_at, sessions, online, paperless, materials_sent_at, discussion_minutes, total_minutes, cancelled)
SELECT '000.25.31.H99', 'cal', 'm26-' || m || '-' || i, 'Giao ban', 'giao-ban',
       CASE WHEN i = 1 AND m IN (2, 5) THEN 'toan-xa' END, true,
       make_timestamptz(2026, m, 5 + 10 * (i - 1), 8, 0, 0, 'Asia/Ho_Chi_Minh'),
       make_timestamptz(2026, m, 5 + 10 * (i - 1), 11, 0, 0, 'Asia/Ho_Chi_Minh'), 1,
       i = 1, false,
       CASE WHEN i = 3 THEN make_timestamptz(2026, m, 25, 7, 0, 0, 'Asia/Ho_Chi_Minh')
            ELSE make_timestamptz(2026, m, 3 + 10 * (i - 1), 8, 0, 0, 'Asia/Ho_Chi_Minh') END, 150, 180, false
FROM generate_series(1, 6) m CROSS JOIN LATERAL generate_series(1, CASE WHEN m = 6 THEN 3 ELSE 2 END) i;

-- Dossiers of the fully online procedure, finished two days after receipt
-- with an electronic result.
-- 2025: 3 a month in January..June (18), 6 a month in July..December (36):
--   54; at the counter: the first of each month, and in July..December the
--   second too (6 + 12 = 18), so fully online 12 in January..June, 24 in
--   July..December: 36.
INSERT INTO procedures (ma_tthc, name, level, requires_result, max_days) VALUES ('1.001', 'Toàn trình', 'toan_trinh', true, 5);
INSERT INTO dossiers (unit_code, ma_ho_so, ma_tthc, procedure_level, channel, status, received_at, due_at, finished_at, result_method, input_digitized, result_electronic, reused_data, supplements)
SELECT '000.25.31.H99', 'h25-' || m || '-' || i, '1.001', NULL, CASE WHEN i = 1 OR (m > 6 AND i = 2) THEN 'direct' ELSE 'online' END, 10,
       make_timestamptz(2025, m, i, 9, 0, 0, 'Asia/Ho_Chi_Minh'), make_timestamptz(2025, m, i + 7, 17, 0, 0, 'Asia/Ho_Chi_Minh'),
       make_timestamptz(2025, m, i + 2, 10, 0, 0, 'Asia/Ho_Chi_Minh'), NULL, false, true, false, 0
FROM generate_series(1, 12) m CROSS JOIN LATERAL generate_series(1, CASE WHEN m <= 6 THEN 3 ELSE 6 END) i;
-- 2026: 4 a month in January..June (24); at the counter: the first of
-- January and of February (2), so fully online 22.
INSERT INTO dossiers (unit_code, ma_ho_so, ma_tthc, procedure_level, channel, status, received_at, due_at, finished_at, result_method, input_digitized, result_electronic, reused_data, supplements)
SELECT '000.25.31.H99', 'h26-' || m || '-' || i, '1.001', NULL, CASE WHEN i = 1 AND m <= 2 THEN 'direct' ELSE 'online' END, 10,
       make_timestamptz(2026, m, i, 9, 0, 0, 'Asia/Ho_Chi_Minh'), make_timestamptz(2026, m, i + 7, 17, 0, 0, 'Asia/Ho_Chi_Minh'),
       make_timestamptz(2026, m, i + 2, 10, 0, 0, 'Asia/Ho_Chi_Minh'), NULL, false, true, false, 0
FROM generate_series(1, 6) m CROSS JOIN LATERAL generate_series(1, 4) i;

-- Another commune with no 2025 facts at all (the linear fallback): three
-- meetings in January..June 2026, all online, one commune-wide.
INSERT INTO meetings (unit_code, source, uid, title, kind, scope, organized_by_self, starts_at, ends_at, sessions, online, paperless, materials_sent_at, discussion_minutes, total_minutes, cancelled)
SELECT '000.99.31.H99', 'cal', 'k26-' || m, 'Giao ban', 'giao-ban', CASE WHEN m = 1 THEN 'toan-xa' END, true,
       make_timestamptz(2026, m, 5, 8, 0, 0, 'Asia/Ho_Chi_Minh'), make_timestamptz(2026, m, 5, 11, 0, 0, 'Asia/Ho_Chi_Minh'), 1,
       true, false, make_timestamptz(2026, m, 3, 8, 0, 0, 'Asia/Ho_Chi_Minh'), 150, 180, false
FROM generate_series(1, 3) m;
