-- +goose Up
-- The documents-by-type sheet of a report (DocumentsByType) counts a
-- unit's documents by type, family, secrecy, direction and medium over the
-- period and its baseline: with these columns in the (unit, date) indexes
-- it reads the index only, not one heap page per document (a commune's
-- documents are spread over the whole table in a provincial warehouse:
-- 100 communes, about 630 ms -> 40 ms for a commune's year).
DROP INDEX documents_issued;
CREATE INDEX documents_issued ON documents (unit_code, issued_on)
    INCLUDE (doc_type, family, is_secret, series, medium) WHERE direction = 'out';
DROP INDEX documents_event;
CREATE INDEX documents_event ON documents (unit_code, event_on)
    INCLUDE (direction, doc_type, family, is_secret, series, medium);

-- +goose Down
DROP INDEX documents_issued;
CREATE INDEX documents_issued ON documents (unit_code, issued_on) WHERE direction = 'out';
DROP INDEX documents_event;
CREATE INDEX documents_event ON documents (unit_code, event_on);
