-- 2026-H1 of the commune 000.25.31.H99 rolled up over its two internal
-- units; the baseline 2025-H1 partly comes from the merged predecessor.
-- Hand computation in expected.tsv comments.
INSERT INTO documents (unit_code, direction, doc_key, family, is_secret, medium, issued_on, event_on, counterpart_relation, doc_type) VALUES
 ('000.25.31.H99','out','d1','hanh_chinh',false,'electronic','2026-01-10','2026-01-10','higher','bao_cao'),
 ('000.25.31.H99','out','d2','hanh_chinh',false,'paper','2026-02-10','2026-02-10','higher','to_trinh'),
 ('000.25.31.H99','out','d3','hanh_chinh',false,'electronic','2026-03-10','2026-03-10','lower','cong_van'),
 ('001.25.31.H99','out','d4','hanh_chinh',true,'electronic','2026-04-01','2026-04-01','higher','bao_cao'),
 ('001.25.31.H99','out','d5','hanh_chinh',false,'paper','2026-04-02','2026-04-02','peer','cong_van'),
 ('001.25.31.H99','out','d6','hanh_chinh',false,'paper','2026-04-03','2026-04-03',NULL,'thong_bao'),
 ('002.25.31.H99','out','d7','hanh_chinh',false,'electronic','2026-05-05','2026-05-05','higher','ke_hoach'),
 ('002.25.31.H99','out','d8','hanh_chinh',false,'electronic','2026-06-30','2026-06-30','lower','quyet_dinh'),
 ('000.25.31.H99','out','d9','qppl',false,'electronic','2026-02-01','2026-02-01','higher','nghi_quyet'),
 ('001.25.31.H99','out','d10','unknown',false,'paper','2026-02-15','2026-02-15','lower','khac'),
 ('000.25.31.H99','in','d11','hanh_chinh',false,'electronic','2026-01-18','2026-01-20','higher','cong_van'),
 ('000.25.31.H99','in','d12','hanh_chinh',false,'paper','2026-03-18','2026-03-20','higher','cong_van'),
 ('002.25.31.H99','in','d13','hanh_chinh',false,'electronic','2026-05-30','2026-06-01','higher','ke_hoach'),
 ('000.99.31.H99','out','x1','hanh_chinh',false,'paper','2026-01-05','2026-01-05','higher','cong_van'),
 ('000.25.31.H99','out','d14','hanh_chinh',false,'electronic','2026-07-01','2026-07-01','higher','bao_cao');
-- 2025-H1: 4 by the predecessor, 6 by the commune itself.
INSERT INTO documents (unit_code, direction, doc_key, family, medium, issued_on, event_on, counterpart_relation)
SELECT '000.11.31.H99', 'out', 'p' || g, 'hanh_chinh', 'paper', '2025-03-10', '2025-03-10', 'lower' FROM generate_series(1, 4) g;
INSERT INTO documents (unit_code, direction, doc_key, family, medium, issued_on, event_on, counterpart_relation)
SELECT '000.25.31.H99', 'out', 'b' || g, 'hanh_chinh', 'paper', '2025-06-10', '2025-06-10', 'lower' FROM generate_series(1, 6) g;

INSERT INTO meetings (unit_code, source, uid, title, kind, scope, organized_by_self, starts_at, ends_at, sessions, online, paperless, materials_sent_at, discussion_minutes, total_minutes, cancelled) VALUES
 ('000.25.31.H99','cal','m1','Giao ban','giao-ban','toan-xa',true,'2026-01-15 08:00+07','2026-01-15 11:00+07',1,true,false,'2026-01-13 08:00+07',150,180,false),
 ('000.25.31.H99','cal','m2','Quán triệt','quan-triet',NULL,true,'2026-02-10 08:00+07','2026-02-10 17:00+07',2,false,true,'2026-02-09 20:00+07',60,180,false),
 ('001.25.31.H99','cal','m3','Chuyên môn','chuyen-mon','toan-xa',true,'2026-03-05 08:00+07','2026-03-05 17:00+07',2,false,false,NULL,NULL,0,false),
 ('002.25.31.H99','cal','m4','Họp','',NULL,true,'2026-04-01 08:00+07','2026-04-01 11:00+07',1,true,false,'2026-03-30 08:00+07',126,180,false),
 ('000.25.31.H99','cal','m5','Hủy','giao-ban',NULL,true,'2026-05-01 08:00+07','2026-05-01 11:00+07',1,true,false,NULL,NULL,0,true),
 ('000.25.31.H99','cal','m6','Dự họp tỉnh','chuyen-mon',NULL,false,'2026-05-02 08:00+07','2026-05-02 11:00+07',1,true,false,NULL,NULL,0,false),
 ('000.11.31.H99','cal','b1','Họp','giao-ban',NULL,true,'2025-02-01 08:00+07','2025-02-01 11:00+07',1,false,false,NULL,NULL,0,false),
 ('001.11.31.H99','cal','b2','Họp','giao-ban',NULL,true,'2025-05-01 08:00+07','2025-05-01 11:00+07',1,false,false,NULL,NULL,0,false),
 ('000.25.31.H99','cal','b3','Họp','giao-ban',NULL,true,'2025-01-06 08:00+07','2025-01-06 11:00+07',1,false,false,NULL,NULL,0,false),
 ('000.25.31.H99','cal','b4','Họp','giao-ban',NULL,true,'2025-03-06 08:00+07','2025-03-06 11:00+07',1,false,false,NULL,NULL,0,false),
 ('000.25.31.H99','cal','b5','Họp','giao-ban',NULL,true,'2025-06-30 23:00+07','2025-06-30 23:30+07',1,false,false,NULL,NULL,0,false);

INSERT INTO procedures (ma_tthc, name, level, requires_result, max_days) VALUES
 ('1.001', 'Toàn trình', 'toan_trinh', true, 5),
 ('1.002', 'Một phần', 'mot_phan', true, 10),
 ('1.003', 'Không có kết quả', 'none', false, 3);

INSERT INTO dossiers (unit_code, ma_ho_so, ma_tthc, procedure_level, channel, status, received_at, due_at, finished_at, result_method, input_digitized, result_electronic, reused_data, supplements) VALUES
 ('000.25.31.H99','s1','1.001',NULL,'online',10,'2026-02-02 09:00+07','2026-02-09 17:00+07','2026-02-05 10:00+07',NULL,true,true,true,0),
 ('000.25.31.H99','s2','1.001',NULL,'online',10,'2026-02-03 09:00+07','2026-02-10 17:00+07','2026-02-12 10:00+07','counter',false,false,false,0),
 ('001.25.31.H99','s3','1.002',NULL,'online',9,'2026-03-01 09:00+07','2026-03-15 17:00+07','2026-03-10 10:00+07',NULL,true,true,false,0),
 ('001.25.31.H99','s4','1.001',NULL,'direct',4,'2026-03-02 09:00+07','2026-03-09 17:00+07',NULL,NULL,false,false,false,0),
 ('002.25.31.H99','s5','9.999',NULL,'online',4,'2026-04-01 09:00+07',NULL,NULL,NULL,false,false,false,0),
 ('002.25.31.H99','s6','1.003',NULL,NULL,10,'2026-05-01 09:00+07','2026-05-20 17:00+07','2026-05-10 10:00+07',NULL,false,false,false,0),
 ('000.25.31.H99','s7','1.001',NULL,'online',10,'2026-06-01 09:00+07','2026-06-30 17:00+07','2026-06-10 10:00+07','postal',false,false,false,2),
 ('000.25.31.H99','s8','1.002',NULL,'online',10,'2026-06-20 09:00+07',NULL,'2026-06-25 10:00+07',NULL,false,true,false,0),
 ('000.25.31.H99','s9','1.002',NULL,'direct',3,'2026-01-05 09:00+07',NULL,NULL,NULL,false,false,false,0),
 ('000.99.31.H99','x1','1.001',NULL,'online',10,'2026-02-02 09:00+07','2026-02-09 17:00+07','2026-02-05 10:00+07',NULL,true,true,true,0);
