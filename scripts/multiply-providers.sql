-- Multiply the providers of a generated database: each one copied (:copies - 1) more times, with its
-- approaches, concerns and other terms, licenses and offices; new ids, slugs, external ids and license
-- numbers; the search text copied as it is. For measuring at a larger size:
--   createdb -T directory_bench directory_bench_1m
--   psql -d directory_bench_1m -v copies=10 -f scripts/multiply-providers.sql
\set ON_ERROR_STOP on
BEGIN;
CREATE TEMP TABLE copy_step AS
  SELECT (SELECT max(id) FROM directory_provider) AS step, generate_series(1, :copies - 1) AS k;

INSERT INTO directory_provider (id, external_id, name, slug, pronouns, gender, practice_name, bio, phone, email,
  website, published, accepting_new_clients, accepting_confirmed, last_verified, needs_reverification,
  standard_fee, sliding_scale_min, sliding_scale_max, free_consultation, telehealth, created, updated,
  search_vector, evenings, next_opening, waitlist_weeks, weekday_daytime, weekends, photo, photo_alt, email_public)
SELECT p.id + s.step * s.k, CASE WHEN p.external_id = '' THEN '' ELSE p.external_id || '-x' || s.k END,
  p.name, p.slug || '-x' || s.k, p.pronouns, p.gender, p.practice_name, p.bio, p.phone, p.email,
  p.website, p.published, p.accepting_new_clients, p.accepting_confirmed, p.last_verified, p.needs_reverification,
  p.standard_fee, p.sliding_scale_min, p.sliding_scale_max, p.free_consultation, p.telehealth, p.created, p.updated,
  p.search_vector, p.evenings, p.next_opening, p.waitlist_weeks, p.weekday_daytime, p.weekends, p.photo,
  p.photo_alt, p.email_public
FROM directory_provider p CROSS JOIN copy_step s;

INSERT INTO directory_provider_modalities (provider_id, modality_id)
  SELECT l.provider_id + s.step * s.k, l.modality_id FROM directory_provider_modalities l CROSS JOIN copy_step s;
INSERT INTO directory_provider_conditions (provider_id, condition_id)
  SELECT l.provider_id + s.step * s.k, l.condition_id FROM directory_provider_conditions l CROSS JOIN copy_step s;
INSERT INTO directory_provider_formats (provider_id, sessionformat_id)
  SELECT l.provider_id + s.step * s.k, l.sessionformat_id FROM directory_provider_formats l CROSS JOIN copy_step s;
INSERT INTO directory_provider_age_groups (provider_id, agegroup_id)
  SELECT l.provider_id + s.step * s.k, l.agegroup_id FROM directory_provider_age_groups l CROSS JOIN copy_step s;
INSERT INTO directory_provider_languages (provider_id, language_id)
  SELECT l.provider_id + s.step * s.k, l.language_id FROM directory_provider_languages l CROSS JOIN copy_step s;
INSERT INTO directory_provider_insurance (provider_id, insuranceplan_id)
  SELECT l.provider_id + s.step * s.k, l.insuranceplan_id FROM directory_provider_insurance l CROSS JOIN copy_step s;

INSERT INTO directory_license (jurisdiction, number, verified_on, expires_on, credential_type_id, verified_by_id, provider_id)
  SELECT l.jurisdiction, l.number || '-X' || s.k, l.verified_on, l.expires_on, l.credential_type_id, l.verified_by_id,
         l.provider_id + s.step * s.k
  FROM directory_license l CROSS JOIN copy_step s;
INSERT INTO directory_office (address, city, jurisdiction, postal_code, latitude, longitude, wheelchair_accessible, provider_id)
  SELECT o.address, o.city, o.jurisdiction, o.postal_code, o.latitude, o.longitude, o.wheelchair_accessible,
         o.provider_id + s.step * s.k
  FROM directory_office o CROSS JOIN copy_step s;

SELECT setval(pg_get_serial_sequence('directory_provider', 'id'), (SELECT max(id) FROM directory_provider));
COMMIT;
VACUUM ANALYZE;
