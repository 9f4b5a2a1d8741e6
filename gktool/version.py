"""The version of gktool, stamped into every workbook it writes."""

__version__ = "0.1.0"
