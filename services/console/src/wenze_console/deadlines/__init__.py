"""期限预警: the office's open execution deadlines from sanction-execution."""
