-- kapcare on PostgreSQL: two roles, one database. Run as a superuser (postgres):
--   sudo -u postgres psql -v owner=kapcare_owner -v app=kapcare_app -v db=kapcare \
--        -v owner_password="$(openssl rand -hex 24)" -v app_password="$(openssl rand -hex 24)" \
--        -f deploy/postgres/roles.sql
-- Keep both passwords: the owner's goes in /etc/kapcare/migrate.env, the app's in
-- /etc/kapcare/kapcare.env.
--
-- The owner role owns the database, the schema objects and the append-only triggers; only
-- migrations and restores run as it. The app role (gunicorn, db_worker) owns nothing: it can
-- read and write rows, but cannot ALTER a table, DISABLE or DROP a trigger, or TRUNCATE, so
-- the ledger's and audit trail's append-only guards hold even if the app is compromised.
\set ON_ERROR_STOP on

CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password' CREATEDB;
CREATE ROLE :"app" LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE DATABASE :"db" OWNER :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";

\connect :"db"
-- Only the owner creates objects in the schema (PostgreSQL 15 already revokes CREATE from
-- PUBLIC; this says so for older servers too).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO :"owner";
GRANT USAGE ON SCHEMA public TO :"app";
\ir grants.sql
