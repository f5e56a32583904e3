"""政民互动 core: settings, database, verification, staff, moderation, masking, votes, jobs, live events."""
