-- The compose file's second database: staging (production's is POSTGRES_DB).
CREATE DATABASE wippidu_staging OWNER wippidu;
