"""The integration API's contract: operations declared once on the views, checked on input
and printed as OpenAPI 3.1 (:mod:`hotline.apispec.document`)."""

from hotline.apispec.registry import (
    Operation,
    checked_body,
    checked_query,
    current_operation,
    declared,
    operation,
)
from hotline.apispec.validate import check

__all__ = ["Operation", "check", "checked_body", "checked_query", "current_operation",
           "declared", "operation"]
