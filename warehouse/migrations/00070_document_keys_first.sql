-- +goose Up
-- The primary keys of documents and document_sightings lead with doc_key.
-- Every row of a commune shares unit_code and most share direction, so a
-- key led by them compared two or three equal text columns before reaching
-- the one that differs, on every index step of every write; led by doc_key
-- it usually decides on the first. Lookups by doc_key alone (statuses,
-- revocations) use the primary key, so documents_doc_key goes. Upserts name
-- their conflict columns as a set, so they are unchanged.
ALTER TABLE documents DROP CONSTRAINT documents_pkey;
ALTER TABLE documents ADD PRIMARY KEY (doc_key, direction, unit_code);
DROP INDEX documents_doc_key;
ALTER TABLE document_sightings DROP CONSTRAINT document_sightings_pkey;
ALTER TABLE document_sightings ADD PRIMARY KEY (doc_key, unit_code, direction, source, source_key);

-- +goose Down
ALTER TABLE document_sightings DROP CONSTRAINT document_sightings_pkey;
ALTER TABLE document_sightings ADD PRIMARY KEY (unit_code, direction, doc_key, source, source_key);
CREATE INDEX documents_doc_key ON documents (doc_key);
ALTER TABLE documents DROP CONSTRAINT documents_pkey;
ALTER TABLE documents ADD PRIMARY KEY (unit_code, direction, doc_key);
