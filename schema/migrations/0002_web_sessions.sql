-- Server-side sessions of the web tier. Local to this instance (schema.LocalMark):
-- never exported, imported or truncated. A session carries the user's email and role
-- so that authenticating a request never reads users, which an import holds locked
-- (ACCESS EXCLUSIVE) for its whole duration. user_id has no foreign key for the same
-- reason: an import replaces users.
CREATE TABLE web_sessions (
    id           bigserial   PRIMARY KEY,
    token_hash   bytea       NOT NULL UNIQUE, -- sha256 of the cookie's random token
    user_id      bigint      NOT NULL,
    email        text        NOT NULL,
    role         text        NOT NULL,
    csrf_token   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX web_sessions_expires_at_idx ON web_sessions (expires_at);
