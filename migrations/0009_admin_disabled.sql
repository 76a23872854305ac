-- An administrator disabled by `server admin disable`: it cannot sign in, and its
-- sessions, challenges and trusted devices are gone.
ALTER TABLE admin_users ADD COLUMN disabled_at TEXT;
