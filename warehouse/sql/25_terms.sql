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
  SELECT
    -- doc_reduction, documents_issued: outgoing documents by issue date;
    -- the administrative ones count, an unknown family is missing.
    issued_on, direction = 'out', counts_issued, NULL::boolean, issued_unknown,
    issued_on, direction = 'out', counts_issued, NULL::boolean, issued_unknown,
    -- electronic_exchange_share: documents exchanged with higher agencies
    -- by event date, electronic ones in the numerator; an unknown
    -- counterpart is missing; a secret one is looked at and left out.
    event_on, (ex_scope OR ex_unknown OR (secret AND counterpart_relation = 'higher')),
    ex_scope AND electronic, ex_scope, ex_unknown,
    -- electronic_exchange_out_share / _in_share: the same, sent / received.
    event_on, (ex_scope OR ex_unknown OR (secret AND counterpart_relation = 'higher')) AND direction = 'out',
    ex_scope AND electronic AND direction = 'out', ex_scope AND direction = 'out', ex_unknown AND direction = 'out',
    event_on, (ex_scope OR ex_unknown OR (secret AND counterpart_relation = 'higher')) AND direction = 'in',
    ex_scope AND electronic AND direction = 'in', ex_scope AND direction = 'in', ex_unknown AND direction = 'in' $$;

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
  SELECT
    -- meeting_reduction, meetings_held: counted meetings.
    starts_on, true, counted, NULL::boolean, false,
    starts_on, true, counted, NULL::boolean, false,
    -- meeting_online_share: counted meetings held online or paperless.
    starts_on, true, counted AND online_or_paperless, counted, false,
    -- commune_wide_conferences: counted commune-wide conferences.
    starts_on, commune_wide, counted AND commune_wide, NULL::boolean, false,
    -- meeting_materials_ahead_share: materials sent 24 hours ahead, of
    -- the meetings whose sending time is known (unknown: missing).
    starts_on, true, counted AND materials_ahead, counted AND materials_known, counted AND NOT materials_known,
    -- meeting_discussion_share: discussion ≥ 70 % of the time, of the
    -- meetings whose durations are known (unknown: missing).
    starts_on, true, counted AND discussion_ok, counted AND discussion_known, counted AND NOT discussion_known,
    -- meeting_duration_share: within the cap of the meeting's kind (a
    -- kind without a cap: in the denominator and missing).
    starts_on, true, counted AND duration_ok, counted, counted AND cap_sessions IS NULL $$;

-- kpi_dossier_late_on: the first date at whose end a dossier in the
-- on-time denominator counts as late ('infinity' for every other
-- dossier). The summaries key their rows by it (kpi_day_dossiers.late_on),
-- and kpi_eval (50_kpi.sql) takes the rows whose late_on is not after
-- the end of the span (nor after today) out of the on-time numerator: the
-- comparison of kpi_dossier_late.
CREATE OR REPLACE FUNCTION kpi_dossier_late_on(on_time_scope boolean, late_on date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN on_time_scope AND late_on IS NOT NULL AND late_on <> 'infinity' THEN late_on
              ELSE 'infinity'::date END $$;

-- kpi_dossier_late: judged at the end of p_to (and no later than today),
-- a dossier whose kpi_dossier_late_on is p_late_on is late.
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
  SELECT
    -- dossier_full_online_share: received dossiers filed online for a
    -- fully online procedure with an electronic or postal result; the
    -- procedure's level unknown: missing.
    received_on, true, full_online, true, level_unknown,
    -- dossier_online_share: received dossiers filed online; no channel:
    -- missing (and not online).
    received_on, true, coalesce(channel = 'online', false), true, channel IS NULL,
    -- dossier_input_digitized_share, dossier_reused_data_share.
    received_on, true, input_digitized, true, false,
    received_on, true, reused_data, true, false,
    -- dossier_on_time_share: received dossiers neither refused nor
    -- withdrawn and with a deadline, not late when judged; no deadline
    -- known: missing.
    received_on, true,
    on_time_scope AND late_on IS NOT NULL
      AND NOT coalesce(kpi_dossier_late(kpi_dossier_late_on(on_time_scope, late_on), p_to, p_today), false),
    on_time_scope AND late_on IS NOT NULL, on_time_scope AND late_on IS NULL,
    kpi_dossier_late_on(on_time_scope, late_on),
    -- result_digitized_share: settled dossiers (status 9, 10) of a
    -- procedure with a result document, by finishing date, with the
    -- result in electronic form.
    finished_on, coalesce(status IN (9, 10), false), result_scope AND result_electronic, result_scope, false $$;
