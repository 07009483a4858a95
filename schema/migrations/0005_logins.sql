-- Login limits that every web replica shares (package logins), and whether a
-- session may do data work. Both are local to this instance (schema.LocalMark).
--
-- login_networks: one token bucket per client network (an IPv4 address, an IPv6
-- /64, all of loopback): LOGIN_ATTEMPTS_PER_MINUTE attempts, whatever the emails.
CREATE TABLE login_networks (
    network    text             PRIMARY KEY,
    tokens     double precision NOT NULL,
    taken      boolean          NOT NULL, -- whether the last attempt got a token
    updated_at timestamptz      NOT NULL DEFAULT now()
);
-- login_failures: failed logins of one email from one network, which slow down
-- that email from that network only.
CREATE TABLE login_failures (
    email      text        NOT NULL,
    network    text        NOT NULL,
    fails      integer     NOT NULL,
    wait_until timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (email, network)
);
-- data_rights: the session's account is one of this instance's own admins
-- (package accounts) and logged in with its own password, not the staging
-- password: only such sessions import, preview, export or use River UI.
ALTER TABLE web_sessions ADD COLUMN data_rights boolean NOT NULL DEFAULT false;
