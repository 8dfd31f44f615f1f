"""What payments do when something happens elsewhere or to an invoice (A8): subscribers of
domain events, run by the worker after the commit (`durvis.core.events`)."""

from __future__ import annotations
