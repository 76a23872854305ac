-- The scenario a server loaded, for `POST /mock/v1/reset` to go back to: its text, as
-- posted or read, sealed like every stored secret (it holds passwords and secrets).
-- One row at most.
CREATE TABLE mock_scenario (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    sealed    BLOB NOT NULL,
    loaded_at TEXT NOT NULL
);
