"""Shared pieces of the HTTP API: the one error format and the exception that produces it."""

from __future__ import annotations

from ninja import Schema


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(Schema):
    """Every API error: a list of problems, each naming the field (`loc`) it is about."""

    detail: list[ErrorItem]


class ApiError(Exception):
    """Raised by an endpoint to answer a 4xx with a machine-readable body."""

    def __init__(self, status: int, loc: list[str | int], msg: str, type_: str) -> None:
        super().__init__(msg)
        self.status = status
        self.body = {"detail": [{"loc": loc, "msg": msg, "type": type_}]}
