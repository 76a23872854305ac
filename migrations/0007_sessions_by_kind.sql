-- Sessions of the REST API and of browsers kept apart, a renewed session's replaced
-- refresh token, and second-factor challenges bound to the device that signed in.
-- Open sessions and challenges end (their holders sign in again), as in 0006.

-- A session is the REST API's (its access token is the bearer, its refresh token renews
-- it) or a browser's (its cookie holds the refresh token): neither token of one kind
-- serves as the other, so a refresh token sent as a cookie by another tool is no session.
DROP TABLE sessions;
CREATE TABLE sessions (
    id                 INTEGER PRIMARY KEY,
    user_id            INTEGER NOT NULL REFERENCES admin_users(id) ON DELETE CASCADE,
    kind               TEXT NOT NULL CHECK (kind IN ('api', 'browser')),
    access_hash        BLOB NOT NULL UNIQUE,      -- SHA-256 of the access token
    access_expires_at  TEXT NOT NULL,
    refresh_hash       BLOB NOT NULL UNIQUE,      -- SHA-256 of the refresh token
    refresh_expires_at TEXT NOT NULL,
    -- The refresh token a renewal replaced: it still gets access tokens until its end
    -- (a client that keeps its first refresh token goes on working), never a successor.
    previous_refresh_hash       BLOB UNIQUE,
    previous_refresh_expires_at TEXT,
    created_at         TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id, kind);

DROP TABLE two_factor_challenges;
CREATE TABLE two_factor_challenges (
    payload_hash BLOB PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES admin_users(id) ON DELETE CASCADE,
    option       TEXT NOT NULL CHECK (option IN ('email', 'totp')),
    code_hash    BLOB,                            -- e-mail codes only
    device_hash  BLOB NOT NULL,                   -- the device signing in answers
    attempts     INTEGER NOT NULL DEFAULT 0,
    expires_at   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX two_factor_challenges_user ON two_factor_challenges(user_id);

-- The simulator keeps no secret hints (a database migrated before 0004 said so too).
UPDATE sim_application_secrets SET hint = '';
