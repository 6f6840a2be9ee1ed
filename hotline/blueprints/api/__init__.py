"""Integration API v1 (工单交换): JSON for CTI systems, channel gateways and departments.

The blueprint lives in :mod:`hotline.blueprints.api.base`; the endpoint modules add to it.
This package module imports nothing, so its modules can import each other without a circle.
"""
