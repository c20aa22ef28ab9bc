"""Statistics over replications: intervals and tests (``stats``), comparison of variants, Kaplan–Meier."""
