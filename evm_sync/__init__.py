"""evm-sync: earned value for support teams, inside the helpdesk they already use."""

__version__ = "0.1.0"
