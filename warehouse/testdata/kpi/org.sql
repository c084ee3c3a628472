-- The tree shared by every case: the commune (self), two internal units,
-- a predecessor commune merged into it on 1 July 2025 (with an internal
-- unit of its own), a higher agency and an unrelated commune.
INSERT INTO org_units (code, name, parent_code, relation, merged_into) VALUES
 ('000.25.31.H99', 'UBND xã Yên Định', '000.00.00.H99', 'self', NULL),
 ('001.25.31.H99', 'Văn phòng HĐND và UBND xã', '000.25.31.H99', 'internal', NULL),
 ('002.25.31.H99', 'Phòng Kinh tế', '000.25.31.H99', 'internal', NULL),
 ('000.11.31.H99', 'UBND xã Yên Lạc (cũ)', '000.00.00.H99', 'external', '000.25.31.H99'),
 ('001.11.31.H99', 'Văn phòng UBND xã Yên Lạc (cũ)', '000.11.31.H99', 'internal', NULL),
 ('000.00.00.H99', 'UBND tỉnh', NULL, 'higher', NULL),
 ('000.99.31.H99', 'UBND xã Khác', '000.00.00.H99', 'external', NULL);
