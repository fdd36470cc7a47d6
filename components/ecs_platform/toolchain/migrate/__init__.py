"""Moving to the platform from other tools: `ecs-platform import copilot` (:mod:`.copilot`)."""
