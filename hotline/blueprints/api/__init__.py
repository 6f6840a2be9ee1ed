"""Integration API v1 (工单交换): JSON for CTI systems, channel gateways and departments."""

from hotline.blueprints.api.v1 import bp

__all__ = ["bp"]
