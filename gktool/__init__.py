"""gktool: the government information-disclosure annual report, Excel-native."""

__version__ = "0.1.0"
