-- Whether agents see every call of the workspace or only those assigned to them (AUTH-6).
ALTER TABLE workspaces ADD COLUMN agent_call_visibility TEXT NOT NULL DEFAULT 'all'
    CHECK (agent_call_visibility IN ('all', 'own'));
