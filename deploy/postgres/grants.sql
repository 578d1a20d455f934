-- The app role's rights on the kapcare schema. Run in the kapcare database as the owner role
-- (or a superuser), after roles.sql and again after a `manage.py restore` (restores carry no
-- grants):
--   psql "$OWNER_DATABASE_URL" -v owner=kapcare_owner -v app=kapcare_app -f deploy/postgres/grants.sql
-- Rows only: SELECT, INSERT, UPDATE, DELETE. UPDATE and DELETE on the append-only tables
-- (ledger entries, audit events, signed notes…) are refused by their triggers, which the app
-- role cannot remove because it owns no table.
\set ON_ERROR_STOP on

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
-- Tables and sequences that later migrations create (as the owner) get the same grants.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";
