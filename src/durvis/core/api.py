"""Shared pieces of the HTTP API: the one error format and the exception that produces it."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(Schema):
    """Every API error: a list of problems, each naming the field (`loc`) it is about."""

    detail: list[ErrorItem]


class ApiError(Exception):
    """Raised by an endpoint to answer a 4xx with a machine-readable body: one problem, or
    several (`problems`)."""

    def __init__(self, status: int, loc: list[str | int], msg: str, type_: str) -> None:
        super().__init__(msg)
        self.status = status
        self.body = {"detail": [{"loc": loc, "msg": msg, "type": type_}]}

    @classmethod
    def problems(cls, status: int, detail: list[dict[str, Any]]) -> ApiError:
        """One answer naming every problem: `detail` items are `{"loc", "msg", "type"}`."""
        error = cls(status, detail[0]["loc"], detail[0]["msg"], detail[0]["type"])
        error.body = {"detail": detail}
        return error
