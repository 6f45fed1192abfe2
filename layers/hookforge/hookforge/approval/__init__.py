"""Human selection: approval records and decisions, signed links and form tokens, the page and the email."""

from hookforge.approval.records import ApprovalRecord, ApprovalStore, Decision, decide
from hookforge.approval.signing import Signer

__all__ = ["ApprovalRecord", "ApprovalStore", "Decision", "Signer", "decide"]
