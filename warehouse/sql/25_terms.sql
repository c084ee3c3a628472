-- The indicator terms: the one definition of which records each
-- indicator looks at, counts in its numerator, in its denominator and in
-- its missing, and on which date. Both readers take their conditions from
-- here and state none of their own:
--   - the per-day summaries (40_summaries.sql, which kpi_eval sums) add up
--     these columns per day: each summary column is one term here;
--   - chiso explain lists, per record, the rows of kpi_*_terms
--     (60_terms.sql), which turns these columns into one row per
--     indicator and adds the reason a record is not in the numerator.
-- Changing an indicator's terms is editing this file: the numbers and the
-- records explain lists follow together (TestKPITermsOneDefinition).
--
-- The inputs are the classification of one record (25_classes.sql), as
-- the per-record views (30_fact_views.sql) show it. For every indicator X
-- the output has:
--   X_on    the Vietnam date that puts the record in a span;
--   X_in    the indicator looks at the record (explain lists it);
--   X_num   in the numerator (for a reduction: counted in the period or
--           in the baseline, kpi_eval takes the difference);
--   X_den   in the denominator (NULL for a count or a reduction);
--   X_miss  counted in the indicator's missing.
-- Every X_num, X_den and X_miss implies X_in. They are plain expressions
-- (no VALUES list): PostgreSQL inlines the function into the summary
-- triggers and computes only the columns a summary reads.

CREATE OR REPLACE FUNCTION kpi_document_term_def(direction text, secret boolean, counterpart_relation text,
                                      counts_issued boolean, issued_unknown boolean, ex_scope boolean,
                                      electronic boolean, ex_unknown boolean, issued_on date, event_on date)
RETURNS TABLE (
  doc_reduction_on date, doc_reduction_in boolean, doc_reduction_num boolean,
  doc_reduction_den boolean, doc_reduction_miss boolean,
  documents_issued_on date, documents_issued_in boolean, documents_issued_num boolean,
  documents_issued_den boolean, documents_issued_miss boolean,
  electronic_exchange_share_on date, electronic_exchange_share_in boolean, electronic_exchange_share_num boolean,
  electronic_exchange_share_den boolean, electronic_exchange_share_miss boolean,
  electronic_exchange_out_share_on date, electronic_exchange_out_share_in boolean,
  electronic_exchange_out_share_num boolean, electronic_exchange_out_share_den boolean,
  electronic_exchange_out_share_miss boolean,
  electronic_exchange_in_share_on date, electronic_exchange_in_share_in boolean,
  electronic_exchange_in_share_num boolean, electronic_exchange_in_share_den boolean,
  electronic_exchange_in_share_miss boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT issued_on, iss.looked, iss.num, NULL::boolean, iss.miss,   -- doc_reduction
         issued_on, iss.looked, iss.num, NULL::boolean, iss.miss,   -- documents_issued
         event_on, ex.looked, ex.num, ex.den, ex.miss,              -- electronic_exchange_share
         event_on, ex.looked AND direction = 'out', ex.num AND direction = 'out',
           ex.den AND direction = 'out', ex.miss AND direction = 'out',   -- electronic_exchange_out_share
         event_on, ex.looked AND direction = 'in', ex.num AND direction = 'in',
           ex.den AND direction = 'in', ex.miss AND direction = 'in'      -- electronic_exchange_in_share
  FROM
    -- doc_reduction, documents_issued: outgoing documents by issue date;
    -- the administrative ones count, an unknown family is missing.
    (SELECT direction = 'out' AS looked, counts_issued AS num, issued_unknown AS miss) iss,
    -- electronic_exchange_share: documents exchanged with higher agencies
    -- by event date, the electronic ones in the numerator; an unknown
    -- counterpart is missing; a secret one is looked at and left out. The
    -- out and in shares are the same terms for sent and for received
    -- documents (a document is one or the other: kpi_eval takes the in
    -- share's sums as the share's less the out share's).
    (SELECT (ex_scope OR ex_unknown OR (secret AND counterpart_relation = 'higher')) AS looked,
            ex_scope AND electronic AS num, ex_scope AS den, ex_unknown AS miss) ex $$;

-- Meetings: every meeting by its Vietnam start date; only counted ones
-- (organised by the unit, not cancelled, still in its feed) count.
CREATE OR REPLACE FUNCTION kpi_meeting_term_def(counted boolean, online_or_paperless boolean, materials_known boolean,
                                     materials_ahead boolean, discussion_known boolean, discussion_ok boolean,
                                     duration_ok boolean, commune_wide boolean, cap_sessions integer, starts_on date)
RETURNS TABLE (
  meeting_reduction_on date, meeting_reduction_in boolean, meeting_reduction_num boolean,
  meeting_reduction_den boolean, meeting_reduction_miss boolean,
  meetings_held_on date, meetings_held_in boolean, meetings_held_num boolean,
  meetings_held_den boolean, meetings_held_miss boolean,
  meeting_online_share_on date, meeting_online_share_in boolean, meeting_online_share_num boolean,
  meeting_online_share_den boolean, meeting_online_share_miss boolean,
  commune_wide_conferences_on date, commune_wide_conferences_in boolean, commune_wide_conferences_num boolean,
  commune_wide_conferences_den boolean, commune_wide_conferences_miss boolean,
  meeting_materials_ahead_share_on date, meeting_materials_ahead_share_in boolean,
  meeting_materials_ahead_share_num boolean, meeting_materials_ahead_share_den boolean,
  meeting_materials_ahead_share_miss boolean,
  meeting_discussion_share_on date, meeting_discussion_share_in boolean, meeting_discussion_share_num boolean,
  meeting_discussion_share_den boolean, meeting_discussion_share_miss boolean,
  meeting_duration_share_on date, meeting_duration_share_in boolean, meeting_duration_share_num boolean,
  meeting_duration_share_den boolean, meeting_duration_share_miss boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT starts_on, true, h.num, NULL::boolean, false,                             -- meeting_reduction
         starts_on, true, h.num, NULL::boolean, false,                             -- meetings_held
         starts_on, true, h.num AND online_or_paperless, h.num, false,            -- meeting_online_share
         starts_on, commune_wide, h.num AND commune_wide, NULL::boolean, false,    -- commune_wide_conferences
         starts_on, true, h.num AND materials_ahead, mat.den, h.num AND NOT mat.den,      -- meeting_materials_ahead_share
         starts_on, true, h.num AND discussion_ok, disc.den, h.num AND NOT disc.den,      -- meeting_discussion_share
         starts_on, true, h.num AND duration_ok, h.num, h.num AND cap_sessions IS NULL    -- meeting_duration_share
  FROM
    -- The meetings held: organised by the unit, not cancelled, still in
    -- their feed. Every indicator counts among these only; the shares of
    -- meetings held online or paperless and within the duration cap of
    -- their kind (no cap known: missing) have them all as denominator.
    (SELECT counted AS num) h,
    -- Materials sent 24 hours ahead, of the meetings held whose sending
    -- time is known; discussion at least 70 % of the time, of those whose
    -- durations are known. The others held are missing.
    LATERAL (SELECT h.num AND materials_known AS den) mat,
    LATERAL (SELECT h.num AND discussion_known AS den) disc $$;

-- kpi_dossier_late: judged at the end of p_to (and no later than today),
-- a dossier whose dossier_on_time_share_late_on is p_late_on is late.
-- kpi_eval (50_kpi.sql) calls it on the summary rows: one definition.
CREATE OR REPLACE FUNCTION kpi_dossier_late(p_late_on date, p_to date, p_today date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_late_on <= least(p_to, p_today) $$;

-- Dossiers: by Vietnam reception date, and settled ones with a result
-- document by finishing date. The on-time numerator depends on when the
-- dossiers are judged: p_to is the last day of the span, p_today today
-- (the summaries, which keep the late date instead, pass NULLs).
CREATE OR REPLACE FUNCTION kpi_dossier_term_def(channel text, status smallint, input_digitized boolean,
                                     reused_data boolean, level_unknown boolean, full_online boolean,
                                     result_scope boolean, result_electronic boolean, on_time_scope boolean,
                                     late_on date, received_on date, finished_on date, p_to date, p_today date)
RETURNS TABLE (
  dossier_full_online_share_on date, dossier_full_online_share_in boolean, dossier_full_online_share_num boolean,
  dossier_full_online_share_den boolean, dossier_full_online_share_miss boolean,
  dossier_online_share_on date, dossier_online_share_in boolean, dossier_online_share_num boolean,
  dossier_online_share_den boolean, dossier_online_share_miss boolean,
  dossier_input_digitized_share_on date, dossier_input_digitized_share_in boolean,
  dossier_input_digitized_share_num boolean, dossier_input_digitized_share_den boolean,
  dossier_input_digitized_share_miss boolean,
  dossier_reused_data_share_on date, dossier_reused_data_share_in boolean, dossier_reused_data_share_num boolean,
  dossier_reused_data_share_den boolean, dossier_reused_data_share_miss boolean,
  dossier_on_time_share_on date, dossier_on_time_share_in boolean, dossier_on_time_share_num boolean,
  dossier_on_time_share_den boolean, dossier_on_time_share_miss boolean,
  dossier_on_time_share_late_on date,
  result_digitized_share_on date, result_digitized_share_in boolean, result_digitized_share_num boolean,
  result_digitized_share_den boolean, result_digitized_share_miss boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT received_on, true, full_online, true, level_unknown,                               -- dossier_full_online_share
         received_on, true, coalesce(channel = 'online', false), true, channel IS NULL,     -- dossier_online_share
         received_on, true, input_digitized, true, false,                                   -- dossier_input_digitized_share
         received_on, true, reused_data, true, false,                                       -- dossier_reused_data_share
         received_on, true, ot.den AND NOT coalesce(kpi_dossier_late(ot.late_on, p_to, p_today), false),
           ot.den, ot.miss, ot.late_on,                                                     -- dossier_on_time_share
         finished_on, coalesce(status IN (9, 10), false), result_scope AND result_electronic,
           result_scope, false                                                              -- result_digitized_share
  FROM
    -- Received dossiers (every one in the denominator of the four shares
    -- by reception date): filed online for a fully online procedure with
    -- an electronic or postal result (the procedure's level unknown:
    -- missing); filed online (no channel: missing, and not online); with
    -- digitised input; with reused data.
    --
    -- On time: received dossiers neither refused nor withdrawn and with a
    -- deadline (no deadline known: missing), not late when judged.
    -- late_on is the first date at whose end one of them counts as late
    -- ('infinity' for every other dossier); the summaries key their rows
    -- by it (kpi_day_dossiers.late_on).
    (SELECT on_time_scope AND late_on IS NOT NULL AS den, on_time_scope AND late_on IS NULL AS miss,
            coalesce(CASE WHEN on_time_scope AND late_on <> 'infinity' THEN late_on END, 'infinity'::date) AS late_on) ot
    -- Result digitised: settled dossiers (status 9, 10) by finishing date;
    -- those of a procedure with a result document in the denominator, with
    -- the result in electronic form in the numerator.
  $$;
