"""Hooks of ``client.enterprise`` (JS class ``Enterprise``).

``getLicense`` reads the answer, keeps its ``certificate`` on the namespace
object and marks it ``valid`` from the answer's ``status``: post-processing
and state the spec's request recipes do not express.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._jsjson import UNDEFINED
from .._recipe import item

if TYPE_CHECKING:
    from .._generated.namespaces import Enterprise

__all__ = ["getLicense"]


def getLicense(ns: "Enterprise") -> Any:
    """Superadmins only (otherwise ``False``): fetch the license once and cache its certificate.

    As in JS 21.3.1, only the first call returns the certificate; later calls
    send nothing and return ``None`` (JS ``undefined``); the cached value stays
    readable as ``client.enterprise.certificate``.
    """
    if ns.client.is_superadmin is not True:
        return False
    if getattr(ns, "certificate", UNDEFINED) is not UNDEFINED:
        return None
    cert = ns.client._call("enterprise.getLicense", "GET", "/license")
    certificate = item(cert, "certificate")
    setattr(ns, "certificate", certificate)  # JS keeps it on the object (this.certificate)
    valid = item(cert, "status") == "valid"
    if isinstance(certificate, dict):
        certificate["valid"] = valid
    elif not isinstance(certificate, list):  # JS sets a property an array does not serialise
        # JS (strict mode): setting a property on undefined, null or a primitive throws a TypeError.
        raise TypeError(f"the license answer holds no certificate object: {certificate!r}")
    return certificate
