"""Human selection: approval records, decisions and (later) signed links and pages."""

from hookforge.approval.records import ApprovalRecord, ApprovalStore, Decision, decide

__all__ = ["ApprovalRecord", "ApprovalStore", "Decision", "decide"]
