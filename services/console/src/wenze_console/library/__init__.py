"""The case library (典型案例): reporting's decided cases of a month, their typical marks, the draft
public notice and the anonymised export, read and changed through reporting's API."""
