"""A local helpdesk speaking the subset of the Zendesk Support and Jira REST APIs that
evm-sync uses, for the demo, the integration tests and the benchmarks.

    with Sandbox.start(tickets=5000, seed=7, now="2026-11-20T12:00:00Z") as sb:
        sb.url, sb.email, sb.token
"""

from evm_sync.sandbox.app import RequestRecord
from evm_sync.sandbox.server import Sandbox

__all__ = ["RequestRecord", "Sandbox"]
