-- The scenario a server loaded (its text, as posted or read), for `POST /mock/v1/reset`
-- to go back to. One row at most.
CREATE TABLE mock_scenario (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    text      TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);
