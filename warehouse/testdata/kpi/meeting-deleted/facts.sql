-- Meetings that disappeared from their calendar feed (deleted_run set)
-- do not count, in the period nor in the baseline, cancelled or not.
INSERT INTO meetings (unit_code, source, uid, title, kind, scope, organized_by_self, starts_at, ends_at, sessions, online, paperless, materials_sent_at, discussion_minutes, total_minutes, cancelled, deleted_run, deleted_at) VALUES
 ('000.25.31.H99','cal','c1','Giao ban toàn xã','giao-ban','toan-xa',true,'2026-01-10 08:00+07','2026-01-10 11:00+07',1,true,false,'2026-01-08 08:00+07',130,180,false,NULL,NULL),
 ('000.25.31.H99','cal','c2','Hội nghị đã xóa','chuyen-mon','toan-xa',true,'2026-02-10 08:00+07','2026-02-10 11:00+07',1,true,false,'2026-02-01 08:00+07',150,180,false,7,'2026-02-11 09:00+07'),
 ('001.25.31.H99','cal','c3','Họp khác','khac',NULL,true,'2026-03-05 08:00+07','2026-03-06 11:00+07',3,false,false,NULL,NULL,180,false,NULL,NULL),
 ('002.25.31.H99','cal','c4','Hủy rồi xóa','giao-ban',NULL,true,'2026-03-20 08:00+07','2026-03-20 11:00+07',1,true,false,NULL,NULL,180,true,8,'2026-03-21 09:00+07'),
 ('000.25.31.H99','cal','b1','Giao ban','giao-ban',NULL,true,'2025-01-15 08:00+07','2025-01-15 11:00+07',1,false,false,NULL,NULL,180,false,NULL,NULL),
 ('000.25.31.H99','cal','b2','Giao ban','giao-ban',NULL,true,'2025-02-15 08:00+07','2025-02-15 11:00+07',1,false,false,NULL,NULL,180,false,NULL,NULL),
 ('001.25.31.H99','cal','b3','Đã xóa','giao-ban',NULL,true,'2025-03-15 08:00+07','2025-03-15 11:00+07',1,false,false,NULL,NULL,180,false,3,'2025-03-16 09:00+07');
