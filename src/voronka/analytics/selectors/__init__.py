"""The reports: each a selector taking the user and a ReportFilter and returning plain dataclasses."""
