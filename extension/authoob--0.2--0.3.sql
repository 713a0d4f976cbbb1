/* authoob--0.2--0.3.sql: from 0.2 to 0.3 (the README's "Upgrades") */

\echo Use "ALTER EXTENSION authoob UPDATE TO '0.3'" to load this file. \quit

-- ==== The owner-context rule: begin ====
-- Whatever runs with the owner's rights runs with a search_path of
-- authoob's choosing (README "Security"): authoob_attempt_outcome runs the
-- caller's action and records its failure as authoob_attempt does, and
-- takes the same fixed search_path as every SECURITY DEFINER function.
ALTER FUNCTION authoob_attempt_outcome(text, text, inet) SET search_path = pg_catalog, pg_temp;
-- ==== The owner-context rule: end ====
