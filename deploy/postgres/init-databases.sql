-- The databases of the single-host stack (docker-compose.yml), created when missing. The
-- postgres image runs this once, on an empty data volume, as POSTGRES_USER; Temporal's
-- auto-setup also creates its two when missing, at every start.
--   iom                  the engine: event store, projections, personal data, API tables
--   temporal             Temporal's persistence
--   temporal_visibility  Temporal's visibility store (search attributes, workflow lists)
SELECT 'CREATE DATABASE iom' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'iom')\gexec
SELECT 'CREATE DATABASE temporal' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'temporal')\gexec
SELECT 'CREATE DATABASE temporal_visibility' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'temporal_visibility')\gexec
