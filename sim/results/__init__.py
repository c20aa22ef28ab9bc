"""The results layer: what one replication produced (``run_result``), its series and summary (``metrics``), the results folder (``output``)."""
