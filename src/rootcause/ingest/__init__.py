"""Ingest: read exports, validate and normalise rows, de-duplicate, quarantine the bad ones."""

from rootcause.ingest.loader import IngestResult, ingest_path
from rootcause.ingest.problems import IngestProblem

__all__ = ["IngestProblem", "IngestResult", "ingest_path"]
