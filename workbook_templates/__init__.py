"""Shipped format specs (TOML); installed as gktool.workbook_templates."""
