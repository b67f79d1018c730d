"""Impact: a validated loneliness measure, the volunteers' pulse, outcomes and the report."""
