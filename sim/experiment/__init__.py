"""The experiment layer: scenario → tasks → an executor → results kept in the result store."""
