"""Checks: the rule catalogue, the content rules (functions of one filled report) and the cross-year rules
(functions of two). They never read a file and never change the report they are given."""
