"""The camt.053/camt.054 writer of the tests and the sample files: the demo's
(`durvis.demo.camt`, which `manage.py demo_camt` uses too)."""

from durvis.demo.camt import ACCOUNT, NS, Ntry, Tx, document, ntry_xml, summary_xml, tx_xml

__all__ = ["ACCOUNT", "NS", "Ntry", "Tx", "document", "ntry_xml", "summary_xml", "tx_xml"]
