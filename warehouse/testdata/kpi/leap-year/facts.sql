-- February of a leap year against February of the year before.
INSERT INTO documents (unit_code, direction, doc_key, family, medium, issued_on, event_on) VALUES
 ('000.25.31.H99','out','a1','hanh_chinh','paper','2024-02-29','2024-02-29'),
 ('000.25.31.H99','out','a2','hanh_chinh','paper','2024-02-10','2024-02-10'),
 ('000.25.31.H99','out','b1','hanh_chinh','paper','2023-02-28','2023-02-28'),
 ('000.25.31.H99','out','b2','hanh_chinh','paper','2023-02-28','2023-02-28'),
 ('000.25.31.H99','out','b3','hanh_chinh','paper','2023-02-27','2023-02-27'),
 ('000.25.31.H99','out','b4','hanh_chinh','paper','2023-02-01','2023-02-01'),
 ('000.25.31.H99','out','b5','hanh_chinh','paper','2023-03-01','2023-03-01'),
 ('000.25.31.H99','out','c1','hanh_chinh','paper','2025-02-28','2025-02-28');
